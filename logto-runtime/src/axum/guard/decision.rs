//! The decision: a rule against a request's bearer token or session, with the
//! session verdict cache; no layer, no extractor.

use std::sync::Arc;

use axum::extract::{FromRequestParts, RawPathParams};
use http::request::Parts;

use super::super::{Rejection, layer::RequestLogto};
use crate::{
    BearerVerifier, Logto,
    bearer::{BearerError, Credentials, Requirements, verify::Verified},
    context::{self},
    guard_spec::{GuardSpec, api_resources},
    logto::Inner,
    session::SessionHandle,
    session_cache,
    tokens::{AccessToken, TokenError, TokenRequest},
};

/// One guard's rule, borrowed from a [`GuardSpec`] or a [`Guard`].
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

/// The verifier for a request: the layer's own, a [`BearerVerifier::layer`]'s, or
/// the one the [`Logto`] client owns.
fn verifier<'a>(own: Option<&'a BearerVerifier>, parts: &'a Parts) -> Option<&'a BearerVerifier> {
    own.or_else(|| parts.extensions.get::<BearerVerifier>())
        .or_else(|| {
            parts
                .extensions
                .get::<RequestLogto>()
                .map(|r| &r.logto.inner.bearer)
        })
}

async fn organization_id<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
    name: &str,
) -> Result<String, Rejection> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|e| {
            Rejection::Misconfigured(format!(
                "the organization id is read from the path parameter `{name}`: {e}"
            ))
        })?;
    params
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .ok_or_else(|| {
            Rejection::Misconfigured(format!(
                "the route has no path parameter `{name}` to read the organization id from: name one in the route \
                 (`/orgs/{{{name}}}/...`) or fix `organization = \"{name}\"`"
            ))
        })
}

/// What a guard let through, kept in the request for the [`AccessToken`] extractor,
/// which builds the token only when a handler asks (most guarded handlers never do).
#[derive(Clone)]
pub(crate) enum Granted {
    /// The request's bearer token, verified.
    Bearer {
        verified: Arc<Verified>,
        /// The matched resource's position in the token's `aud`.
        resource: Option<usize>,
        organization_id: Option<String>,
    },
    /// The session's access token, from a cached verdict.
    Cached(Arc<session_cache::Verdict>),
    /// The session's access token, just read or refreshed.
    Session(AccessToken),
    /// A signed-in session; no token was needed.
    SignedIn,
}

impl Granted {
    pub(super) fn access_token(&self, parts: &Parts) -> Option<AccessToken> {
        match self {
            Self::Bearer {
                verified,
                resource,
                organization_id,
            } => match Credentials::from_headers(&parts.headers) {
                Credentials::Bearer(token) => {
                    Some(verified.access_token(token, *resource, organization_id.clone()))
                }
                _ => None,
            },
            Self::Cached(verdict) => verdict.token.clone(),
            Self::Session(token) => Some(token.clone()),
            Self::SignedIn => None,
        }
    }
}

/// Runs `rule` on a request; returns what it let through.
pub(super) async fn decide<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
    rule: Rule<'_>,
    own: Option<&BearerVerifier>,
) -> Result<Granted, Rejection> {
    let organization = match rule.organization {
        Some(name) => Some(organization_id(parts, state, name).await?),
        None => None,
    };
    match Credentials::from_headers(&parts.headers) {
        Credentials::Malformed(why) => Err(Rejection::InvalidRequest(why)),
        Credentials::Bearer(token) => {
            let Some(verifier) = verifier(own, parts) else {
                return Err(Rejection::MissingLayer);
            };
            // A resource requirement accepts global tokens only, unless the guard names
            // the organization or opted into any organization's.
            let requirements = match (rule.resource, organization.as_deref()) {
                (Some(resource), Some(org)) => {
                    Requirements::resource(resource).organization_id(org)
                }
                (Some(resource), None) => Requirements::resource(resource),
                (None, Some(org)) => Requirements::organization(org),
                // The only configured resource, as for sessions; a guard without
                // scopes also takes a token for any of several.
                (None, None) => match only_resource(verifier.resources()) {
                    Some(resource) => Requirements::resource(resource),
                    None if rule.scopes.is_empty() => Requirements::any_of(verifier.resources()),
                    None => return Err(no_default_resource()),
                },
            }
            .scopes(rule.scopes);
            let requirements = if rule.allow_organization_scoped_tokens {
                requirements.allow_organization_scoped_tokens()
            } else {
                requirements
            };
            let (verified, resource, organization_id) =
                verifier.verify_grant(token, &requirements).await?;
            Ok(Granted::Bearer {
                verified,
                resource,
                organization_id,
            })
        }
        Credentials::None | Credentials::OtherScheme if rule.bearer_only => {
            Err(Rejection::MissingBearerToken)
        }
        Credentials::None | Credentials::OtherScheme => {
            let Some(RequestLogto { logto, handle }) =
                parts.extensions.get::<RequestLogto>().cloned()
            else {
                // An API without sessions: only bearer tokens could have passed.
                return match verifier(own, parts) {
                    Some(_) => Err(Rejection::MissingBearerToken),
                    None => Err(Rejection::MissingLayer),
                };
            };
            let inner = &logto.inner;
            let target = token_target(rule, organization, &inner.settings.resources)?;
            let (resource, org) = match &target {
                Some((resource, org)) => (*resource, org.as_deref()),
                None => (None, None),
            };
            let now = inner.settings.clock.unix_seconds();
            let key = {
                let session = handle.lock();
                session_cache::Key::new(
                    &inner.guard_cache,
                    &session,
                    &inner.settings,
                    resource,
                    org,
                    target.is_some(),
                )
            };
            if let Some(verdict) = key.as_ref().and_then(|key| {
                inner
                    .guard_cache
                    .get(key, now, |refresh| inner.refresh.has_news(refresh))
            }) {
                check_scopes(rule, verdict.token.as_ref())?;
                return Ok(Granted::Cached(verdict));
            }
            let request = target
                .as_ref()
                .map(|(resource, org)| match (resource, org) {
                    (Some(resource), Some(org)) => {
                        TokenRequest::resource(*resource).organization_id(org)
                    }
                    (Some(resource), None) => TokenRequest::resource(*resource),
                    (None, Some(org)) => TokenRequest::organization(org),
                    (None, None) => unreachable!("a target names a resource or an organization"),
                });
            // Boxed: reading, refreshing and writing a session makes a large future, and
            // the cached path above must not pay for moving it with every request.
            let token = Box::pin(session_guard(
                parts, rule, request, key, now, &logto, handle,
            ))
            .await?;
            check_scopes(rule, token.as_ref())?;
            Ok(token.map_or(Granted::SignedIn, Granted::Session))
        }
    }
}

/// What token a session guard needs: none for a plain signed-in check, else the
/// session's token for a resource and/or an organization.
#[allow(clippy::type_complexity)]
fn token_target<'a>(
    rule: Rule<'a>,
    organization: Option<String>,
    resources: &'a [String],
) -> Result<Option<(Option<&'a str>, Option<String>)>, Rejection> {
    if rule.scopes.is_empty()
        && rule.resource.is_none()
        && organization.is_none()
        && !rule.needs_token
    {
        return Ok(None);
    }
    let resource = match rule.resource {
        Some(resource) => Some(resource),
        None if organization.is_some() => None,
        None => Some(only_resource(resources).ok_or_else(no_default_resource)?),
    };
    Ok(Some((resource, organization)))
}

/// Whether the token carries every scope of the rule.
fn check_scopes(rule: Rule<'_>, token: Option<&AccessToken>) -> Result<(), Rejection> {
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

/// The session's side of a guard, uncached: a live session, and for `request` the
/// session's access token (refreshed as needed). Caches the verdict when the session
/// came through unchanged.
async fn session_guard(
    parts: &Parts,
    rule: Rule<'_>,
    request: Option<TokenRequest>,
    cache_key: Option<session_cache::Key<'_>>,
    now: i64,
    logto: &Logto,
    handle: SessionHandle,
) -> Result<Option<AccessToken>, Rejection> {
    let inner = &logto.inner;
    let token = match &request {
        None => match context::live_session(inner, &handle).await {
            Ok(Some(_)) => None,
            Ok(None) => return Err(signed_out(rule, logto, parts)),
            Err(error) => return Err(error.into()),
        },
        Some(request) => match context::access_token(inner, &handle, request).await {
            Ok(token) => Some(token),
            Err(TokenError::SignedOut | TokenError::SessionEnded | TokenError::NoRefreshToken) => {
                return Err(signed_out(rule, logto, parts));
            }
            Err(error) => return Err(error.into()),
        },
    };
    if let Some(key) = &cache_key {
        remember(inner, &handle, key, request.as_ref(), token.clone(), now);
    }
    Ok(token)
}

/// Caches the verdict on a session this request left as it came (the cookie then holds
/// exactly what was judged).
fn remember(
    inner: &Inner,
    handle: &SessionHandle,
    key: &session_cache::Key<'_>,
    request: Option<&TokenRequest>,
    token: Option<AccessToken>,
    now: i64,
) {
    let mut session = handle.lock();
    if session.pending().is_some() {
        return;
    }
    let Some(data) = session.session(&inner.settings) else {
        return;
    };
    let refresh_at = match request {
        Some(request) => match data.tokens.get(&request.key()) {
            Some(stored) => Some(stored.refresh_at),
            None => return,
        },
        None => None,
    };
    inner.guard_cache.insert(key, data, refresh_at, token, now);
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

/// 401 with the bearer challenge, or for a page that opted in, a redirect to sign-in
/// that comes back here.
fn signed_out(rule: Rule<'_>, logto: &Logto, parts: &Parts) -> Rejection {
    Rejection::signed_out(rule.redirect, true, logto, parts)
}
