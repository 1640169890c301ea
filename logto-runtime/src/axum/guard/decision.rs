//! The decision: a rule against a request's bearer token or session, with the
//! session verdict cache; no layer, no extractor.

use std::sync::Arc;

use axum::extract::{FromRequestParts, RawPathParams};
use http::request::Parts;

use super::{
    super::{Rejection, layer::RequestLogto},
    plan::{self, Rule},
};
use crate::{
    BearerVerifier, Logto,
    bearer::{Credentials, verify::Verified},
    context::{self},
    logto::Inner,
    session::SessionHandle,
    session_cache,
    tokens::{AccessToken, TokenError, TokenRequest},
};

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
    match plan::credentials(rule, Credentials::from_headers(&parts.headers))? {
        Some(token) => {
            let Some(verifier) = verifier(own, parts) else {
                return Err(Rejection::MissingLayer);
            };
            let requirements =
                plan::bearer_requirements(rule, organization.as_deref(), verifier.resources())?;
            let (verified, resource, organization_id) =
                verifier.verify_grant(token, &requirements).await?;
            Ok(Granted::Bearer {
                verified,
                resource,
                organization_id,
            })
        }
        None => {
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
            let target =
                plan::session_target(rule, organization.as_deref(), &inner.settings.resources)?;
            let (resource, org) = target.map_or((None, None), plan::Target::parts);
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
                plan::check_scopes(rule, verdict.token.as_ref())?;
                return Ok(Granted::Cached(verdict));
            }
            let request = target.map(plan::Target::request);
            // Boxed: reading, refreshing and writing a session makes a large future, and
            // the cached path above must not pay for moving it with every request.
            let token = Box::pin(session_guard(
                parts, rule, request, key, now, &logto, handle,
            ))
            .await?;
            plan::check_scopes(rule, token.as_ref())?;
            Ok(token.map_or(Granted::SignedIn, Granted::Session))
        }
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

/// 401 with the bearer challenge, or for a page that opted in, a redirect to sign-in
/// that comes back here.
fn signed_out(rule: Rule<'_>, logto: &Logto, parts: &Parts) -> Rejection {
    Rejection::signed_out(rule.redirect, true, logto, parts)
}
