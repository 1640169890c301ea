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
    context,
    session::SessionHandle,
    session_cache::{self, Key, Lookup},
    stored_session::SessionEnv,
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
    let id = params
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .ok_or_else(|| {
            Rejection::Misconfigured(format!(
                "the route has no path parameter `{name}` to read the organization id from: name one in the route \
                 (`/orgs/{{{name}}}/...`) or fix `organization = \"{name}\"`"
            ))
        })?;
    // An empty id (`/orgs//api`) would name no organization: the session's global
    // token must never stand in for an organization's.
    if !crate::tokens::is_organization_id(&id) {
        return Err(Rejection::InvalidRequest(
            "the organization id in the path is empty or not an organization id",
        ));
    }
    Ok(id)
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
    Cached(Arc<session_cache::Entry>),
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
            Self::Cached(entry) => entry.token().cloned(),
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
            let env = logto.inner.session_env();
            let target =
                plan::session_target(rule, organization.as_deref(), &env.settings.resources)?;
            match session_verdict(&env, &handle, rule, target).await? {
                SessionVerdict::Granted(granted) => Ok(granted),
                SessionVerdict::SignedOut => Err(signed_out(rule, &logto, parts)),
            }
        }
    }
}

/// The session half's answer, short of the redirect to sign-in (which needs the
/// request's URL).
pub(super) enum SessionVerdict {
    Granted(Granted),
    SignedOut,
}

/// The session's side of a guard: a cached verdict on the session cookie, else a live
/// session and, for `target`, the session's access token (refreshed as needed), judged
/// by the rule's scopes. Needs no axum and no client: a [`SessionEnv`] and the
/// request's session.
pub(super) async fn session_verdict(
    env: &SessionEnv<'_>,
    handle: &SessionHandle,
    rule: Rule<'_>,
    target: Option<plan::Target<'_>>,
) -> Result<SessionVerdict, Rejection> {
    let (resource, organization) = target.map_or((None, None), plan::Target::parts);
    let now = env.settings.clock.unix_seconds();
    let lookup = Lookup::Verdict {
        resource,
        organization,
        needs_token: target.is_some(),
    };
    // Only for a session this request has not read yet: once read, the request's own
    // copy is the truth (an extractor before the guard may have signed it out).
    let cached = {
        let session = handle.lock();
        let key = session
            .is_unread()
            .then(|| Key::new(env.cache, &session, env.settings, lookup))
            .flatten();
        key.and_then(|key| {
            env.cache
                .get(&key, now, |refresh| env.refresh.has_news(refresh))
        })
    };
    if let Some(entry) = cached {
        plan::check_scopes(rule, entry.token())?;
        return Ok(SessionVerdict::Granted(Granted::Cached(entry)));
    }
    let request = target.map(plan::Target::request);
    // Boxed: reading, refreshing and writing a session makes a large future, and the
    // cached path above must not pay for moving it with every request.
    let Some(token) = Box::pin(uncached(env, handle, request, lookup, now)).await? else {
        return Ok(SessionVerdict::SignedOut);
    };
    plan::check_scopes(rule, token.as_ref())?;
    Ok(SessionVerdict::Granted(
        token.map_or(Granted::SignedIn, Granted::Session),
    ))
}

/// The session's side of a guard, uncached: `None` when signed out, else the session's
/// token for `request` (none without a request). Caches the verdict when the session
/// came through unchanged.
async fn uncached(
    env: &SessionEnv<'_>,
    handle: &SessionHandle,
    request: Option<TokenRequest>,
    lookup: Lookup<'_>,
    now: i64,
) -> Result<Option<Option<AccessToken>>, Rejection> {
    let token = match &request {
        None => match context::live_session(env, handle).await {
            Ok(Some(_)) => None,
            Ok(None) => return Ok(None),
            Err(error) => return Err(error.into()),
        },
        Some(request) => match context::access_token(env, handle, request).await {
            Ok(token) => Some(token),
            Err(TokenError::SignedOut | TokenError::SessionEnded | TokenError::NoRefreshToken) => {
                return Ok(None);
            }
            Err(error) => return Err(error.into()),
        },
    };
    remember(env, handle, lookup, request.as_ref(), token.clone(), now);
    Ok(Some(token))
}

/// Caches the verdict on a session this request left as it came (the cookie then holds
/// exactly what was judged).
fn remember(
    env: &SessionEnv<'_>,
    handle: &SessionHandle,
    lookup: Lookup<'_>,
    request: Option<&TokenRequest>,
    token: Option<AccessToken>,
    now: i64,
) {
    let mut session = handle.lock();
    if session.pending().is_some() {
        return;
    }
    let Some(data) = session.session(env.settings).cloned() else {
        return;
    };
    let Some(key) = Key::new(env.cache, &session, env.settings, lookup) else {
        return;
    };
    let refresh_at = match request {
        Some(request) => match data.tokens.get(&request.key()) {
            Some(stored) => Some(stored.refresh_at),
            None => return,
        },
        None => None,
    };
    env.cache
        .insert_verdict(&key, &data, refresh_at, token, now);
}

/// 401 with the bearer challenge, or for a page that opted in, a redirect to sign-in
/// that comes back here.
fn signed_out(rule: Rule<'_>, logto: &Logto, parts: &Parts) -> Rejection {
    Rejection::signed_out(rule.redirect, true, logto, parts)
}

/// The session half, driven without axum and without a client: a [`SessionEnv`] of
/// plain parts and a request's cookies.
#[cfg(test)]
mod tests {
    use std::time::Duration;

    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    use http::{HeaderMap, HeaderValue, header::COOKIE};

    use super::*;
    use crate::{
        bearer::BearerError,
        oidc::{Client, HttpClient, ProviderCache},
        session::{RequestSession, SessionData, StoredToken},
        session_cache::SessionCache,
        settings::Settings,
        tokens::RefreshCoordinator,
    };

    const API: &str = "https://api.example.com";

    struct Parts {
        settings: Settings,
        http: HttpClient,
        provider_cache: ProviderCache,
        refresh: RefreshCoordinator,
        cache: SessionCache,
    }

    impl Parts {
        fn new() -> Self {
            Self {
                settings: crate::settings::tests::builder().validate().unwrap(),
                http: HttpClient::new(Duration::from_secs(1)),
                provider_cache: ProviderCache::default(),
                refresh: RefreshCoordinator::default(),
                cache: SessionCache::default(),
            }
        }

        fn env(&self) -> SessionEnv<'_> {
            SessionEnv {
                settings: &self.settings,
                oidc: Client {
                    settings: &self.settings,
                    http: &self.http,
                    provider_cache: &self.provider_cache,
                },
                refresh: &self.refresh,
                cache: &self.cache,
            }
        }

        /// A request carrying `data` as its session cookie, sealed by the cookie
        /// writer itself.
        fn request(&self, data: &SessionData) -> SessionHandle {
            self.carrying(&self.cookie(data))
        }

        /// A request carrying `cookie`.
        fn carrying(&self, cookie: &str) -> SessionHandle {
            let mut headers = HeaderMap::new();
            headers.insert(COOKIE, HeaderValue::from_str(cookie).unwrap());
            SessionHandle::new(RequestSession::from_headers(&headers, &self.settings))
        }

        /// `data` sealed into a `Cookie` header by the cookie writer.
        fn cookie(&self, data: &SessionData) -> String {
            let mut writer = RequestSession::from_headers(&HeaderMap::new(), &self.settings);
            writer.set_session(Some(Arc::new(data.clone())));
            let cookies: Vec<String> = writer
                .set_cookie_headers(&self.settings)
                .iter()
                .filter_map(|c| c.split(';').next().map(str::to_owned))
                .collect();
            cookies.join("; ")
        }
    }

    fn session(now: i64) -> SessionData {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"user-1"}"#);
        let mut tokens = std::collections::BTreeMap::new();
        tokens.insert(
            format!("{API}#"),
            StoredToken {
                token: "api-token".into(),
                scope: Some("read".into()),
                expires_at: now + 3600,
                refresh_at: now + 3000,
            },
        );
        SessionData {
            id_token: format!("h.{payload}.s"),
            refresh_token: None,
            access_token: None,
            tokens,
            userinfo: None,
            id_expires_at: now + 3600,
            issued_at: 0,
            expires_at: now + 3600,
            sid: None,
            signed_in_at: 0,
        }
    }

    fn rule(scopes: &'static [&'static str]) -> Rule<'static> {
        Rule {
            scopes,
            resource: Some(API),
            organization: None,
            allow_organization_scoped_tokens: false,
            bearer_only: false,
            redirect: false,
            needs_token: false,
        }
    }

    fn granted(verdict: Result<SessionVerdict, Rejection>) -> Granted {
        match verdict {
            Ok(SessionVerdict::Granted(granted)) => granted,
            Ok(SessionVerdict::SignedOut) => panic!("signed out"),
            Err(rejection) => panic!("refused: {rejection:?}"),
        }
    }

    #[tokio::test]
    async fn a_session_with_the_scope_passes_then_passes_from_the_cache() {
        let parts = Parts::new();
        let env = parts.env();
        let data = session(parts.settings.clock.unix_seconds());
        let target = Some(plan::Target::Resource(API));
        let first = session_verdict(&env, &parts.request(&data), rule(&["read"]), target).await;
        assert!(matches!(granted(first), Granted::Session(t) if t.as_str() == "api-token"));
        let again = session_verdict(&env, &parts.request(&data), rule(&["read"]), target).await;
        // Another seal of the same session is another cookie: decoded once more, then
        // its verdict is cached too.
        assert!(matches!(granted(again), Granted::Session(_)));
        let cookie = parts.cookie(&data);
        let _ = session_verdict(&env, &parts.carrying(&cookie), rule(&["read"]), target).await;
        let cached = session_verdict(&env, &parts.carrying(&cookie), rule(&["read"]), target).await;
        assert!(
            matches!(granted(cached), Granted::Cached(_)),
            "the same cookie again"
        );
        // A request whose extractor read the session already judges its own copy.
        let handle = parts.carrying(&cookie);
        assert!(
            context::live_session(&env, &handle)
                .await
                .unwrap()
                .is_some()
        );
        let again = session_verdict(&env, &handle, rule(&["read"]), target).await;
        assert!(matches!(granted(again), Granted::Session(_)));
    }

    #[tokio::test]
    async fn a_session_signed_out_earlier_in_the_request_never_passes_on_a_cached_verdict() {
        let parts = Parts::new();
        let env = parts.env();
        let data = session(parts.settings.clock.unix_seconds());
        let cookie = parts.cookie(&data);
        let target = Some(plan::Target::Resource(API));
        let first = session_verdict(&env, &parts.carrying(&cookie), rule(&["read"]), target).await;
        assert!(matches!(granted(first), Granted::Session(_)));
        // An extractor before the guard ended the session (userinfo refused twice).
        let handle = parts.carrying(&cookie);
        handle.lock().set_session(None);
        let verdict = session_verdict(&env, &handle, rule(&["read"]), target).await;
        assert!(matches!(verdict, Ok(SessionVerdict::SignedOut)));
    }

    #[tokio::test]
    async fn a_missing_scope_is_refused_cached_or_not() {
        let parts = Parts::new();
        let env = parts.env();
        let data = session(parts.settings.clock.unix_seconds());
        let handle = parts.request(&data);
        let target = Some(plan::Target::Resource(API));
        for _ in 0..2 {
            let verdict = session_verdict(&env, &handle, rule(&["read", "write"]), target).await;
            assert!(
                matches!(
                    verdict,
                    Err(Rejection::Bearer(BearerError::InsufficientScope { .. }))
                ),
                "{:?}",
                verdict.err()
            );
        }
    }

    #[tokio::test]
    async fn an_expired_session_without_a_refresh_token_is_signed_out() {
        let parts = Parts::new();
        let env = parts.env();
        let now = parts.settings.clock.unix_seconds();
        let mut data = session(now);
        data.id_expires_at = now - 1;
        let verdict = session_verdict(&env, &parts.request(&data), rule(&[]), None).await;
        assert!(matches!(verdict, Ok(SessionVerdict::SignedOut)));
        let no_cookie = SessionHandle::new(RequestSession::from_headers(
            &HeaderMap::new(),
            &parts.settings,
        ));
        let verdict = session_verdict(&env, &no_cookie, rule(&[]), None).await;
        assert!(matches!(verdict, Ok(SessionVerdict::SignedOut)));
    }
}
