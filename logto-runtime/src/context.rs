//! The signed-in user of a request: the equivalent of Logto's `getLogtoContext`.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::{
    claims::{ClaimError, Claims},
    error::{OAuthErrorCode, ProviderError, PublicMessage},
    logto::Logto,
    oidc,
    session::{CachedUserinfo, SessionData, SessionHandle},
    stored_session::{self, SessionEnv},
    tokens::{self, AccessToken, TokenError, TokenRequest},
};

/// Why the user of a request could not be known.
///
/// Its `Display` holds the details for the log; a client is told its
/// [`public_message`](Self::public_message) only.
///
/// ```
/// use logto::{Context, ContextError};
///
/// async fn profile(mut ctx: Context) -> String {
///     match ctx.userinfo().await {
///         Ok(Some(userinfo)) => format!("{} claims", userinfo.len()),
///         Ok(None) => "signed out".into(),
///         Err(error @ ContextError::Provider(_)) => {
///             tracing::warn!("{error}"); // the provider's URL and transport error
///             error.public_message().description().to_owned() // no URL in here
///         }
///         Err(error) => error.public_message().description().to_owned(),
///     }
/// }
/// # let _: axum::routing::MethodRouter = axum::routing::get(profile);
/// ```
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// The provider failed (userinfo, or a refresh).
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The session holds no access token to call userinfo with.
    #[error("the session holds no access token for the userinfo endpoint: sign in again")]
    NoAccessToken,
    /// The session store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// A token could not be had, or the session ended.
    #[error(transparent)]
    Token(TokenError),
    /// A claim the claims type needs is missing or malformed.
    #[error(transparent)]
    Claim(#[from] ClaimError),
    /// The claims type reads claims of scopes this client's config never requests: its
    /// fields would always be empty. A bug in the app, found when the type is first
    /// used with a client other than the one its `#[claims(config = ...)]` names.
    #[error(
        "the claims type `{claims_type}` reads claims of the scopes {scopes:?}, which this \
         client's config never requests: add `claims = [{short}]` to its #[logto::config]",
        short = claims_type.rsplit("::").next().unwrap_or(claims_type)
    )]
    ScopesNotRequested {
        /// The type, as `std::any::type_name` names it.
        claims_type: &'static str,
        /// The scopes it needs that are not requested.
        scopes: Vec<&'static str>,
    },
}

impl ContextError {
    /// What a client is told; the details go to the log.
    pub fn public_message(&self) -> PublicMessage {
        match self {
            Self::Provider(error) => error.public_message(),
            Self::NoAccessToken => PublicMessage::fixed(
                "invalid_claims",
                "the session holds no access token for the userinfo endpoint: sign in again",
            ),
            Self::Store(error) => error.public_message(),
            Self::Token(error) => error.public_message(),
            Self::Claim(error) => error.public_message(),
            Self::ScopesNotRequested { .. } => PublicMessage::fixed(
                "server_error",
                "the app cannot handle this request as it is configured: its log says why",
            ),
        }
    }
}

/// The scopes `U` needs that a config requesting `requested` (beside the ones every
/// sign-in requests) does not: a claims type's own check at compile time is against the
/// config it names, and the client at hand may have been built from another.
fn unrequested_scopes<U: Claims>(requested: &[String]) -> Vec<&'static str> {
    U::SCOPES
        .iter()
        .copied()
        .filter(|scope| {
            !crate::config::BASE_SCOPES.contains(scope)
                && !requested.iter().any(|r| r.as_str() == *scope)
        })
        .collect()
}

/// A token error keeps its meaning: the provider's and the store's failures are theirs,
/// whichever step met them.
impl From<TokenError> for ContextError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::Provider(error) => Self::Provider(error),
            TokenError::Store(error) => Self::Store(error),
            other => Self::Token(other),
        }
    }
}

/// A live session: its data and its ID token's claims, shared with the session cache
/// and copied only when the request changes them.
pub(crate) struct Live {
    pub data: Arc<SessionData>,
    pub id_claims: Arc<Map<String, Value>>,
}

impl Live {
    fn sub(&self) -> String {
        self.id_claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }
}

/// The session of the request, if it is live: an unexpired ID token, or an expired one
/// that the refresh token renews. A stored ID token alone is not enough.
///
/// The steady path (a session read or cached, its ID token unexpired) awaits nothing;
/// the store read and the renewal are boxed, so the futures of the extractors and
/// guards that call this stay small.
pub(crate) async fn live_session(
    env: &SessionEnv<'_>,
    handle: &SessionHandle,
) -> Result<Option<Live>, TokenError> {
    let Some(data) = stored_session::current(env, handle)
        .await
        .map_err(TokenError::Store)?
    else {
        return Ok(None);
    };
    let Some(id_claims) = handle.id_claims(&data) else {
        handle.lock().set_session(None);
        return Ok(None);
    };
    let live = Live { data, id_claims };
    if live.data.id_expires_at > env.settings.clock.unix_seconds() {
        return Ok(Some(live));
    }
    Box::pin(renew(env, handle, live)).await
}

/// A session whose ID token expired, renewed by the refresh token (`None`: it ended).
async fn renew(
    env: &SessionEnv<'_>,
    handle: &SessionHandle,
    mut live: Live,
) -> Result<Option<Live>, TokenError> {
    let sub = live.sub();
    let data = Arc::make_mut(&mut live.data);
    match stored_session::refresh_with_store_lock(env, handle, data, None, None, &sub).await {
        Ok(_) => {}
        Err(TokenError::SessionEnded | TokenError::NoRefreshToken) => {
            handle.lock().set_session(None);
            return Ok(None);
        }
        Err(other) => return Err(other),
    }
    let renewed = live.data.id_expires_at > env.settings.clock.unix_seconds();
    handle.lock().set_session(Some(live.data.clone()));
    live.id_claims = handle.id_claims(&live.data).unwrap_or_default();
    Ok(renewed.then_some(live))
}

/// Makes sure `live` holds the userinfo claims: from its cache, or fetched once and
/// cached until the ID token expires.
pub(crate) async fn ensure_userinfo(
    env: &SessionEnv<'_>,
    handle: &SessionHandle,
    live: &mut Live,
) -> Result<(), ContextError> {
    let now = env.settings.clock.unix_seconds();
    if live
        .data
        .userinfo
        .as_ref()
        .is_some_and(|c| c.expires_at > now)
    {
        return Ok(());
    }
    let sub = live.sub();
    let fresh = live.data.access_token.as_ref().filter(|t| t.is_fresh(now));
    let access_token = match fresh {
        Some(token) => token.token.clone(),
        None => userinfo_token(env, handle, live, None, &sub).await?,
    };
    let claims = match oidc::userinfo::fetch(&env.oidc, &access_token, &sub).await {
        // The provider no longer takes the token (revoked, or its grant ended): never
        // the client's fault. Refresh it once and ask again; a second refusal means
        // the session is over.
        Err(ProviderError::OAuth(error)) if error.code == OAuthErrorCode::InvalidToken => {
            tracing::info!(
                target: "logto::oidc",
                "the userinfo endpoint refused the access token; refreshing it once"
            );
            Arc::make_mut(&mut live.data).access_token = None;
            let access_token = userinfo_token(env, handle, live, Some(&access_token), &sub).await?;
            match oidc::userinfo::fetch(&env.oidc, &access_token, &sub).await {
                Err(ProviderError::OAuth(error)) if error.code == OAuthErrorCode::InvalidToken => {
                    tracing::warn!(
                        target: "logto::oidc",
                        "the userinfo endpoint refused a refreshed access token: signing out"
                    );
                    handle.lock().set_session(None);
                    return Err(ContextError::Token(TokenError::SessionEnded));
                }
                other => other?,
            }
        }
        other => other?,
    };
    let data = Arc::make_mut(&mut live.data);
    data.userinfo = Some(CachedUserinfo {
        claims,
        expires_at: data.id_expires_at,
    });
    handle.lock().set_session(Some(live.data.clone()));
    Ok(())
}

/// A new access token for the userinfo endpoint, written back to the session; never
/// the one the provider `refused`.
async fn userinfo_token(
    env: &SessionEnv<'_>,
    handle: &SessionHandle,
    live: &mut Live,
    refused: Option<&str>,
    sub: &str,
) -> Result<String, ContextError> {
    let data = Arc::make_mut(&mut live.data);
    let refreshed =
        stored_session::refresh_with_store_lock(env, handle, data, None, refused, sub).await;
    handle.lock().set_session(Some(live.data.clone()));
    match refreshed {
        Ok(token) => Ok(token.token),
        Err(TokenError::SessionEnded) => {
            handle.lock().set_session(None);
            Err(ContextError::Token(TokenError::SessionEnded))
        }
        Err(TokenError::Provider(error)) => Err(error.into()),
        Err(other) => Err(ContextError::Token(other)),
    }
}

/// An access token for `request`, from the session or refreshed.
pub(crate) async fn access_token(
    env: &SessionEnv<'_>,
    handle: &SessionHandle,
    request: &TokenRequest,
) -> Result<AccessToken, TokenError> {
    tokens::check_request(env.settings, request)?;
    let Some(mut live) = live_session(env, handle).await? else {
        return Err(TokenError::SignedOut);
    };
    let key = request.key();
    let now = env.settings.clock.unix_seconds();
    let cached = live
        .data
        .tokens
        .get(&key)
        .filter(|t| t.is_fresh(now) && !request.is_forced());
    let token = match cached {
        Some(token) => token.clone(),
        None => {
            let before = live.data.clone();
            let sub = live.sub();
            let refreshed = Box::pin(stored_session::refresh_with_store_lock(
                env,
                handle,
                Arc::make_mut(&mut live.data),
                Some(request),
                None,
                &sub,
            ))
            .await;
            match refreshed {
                Err(TokenError::SessionEnded) => {
                    handle.lock().set_session(None);
                    return Err(TokenError::SessionEnded);
                }
                result => {
                    if live.data != before {
                        handle.lock().set_session(Some(live.data.clone()));
                    }
                    result?
                }
            }
        }
    };
    Ok(AccessToken {
        scopes: token
            .scope
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        token: token.token,
        expires_at: token.expires_at,
        resource: request.resource_indicator().map(str::to_owned),
        organization_id: request.organization_indicator().map(str::to_owned),
    })
}

/// The typed claims of the request's user, or `None` when signed out.
pub(crate) async fn load_claims<U: Claims>(
    env: &SessionEnv<'_>,
    handle: &SessionHandle,
) -> Result<Option<(U, Live)>, ContextError> {
    // Before the session, so a misconfigured page fails for every visitor, signed in or
    // not, rather than showing empty claims.
    if !U::SCOPES.is_empty() {
        let scopes = unrequested_scopes::<U>(&env.settings.scopes);
        if !scopes.is_empty() {
            return Err(ContextError::ScopesNotRequested {
                claims_type: std::any::type_name::<U>(),
                scopes,
            });
        }
    }
    let Some(mut live) = live_session(env, handle).await? else {
        return Ok(None);
    };
    let now = env.settings.clock.unix_seconds();
    let cached = live
        .data
        .userinfo
        .as_ref()
        .is_some_and(|c| c.expires_at > now);
    if U::NEEDS_USERINFO && !cached {
        Box::pin(ensure_userinfo(env, handle, &mut live)).await?;
    }
    let userinfo = live
        .data
        .userinfo
        .as_ref()
        .filter(|_| U::NEEDS_USERINFO)
        .map(|cached| &cached.claims);
    let claims = U::__from_shared_claims(&live.id_claims, userinfo)?;
    Ok(Some((claims, live)))
}

/// What a handler knows of its request's user.
///
/// `U` is a `#[derive(Claims)]` type; the default [`IdTokenClaims`](crate::claims::IdTokenClaims)
/// holds every claim of the ID token untyped. Signed out, `claims()` is `None`.
///
/// ```
/// use logto::{Context, TokenError};
///
/// #[logto::config(
///     scopes = ["read"],
///     resources = ["https://shopping.your-app.com/api"],
///     claims = [User],
/// )]
/// pub struct Auth;
///
/// #[derive(logto::Claims)]
/// #[claims(config = Auth)]
/// pub struct User {
///     pub sub: String,
///     pub email: Option<String>,
/// }
///
/// // Signed out is not an error here: `claims()` is `None`.
/// async fn home(ctx: Context<User>) -> String {
///     match ctx.claims() {
///         Some(user) => format!("Hello, {}", user.email.as_deref().unwrap_or(&user.sub)),
///         None => "Signed out".into(),
///     }
/// }
///
/// // An access token for an API resource, refreshed when it is due.
/// async fn call_api(ctx: Context<User>) -> Result<String, TokenError> {
///     let token = ctx.access_token("https://shopping.your-app.com/api").await?;
///     Ok(format!("Bearer {}", token.as_str()))
/// }
/// # let _: axum::Router = axum::Router::new()
/// #     .route("/", axum::routing::get(home))
/// #     .route("/call", axum::routing::get(call_api));
/// ```
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
        self.live.as_ref().map(|l| &*l.id_claims)
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
        ensure_userinfo(&self.logto.inner.session_env(), &self.handle, live).await?;
        Ok(live
            .data
            .userinfo
            .as_ref()
            .map(|cached| cached.claims.clone()))
    }

    /// The access token for an API resource (`getAccessToken` in Logto's SDKs), from
    /// the session or refreshed; a refresh is written back on the response.
    pub async fn access_token(&self, resource: &str) -> Result<AccessToken, TokenError> {
        self.token(&TokenRequest::resource(resource)).await
    }

    /// An organization token (`getOrganizationToken`).
    pub async fn organization_token(
        &self,
        organization_id: &str,
    ) -> Result<AccessToken, TokenError> {
        self.token(&TokenRequest::organization(organization_id))
            .await
    }

    /// Any access token: resource, organization, both, forced or not.
    ///
    /// Refreshes happen one at a time per session: concurrent requests wait for the
    /// refresh in flight and share its result, and requests that still carry the
    /// consumed refresh token (an old cookie) get the new tokens. In one process that
    /// needs nothing; across several instances it needs a shared
    /// [`SessionStore`](crate::SessionStore), whose lock serializes the refresh.
    pub async fn token(&self, request: &TokenRequest) -> Result<AccessToken, TokenError> {
        access_token(&self.logto.inner.session_env(), &self.handle, request).await
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
