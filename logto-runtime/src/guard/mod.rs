//! What `#[logto::protected]` guards ask for, and the checks that catch a guard the
//! config cannot satisfy before the first request.
//!
//! A guard that names its config (`config = Auth`) is checked at compile time, by
//! `const` assertions built on the `const fn`s here. Every other guard registers itself
//! at link time (`inventory`), and building a [`Logto`](crate::Logto) or a
//! [`BearerVerifier`](crate::BearerVerifier) checks all of them against its config:
//! startup fails with a [`ConfigError`] that names the handler.

use crate::{
    config::{BASE_SCOPES, Config, ORGANIZATIONS_RESOURCE, UserScope, str_eq},
    error::ConfigError,
};

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

/// A guard registered for the startup check; not a public API.
#[doc(hidden)]
pub struct Registered(pub &'static GuardSpec);

inventory::collect!(Registered);

/// Checks every registered guard against a config's scopes and resources.
pub(crate) fn check_registered(scopes: &[String], resources: &[String]) -> Result<(), ConfigError> {
    check_all(
        inventory::iter::<Registered>.into_iter().map(|r| r.0),
        scopes,
        resources,
    )
}

pub(crate) fn check_all<'a>(
    guards: impl IntoIterator<Item = &'a GuardSpec>,
    scopes: &[String],
    resources: &[String],
) -> Result<(), ConfigError> {
    let problems: Vec<String> = guards
        .into_iter()
        .filter_map(|spec| {
            check(
                spec.scopes,
                spec.resource,
                spec.organization.is_some(),
                scopes,
                resources,
            )
            .err()
            .map(|problem| {
                format!(
                    "the guard of `{}` ({}) {problem}",
                    spec.handler, spec.location
                )
            })
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ConfigError::new("#[logto::protected]", problems.join("; ")))
    }
}

/// Whether a guard with these arguments can be satisfied by a config with `scopes`
/// and `resources`; the error says why not and how to fix it.
pub(crate) fn check(
    guard_scopes: &[&str],
    guard_resource: Option<&str>,
    organization: bool,
    scopes: &[String],
    resources: &[String],
) -> Result<(), String> {
    let config = "the config (#[logto::config])";
    for scope in guard_scopes {
        if !scopes.iter().any(|s| s == scope) {
            return Err(format!(
                "requires the scope `{scope}`, which {config} never requests, so no token can carry it: \
                 add \"{scope}\" to `scopes` in #[logto::config], or name the config on the guard \
                 (`config = Auth`) to check it at compile time"
            ));
        }
    }
    if let Some(resource) = guard_resource {
        if resource == ORGANIZATIONS_RESOURCE || !resources.iter().any(|r| r == resource) {
            return Err(format!(
                "names the resource `{resource}`, which {config} never requests: add it to `resources` in \
                 #[logto::config]"
            ));
        }
    } else if !organization && !guard_scopes.is_empty() && api_resources(resources).count() != 1 {
        return Err(format!(
            "requires scopes but names no resource, and {config} requests {} API resources: write \
             `resource = \"...\"` on the guard",
            api_resources(resources).count()
        ));
    }
    if organization
        && !scopes
            .iter()
            .any(|s| s == UserScope::Organizations.as_str())
    {
        return Err(format!(
            "checks an organization, but {config} never requests `{}`: add `UserScope::Organizations` \
             to `scopes` in #[logto::config]",
            UserScope::Organizations.as_str()
        ));
    }
    Ok(())
}

/// The resources a token may be for, without Logto's reserved organizations resource.
pub(crate) fn api_resources(resources: &[String]) -> impl Iterator<Item = &String> {
    resources
        .iter()
        .filter(|r| r.as_str() != ORGANIZATIONS_RESOURCE)
}

const fn contains(list: &[&str], item: &str) -> bool {
    let mut i = 0;
    while i < list.len() {
        if str_eq(list[i], item) {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether `C` requests `scope` at sign-in (or, for an API, accepts it). For the
/// compile-time checks of `#[logto::protected(config = ...)]`.
#[doc(hidden)]
pub const fn requests_scope<C: Config>(scope: &str) -> bool {
    if contains(C::SCOPES, scope) || contains(&BASE_SCOPES, scope) {
        return true;
    }
    let mut i = 0;
    while i < C::CLAIMS_SCOPES.len() {
        if contains(C::CLAIMS_SCOPES[i], scope) {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether `C` requests the API resource `resource`.
#[doc(hidden)]
pub const fn requests_resource<C: Config>(resource: &str) -> bool {
    !str_eq(resource, ORGANIZATIONS_RESOURCE) && contains(C::RESOURCES, resource)
}

/// Whether `C` requests exactly one API resource (a guard may then leave it out).
#[doc(hidden)]
pub const fn has_one_resource<C: Config>() -> bool {
    let mut count = 0;
    let mut i = 0;
    while i < C::RESOURCES.len() {
        if !str_eq(C::RESOURCES[i], ORGANIZATIONS_RESOURCE) {
            count += 1;
        }
        i += 1;
    }
    count == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    const SPEC: GuardSpec = GuardSpec {
        handler: "app::orders",
        location: "src/main.rs:12",
        scopes: &["write"],
        resource: None,
        organization: None,
        allow_organization_scoped_tokens: false,
        bearer_only: false,
        redirect: false,
    };

    #[test]
    fn names_the_handler_and_the_fix() {
        let scopes = strings(&["openid", "read"]);
        let resources = strings(&["https://api.example.com"]);
        let error = check_all([&SPEC], &scopes, &resources).unwrap_err();
        assert_eq!(error.setting, "#[logto::protected]");
        assert!(
            error
                .problem
                .contains("the guard of `app::orders` (src/main.rs:12)"),
            "{error}"
        );
        assert!(
            error.problem.contains("add \"write\" to `scopes`"),
            "{error}"
        );
        let scopes = strings(&["openid", "read", "write"]);
        assert!(check_all([&SPEC], &scopes, &resources).is_ok());
    }

    #[test]
    fn resources_must_be_configured_or_unambiguous() {
        let scopes = strings(&["read", UserScope::Organizations.as_str()]);
        let two = strings(&[
            "https://a.example.com",
            "https://b.example.com",
            ORGANIZATIONS_RESOURCE,
        ]);
        assert!(
            check(&["read"], None, false, &scopes, &two)
                .unwrap_err()
                .contains("requests 2 API resources")
        );
        assert!(
            check(
                &["read"],
                Some("https://a.example.com"),
                false,
                &scopes,
                &two
            )
            .is_ok()
        );
        assert!(
            check(&[], Some("https://c.example.com"), false, &scopes, &two)
                .unwrap_err()
                .contains("never requests")
        );
        assert!(check(&[], Some(ORGANIZATIONS_RESOURCE), false, &scopes, &two).is_err());
        assert!(
            check(&["read"], None, true, &scopes, &two).is_ok(),
            "organization tokens need no resource"
        );
        assert!(
            check(&[], None, true, &strings(&["read"]), &two)
                .unwrap_err()
                .contains("UserScope::Organizations")
        );
    }

    struct Auth;
    impl Config for Auth {
        const SCOPES: &'static [&'static str] = &["read"];
        const RESOURCES: &'static [&'static str] =
            &["https://api.example.com", ORGANIZATIONS_RESOURCE];
        const CLAIMS_SCOPES: &'static [&'static [&'static str]] = &[&["email"]];
    }

    #[test]
    fn const_checks_agree() {
        const { assert!(requests_scope::<Auth>("read")) };
        const { assert!(requests_scope::<Auth>("email")) };
        const { assert!(!requests_scope::<Auth>("write")) };
        const { assert!(requests_resource::<Auth>("https://api.example.com")) };
        const { assert!(!requests_resource::<Auth>(ORGANIZATIONS_RESOURCE)) };
        const { assert!(has_one_resource::<Auth>()) };
    }
}
