//! What `#[logto::protected]` guards ask for, and the rule that says whether a config
//! can satisfy it.
//!
//! A guard that needs anything of the config (a scope, a resource, an organization)
//! names it (`config = Auth`) and is checked at compile time, by trait bounds on the
//! `const fn`s of [`rule`] (each failure worded by the macro with the same rule). A guard built at run time
//! ([`Guard`](crate::Guard)) is checked by the same rule when it is built.

pub(crate) mod rule;

use self::rule::{ConfigName, Needs, Requested};
use crate::config::ORGANIZATIONS_RESOURCE;

/// A guard as `#[logto::protected]` writes it down; not a public API.
#[doc(hidden)]
#[derive(Debug)]
pub struct GuardSpec {
    /// `module::path::handler`.
    pub handler: &'static str,
    /// `file.rs:line` of the handler.
    pub location: &'static str,
    /// Scopes the access token must carry.
    pub scopes: &'static [&'static str],
    /// The API resource, when the guard names one.
    pub resource: Option<&'static str>,
    /// The path parameter that holds the organization id.
    pub organization: Option<&'static str>,
    /// Bearer tokens scoped to any organization pass too, not only global ones.
    pub allow_organization_scoped_tokens: bool,
    /// Bearer tokens only: cookies are ignored.
    pub bearer_only: bool,
    /// Signed out: redirect to sign-in and back instead of 401.
    pub redirect: bool,
}

impl GuardSpec {
    /// What the guard needs of its config, for the rule in `logto_rule`.
    pub const fn needs(&self) -> Needs<'static> {
        Needs {
            scopes: self.scopes,
            resource: self.resource,
            organization: self.organization.is_some(),
        }
    }
}

/// Whether a guard needing `needs` can be satisfied by a config with `scopes` and
/// `resources` ([`rule`], at run time); the error, about `guard`, says why not and how
/// to fix it.
pub(crate) fn check(
    needs: &Needs<'_>,
    scopes: &[String],
    resources: &[String],
    guard: &str,
) -> Result<(), String> {
    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let resources: Vec<&str> = resources.iter().map(String::as_str).collect();
    let requested = Requested {
        scopes: &scopes,
        claims_scopes: &[],
        resources: &resources,
    };
    match rule::first_unmet(needs, &requested) {
        None => Ok(()),
        Some(unmet) => Err(unmet.pieces(guard, ConfigName::UNNAMED).concat()),
    }
}

/// The resources a token may be for, without Logto's reserved organizations resource.
pub(crate) fn api_resources(resources: &[String]) -> impl Iterator<Item = &String> {
    resources
        .iter()
        .filter(|r| r.as_str() != ORGANIZATIONS_RESOURCE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::UserScope;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn resources_must_be_configured_or_unambiguous() {
        let scopes = strings(&["read", UserScope::Organizations.as_str()]);
        let two = strings(&[
            "https://a.example.com",
            "https://b.example.com",
            ORGANIZATIONS_RESOURCE,
        ]);
        let judge = |scopes_needed: &'static [&'static str],
                     resource: Option<&'static str>,
                     organization: bool,
                     scopes: &[String]| {
            let needs = Needs {
                scopes: scopes_needed,
                resource,
                organization,
            };
            check(&needs, scopes, &two, "the guard")
        };
        assert!(
            judge(&["read"], None, false, &scopes)
                .unwrap_err()
                .contains("requests several API resources")
        );
        assert!(judge(&["read"], Some("https://a.example.com"), false, &scopes).is_ok());
        assert!(
            judge(&[], Some("https://c.example.com"), false, &scopes)
                .unwrap_err()
                .contains("never requests")
        );
        assert!(judge(&[], Some(ORGANIZATIONS_RESOURCE), false, &scopes).is_err());
        assert!(
            judge(&["read"], None, true, &scopes).is_ok(),
            "organization tokens need no resource"
        );
        assert!(
            judge(&[], None, true, &strings(&["read"]))
                .unwrap_err()
                .contains("UserScope::Organizations")
        );
    }
}
