//! The decision's pure half: from a guard's rule, the request's credentials and the
//! config's resources, what to check (a bearer token against requirements, or the
//! session for an access token) or the refusal, and whether a token's scopes pass. No
//! I/O, no axum, no client: unit-tested on its own.

use crate::{
    axum::Rejection,
    bearer::{BearerError, Credentials, Requirements},
    guard_spec::{GuardSpec, api_resources},
    tokens::{AccessToken, TokenRequest},
};

/// One guard's rule, borrowed from a [`GuardSpec`] or a [`Guard`](super::Guard).
#[derive(Debug, Clone, Copy)]
pub(super) struct Rule<'a> {
    pub scopes: &'a [&'static str],
    pub resource: Option<&'a str>,
    pub organization: Option<&'a str>,
    /// Bearer tokens scoped to any organization pass too (not only global ones).
    pub allow_organization_scoped_tokens: bool,
    pub bearer_only: bool,
    pub redirect: bool,
    /// The handler needs the session's access token even without scopes.
    pub needs_token: bool,
}

impl<'a> From<&'a GuardSpec> for Rule<'a> {
    fn from(spec: &'a GuardSpec) -> Self {
        Self {
            scopes: spec.scopes,
            resource: spec.resource,
            organization: spec.organization,
            allow_organization_scoped_tokens: spec.allow_organization_scoped_tokens,
            bearer_only: spec.bearer_only,
            redirect: spec.redirect,
            needs_token: false,
        }
    }
}

/// Which side judges the request: `Some(token)` its bearer token alone (a valid cookie
/// beside an invalid token does not help), `None` its session; or the refusal of a
/// malformed header (400) or of a bearer-only route without a token (401).
pub(super) fn credentials<'a>(
    rule: Rule<'_>,
    credentials: Credentials<'a>,
) -> Result<Option<&'a str>, Rejection> {
    match credentials {
        Credentials::Malformed(why) => Err(Rejection::InvalidRequest(why)),
        Credentials::Bearer(token) => Ok(Some(token)),
        Credentials::None | Credentials::OtherScheme if rule.bearer_only => {
            Err(Rejection::MissingBearerToken)
        }
        Credentials::None | Credentials::OtherScheme => Ok(None),
    }
}

/// What a bearer token must meet. A resource requirement accepts global tokens only,
/// unless the guard names the organization or opted into any organization's.
pub(super) fn bearer_requirements<'a>(
    rule: Rule<'a>,
    organization: Option<&'a str>,
    resources: &'a [String],
) -> Result<Requirements<'a>, Rejection> {
    let requirements = match (rule.resource, organization) {
        (Some(resource), Some(org)) => Requirements::resource(resource).organization_id(org),
        (Some(resource), None) => Requirements::resource(resource),
        (None, Some(org)) => Requirements::organization(org),
        // The only configured resource, as for sessions; a guard without scopes also
        // takes a token for any of several.
        (None, None) => match only_resource(resources) {
            Some(resource) => Requirements::resource(resource),
            None if rule.scopes.is_empty() => Requirements::any_of(resources),
            None => return Err(no_default_resource()),
        },
    }
    .scopes(rule.scopes);
    Ok(if rule.allow_organization_scoped_tokens {
        requirements.allow_organization_scoped_tokens()
    } else {
        requirements
    })
}

/// The access token a session guard needs: for a resource, an organization, or an
/// organization-scoped token for a resource; never neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target<'a> {
    /// A global token for an API resource.
    Resource(&'a str),
    /// An organization token.
    Organization(&'a str),
    /// A token for the resource, scoped to the organization.
    ResourceInOrganization {
        resource: &'a str,
        organization: &'a str,
    },
}

impl<'a> Target<'a> {
    /// The resource and the organization, for the verdict cache's key.
    pub(super) fn parts(self) -> (Option<&'a str>, Option<&'a str>) {
        match self {
            Self::Resource(resource) => (Some(resource), None),
            Self::Organization(organization) => (None, Some(organization)),
            Self::ResourceInOrganization {
                resource,
                organization,
            } => (Some(resource), Some(organization)),
        }
    }

    /// The request for the session's token.
    pub(super) fn request(self) -> TokenRequest {
        match self {
            Self::Resource(resource) => TokenRequest::resource(resource),
            Self::Organization(organization) => TokenRequest::organization(organization),
            Self::ResourceInOrganization {
                resource,
                organization,
            } => TokenRequest::resource(resource).organization_id(organization),
        }
    }
}

/// What token a session guard needs: none for a plain signed-in check, else the
/// session's token for a resource and/or an organization.
pub(super) fn session_target<'a>(
    rule: Rule<'a>,
    organization: Option<&'a str>,
    resources: &'a [String],
) -> Result<Option<Target<'a>>, Rejection> {
    if rule.scopes.is_empty()
        && rule.resource.is_none()
        && organization.is_none()
        && !rule.needs_token
    {
        return Ok(None);
    }
    Ok(Some(match (rule.resource, organization) {
        (Some(resource), Some(organization)) => Target::ResourceInOrganization {
            resource,
            organization,
        },
        (Some(resource), None) => Target::Resource(resource),
        (None, Some(organization)) => Target::Organization(organization),
        (None, None) => Target::Resource(only_resource(resources).ok_or_else(no_default_resource)?),
    }))
}

/// Whether the token carries every scope of the rule (403 `insufficient_scope` if not).
pub(super) fn check_scopes(rule: Rule<'_>, token: Option<&AccessToken>) -> Result<(), Rejection> {
    match token {
        Some(token) if !rule.scopes.iter().all(|scope| token.has_scope(scope)) => {
            Err(BearerError::InsufficientScope {
                required: rule.scopes.iter().map(|s| (*s).to_owned()).collect(),
            }
            .into())
        }
        _ => Ok(()),
    }
}

/// The resource a guard that names none is about: the config's only API resource.
fn only_resource(resources: &[String]) -> Option<&str> {
    let mut resources = api_resources(resources);
    match (resources.next(), resources.next()) {
        (Some(only), None) => Some(only.as_str()),
        _ => None,
    }
}

fn no_default_resource() -> Rejection {
    Rejection::Misconfigured(
        "the guard names no resource and the config does not request exactly one: write \
         `resource = \"...\"` on the guard"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ORGANIZATIONS_RESOURCE;

    const API: &str = "https://api.example.com";

    fn rule(scopes: &'static [&'static str]) -> Rule<'static> {
        Rule {
            scopes,
            resource: None,
            organization: None,
            allow_organization_scoped_tokens: false,
            bearer_only: false,
            redirect: false,
            needs_token: false,
        }
    }

    fn resources(list: &[&str]) -> Vec<String> {
        list.iter().map(|r| (*r).to_owned()).collect()
    }

    #[test]
    fn the_header_picks_the_side() {
        let read = rule(&["read"]);
        assert_eq!(
            credentials(read, Credentials::Bearer("t")).ok(),
            Some(Some("t"))
        );
        assert_eq!(credentials(read, Credentials::None).ok(), Some(None));
        assert_eq!(credentials(read, Credentials::OtherScheme).ok(), Some(None));
        assert!(matches!(
            credentials(read, Credentials::Malformed("two spaces")),
            Err(Rejection::InvalidRequest("two spaces"))
        ));
        let api = Rule {
            bearer_only: true,
            ..read
        };
        assert!(matches!(
            credentials(api, Credentials::None),
            Err(Rejection::MissingBearerToken)
        ));
        assert!(matches!(
            credentials(api, Credentials::OtherScheme),
            Err(Rejection::MissingBearerToken)
        ));
    }

    #[test]
    fn a_session_needs_a_token_only_when_the_rule_does() {
        let one = resources(&[API, ORGANIZATIONS_RESOURCE]);
        assert_eq!(session_target(rule(&[]), None, &one).ok(), Some(None));
        assert_eq!(
            session_target(rule(&["read"]), None, &one).ok().flatten(),
            Some(Target::Resource(API)),
            "the only API resource; Logto's organizations resource is not one"
        );
        assert_eq!(
            session_target(rule(&["read:members"]), Some("org_1"), &one)
                .ok()
                .flatten(),
            Some(Target::Organization("org_1")),
            "an organization token is for the organization"
        );
        let needs_token = Rule {
            needs_token: true,
            ..rule(&[])
        };
        assert!(
            session_target(needs_token, None, &one)
                .ok()
                .flatten()
                .is_some()
        );
        let two = resources(&[API, "https://b.example.com"]);
        assert!(matches!(
            session_target(rule(&["read"]), None, &two),
            Err(Rejection::Misconfigured(_))
        ));
        let named = Rule {
            resource: Some("https://b.example.com"),
            ..rule(&["read"])
        };
        assert_eq!(
            session_target(named, None, &two)
                .ok()
                .flatten()
                .map(|t| t.request().key()),
            Some(TokenRequest::resource("https://b.example.com").key())
        );
    }

    #[test]
    fn a_bearer_token_meets_the_resource_the_organization_or_any_of_several() {
        let two = resources(&[API, "https://b.example.com"]);
        assert!(matches!(
            bearer_requirements(rule(&["read"]), None, &two),
            Err(Rejection::Misconfigured(_))
        ));
        assert!(
            bearer_requirements(rule(&[]), None, &two).is_ok(),
            "without scopes, a token for any of the resources"
        );
        let one = resources(&[API]);
        assert!(bearer_requirements(rule(&["read"]), None, &one).is_ok());
        assert!(bearer_requirements(rule(&["read"]), Some("org_1"), &two).is_ok());
    }

    #[test]
    fn every_scope_of_the_rule_is_needed() {
        assert!(
            check_scopes(rule(&["read", "write"]), None).is_ok(),
            "no token: signed in"
        );
    }
}
