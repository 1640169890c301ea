//! The signed-in user of a request: the equivalent of Logto's `getLogtoContext`.

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value};

use crate::{
    claims::{ClaimError, Claims},
    error::ProviderError,
    logto::{Inner, Logto},
    oidc,
    session::{CachedUserinfo, RequestSession, SessionData},
};

/// The session cookies of one request, shared by its extractors and written back by the
/// layer on the response.
#[derive(Clone)]
pub(crate) struct SessionHandle(Arc<Mutex<RequestSession>>);

impl SessionHandle {
    pub fn new(session: RequestSession) -> Self {
        Self(Arc::new(Mutex::new(session)))
    }

    /// Never held across an `.await`.
    pub fn lock(&self) -> MutexGuard<'_, RequestSession> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Why the user of a request could not be known.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// The provider failed (userinfo, or a refresh).
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The session holds no access token to call userinfo with.
    #[error("the session holds no access token for the userinfo endpoint: sign in again")]
    NoAccessToken,
    /// A claim the claims type needs is missing or malformed.
    #[error(transparent)]
    Claim(#[from] ClaimError),
}

/// A live session: its data and its ID token's claims.
pub(crate) struct Live {
    pub data: SessionData,
    pub id_claims: Map<String, Value>,
}

/// The session of the request, if it is live: an unexpired ID token. A stored ID token
/// alone is not enough.
pub(crate) fn live_session(inner: &Inner, handle: &SessionHandle) -> Option<Live> {
    let data = handle.lock().session(&inner.settings)?.clone();
    let id_claims = data.id_token_claims()?;
    let exp = id_claims.get("exp").and_then(Value::as_i64)?;
    (exp > inner.settings.clock.unix_seconds()).then_some(Live { data, id_claims })
}

/// The userinfo claims of a live session, from its cache or fetched once and cached
/// until the ID token expires.
pub(crate) async fn userinfo(
    inner: &Inner,
    handle: &SessionHandle,
    live: &mut Live,
) -> Result<Map<String, Value>, ContextError> {
    let now = inner.settings.clock.unix_seconds();
    if let Some(cached) = live.data.userinfo.as_ref().filter(|c| c.expires_at > now) {
        return Ok(cached.claims.clone());
    }
    let access_token = live
        .data
        .access_token
        .as_ref()
        .map(|t| t.token.clone())
        .ok_or(ContextError::NoAccessToken)?;
    let sub = live.id_claims.get("sub").and_then(Value::as_str).unwrap_or_default().to_owned();
    let claims = oidc::userinfo::fetch(inner, &access_token, &sub).await?;
    let expires_at = live.id_claims.get("exp").and_then(Value::as_i64).unwrap_or(now);
    live.data.userinfo = Some(CachedUserinfo {
        claims: claims.clone(),
        expires_at,
    });
    handle.lock().set_session(Some(live.data.clone()));
    Ok(claims)
}

/// The typed claims of the request's user, or `None` when signed out.
pub(crate) async fn load_claims<U: Claims>(
    inner: &Inner,
    handle: &SessionHandle,
) -> Result<Option<(U, Live)>, ContextError> {
    let Some(mut live) = live_session(inner, handle) else {
        return Ok(None);
    };
    let userinfo = if U::NEEDS_USERINFO {
        Some(userinfo(inner, handle, &mut live).await?)
    } else {
        None
    };
    let claims = U::from_claims(&live.id_claims, userinfo.as_ref())?;
    Ok(Some((claims, live)))
}

/// What a handler knows of its request's user.
///
/// `U` is a `#[derive(Claims)]` type; the default [`IdTokenClaims`](crate::claims::IdTokenClaims)
/// holds every claim of the ID token untyped. Signed out, `claims()` is `None`.
pub struct Context<U = crate::claims::IdTokenClaims> {
    pub(crate) logto: Logto,
    pub(crate) handle: SessionHandle,
    pub(crate) live: Option<Live>,
    pub(crate) claims: Option<U>,
}

impl<U> Context<U> {
    /// Whether the request has a live session.
    pub fn is_authenticated(&self) -> bool {
        self.live.is_some()
    }

    /// The user's typed claims, when signed in.
    pub fn claims(&self) -> Option<&U> {
        self.claims.as_ref()
    }

    /// The user's typed claims, when signed in.
    pub fn into_claims(self) -> Option<U> {
        self.claims
    }

    /// Every claim of the ID token, untyped.
    pub fn id_token_claims(&self) -> Option<&Map<String, Value>> {
        self.live.as_ref().map(|l| &l.id_claims)
    }

    /// The raw ID token, for passing on (`id_token_hint`, a backend that wants it).
    pub fn id_token(&self) -> Option<&str> {
        self.live.as_ref().map(|l| l.data.id_token.as_str())
    }

    /// The userinfo response, fetched on the first call and cached in the session;
    /// `None` when signed out.
    pub async fn userinfo(&mut self) -> Result<Option<Map<String, Value>>, ContextError> {
        let Some(live) = self.live.as_mut() else {
            return Ok(None);
        };
        userinfo(&self.logto.inner, &self.handle, live).await.map(Some)
    }
}

impl<U: std::fmt::Debug> std::fmt::Debug for Context<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("is_authenticated", &self.is_authenticated())
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}
