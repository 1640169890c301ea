//! The builder of a [`Logto`](crate::Logto): what `#[logto::config]` fixed, plus the
//! values of one deployment set one by one (the environment is read in `env.rs`, and
//! everything is checked in `validate.rs`).

use std::{fmt, sync::Arc, time::Duration};

use super::BackchannelLogout;
use crate::{
    clock::{Clock, SystemClock},
    config::Config,
    sign_in_options::SignInOptions,
    store::SessionStore,
};

/// Builds a [`Logto`](crate::Logto) from explicit values, the environment, or both.
///
/// [`Logto::from_env`](crate::Logto::from_env) is `Logto::builder().from_env().build()`;
/// the builder is for values that do not come from the environment, and for the
/// options that have no variable (a session store, timeouts, route paths).
///
/// ```
/// use std::time::Duration;
///
/// #[logto::config(scopes = [logto::UserScope::Email])]
/// pub struct Auth;
///
/// let logto = logto::Logto::builder::<Auth>()
///     .endpoint("https://tenant.logto.app")
///     .app_id("my-app")
///     .app_secret("my-secret")
///     .base_url("http://localhost:3000")
///     .cookie_secret("complex_password_at_least_32_characters_long")
///     .post_sign_in_path("/dashboard")
///     .http_timeout(Duration::from_secs(3))
///     .build()?;
/// assert_eq!(logto.sign_in_path(), "/sign-in");
/// # Ok::<(), logto::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct LogtoBuilder {
    pub(super) endpoint: Option<String>,
    pub(super) issuer: Option<String>,
    pub(super) app_id: Option<String>,
    pub(super) app_secret: Option<String>,
    pub(super) base_url: Option<String>,
    pub(super) cookie_secret: Option<String>,
    pub(super) old_cookie_secrets: Vec<String>,
    pub(super) cookie_secure: Option<bool>,
    pub(super) sign_in_path: String,
    pub(super) callback_path: String,
    pub(super) sign_out_path: String,
    pub(super) token_route: bool,
    pub(super) token_route_path: String,
    pub(super) post_sign_out_redirect_uri: Option<String>,
    pub(super) post_sign_in_path: Option<String>,
    pub(super) http_timeout: Duration,
    pub(super) discovery_ttl: Duration,
    pub(super) token_leeway: Duration,
    pub(super) scopes: Vec<String>,
    pub(super) resources: Vec<String>,
    pub(super) prompt: String,
    pub(super) sign_in_options: SignInOptions,
    pub(super) store: Option<Arc<dyn SessionStore>>,
    pub(super) store_timeout: Duration,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) backchannel: Option<BackchannelLogout>,
}

impl fmt::Debug for LogtoBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogtoBuilder")
            .field("endpoint", &self.endpoint)
            .field("app_id", &self.app_id)
            .field("base_url", &self.base_url)
            .field("scopes", &self.scopes)
            .field("resources", &self.resources)
            .finish_non_exhaustive()
    }
}

impl LogtoBuilder {
    pub(crate) fn new<C: Config>() -> Self {
        let scopes = C::CLAIMS_SCOPES
            .iter()
            .flat_map(|scopes| scopes.iter())
            .chain(C::SCOPES)
            .map(|scope| (*scope).to_owned())
            .collect();
        Self {
            endpoint: None,
            issuer: None,
            app_id: None,
            app_secret: None,
            base_url: None,
            cookie_secret: None,
            old_cookie_secrets: Vec::new(),
            cookie_secure: None,
            sign_in_path: "/sign-in".into(),
            callback_path: "/callback".into(),
            sign_out_path: "/sign-out".into(),
            token_route: false,
            token_route_path: "/logto/token".into(),
            post_sign_out_redirect_uri: None,
            post_sign_in_path: None,
            http_timeout: Duration::from_secs(5),
            discovery_ttl: Duration::from_secs(3600),
            token_leeway: Duration::from_secs(60),
            scopes,
            resources: C::RESOURCES.iter().map(|r| (*r).to_owned()).collect(),
            prompt: C::PROMPT.to_owned(),
            sign_in_options: SignInOptions::default(),
            store: None,
            store_timeout: Duration::from_secs(2),
            clock: Arc::new(SystemClock),
            backchannel: None,
        }
    }

    /// The Logto endpoint, for example `https://tenant.logto.app` (`LOGTO_ENDPOINT`).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The issuer, when it is not `<endpoint>/oidc` (a provider other than Logto).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The application id from the Logto console (`LOGTO_APP_ID`).
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    /// The application secret from the Logto console (`LOGTO_APP_SECRET`).
    pub fn app_secret(mut self, app_secret: impl Into<String>) -> Self {
        self.app_secret = Some(app_secret.into());
        self
    }

    /// The public URL of this app, for example `http://localhost:3000` (`LOGTO_BASE_URL`).
    /// Callback and sign-out redirect URLs are built from it, so they stay right behind
    /// a proxy.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// The secret the session cookies are encrypted with, at least 32 characters
    /// (`LOGTO_COOKIE_SECRET`).
    pub fn cookie_secret(mut self, secret: impl Into<String>) -> Self {
        self.cookie_secret = Some(secret.into());
        self
    }

    /// A former cookie secret, still accepted for decryption while sessions roll over.
    pub fn old_cookie_secret(mut self, secret: impl Into<String>) -> Self {
        self.old_cookie_secrets.push(secret.into());
        self
    }

    /// Whether cookies carry `Secure`; by default, when the base URL is `https`. Secure
    /// cookies are named with the `__Host-` prefix (`__Host-logto_<app id>`), which
    /// browsers accept only from this exact host, over https, for `Path=/`.
    pub fn cookie_secure(mut self, secure: bool) -> Self {
        self.cookie_secure = Some(secure);
        self
    }

    /// The path of the sign-in route (default `/sign-in`).
    pub fn sign_in_path(mut self, path: impl Into<String>) -> Self {
        self.sign_in_path = path.into();
        self
    }

    /// The path of the callback route (default `/callback`); register
    /// `<base URL><path>` as a redirect URI in Logto.
    pub fn callback_path(mut self, path: impl Into<String>) -> Self {
        self.callback_path = path.into();
        self
    }

    /// The path of the sign-out route (default `/sign-out`).
    pub fn sign_out_path(mut self, path: impl Into<String>) -> Self {
        self.sign_out_path = path.into();
        self
    }

    /// Where a sign-in lands when it names no page of its own (the sign-in route's
    /// `?post_redirect_uri=`, or the page a guard sent the browser from), instead of the
    /// base URL's path (`LOGTO_POST_SIGN_IN_PATH`): for example `/dashboard` in an app
    /// whose `/` is no page. It must stay on the app's origin and under the base URL's
    /// path, as `post_redirect_uri` must; anything else fails [`build`](Self::build)
    /// with a [`ConfigError`](crate::ConfigError) naming `LOGTO_POST_SIGN_IN_PATH`.
    pub fn post_sign_in_path(mut self, path: impl Into<String>) -> Self {
        self.post_sign_in_path = Some(path.into());
        self
    }

    /// Where Logto sends the user after sign-out (default: the base URL with a trailing
    /// slash); register it as a post sign-out redirect URI in Logto.
    pub fn post_sign_out_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.post_sign_out_redirect_uri = Some(uri.into());
        self
    }

    /// The timeout of every request to the provider (default 5 s).
    pub fn http_timeout(mut self, timeout: Duration) -> Self {
        self.http_timeout = timeout;
        self
    }

    /// How long the discovery document and the JWKS are trusted (default 1 h).
    pub fn discovery_ttl(mut self, ttl: Duration) -> Self {
        self.discovery_ttl = ttl;
        self
    }

    /// The options of every sign-in through the sign-in route (`first_screen`,
    /// `login_hint`, ...); the route's `post_redirect_uri` query overrides theirs.
    pub fn sign_in_options(mut self, options: SignInOptions) -> Self {
        self.sign_in_options = options;
        self
    }

    /// How long before expiry an access token is refreshed (default 60 s; never more
    /// than half the token's lifetime).
    pub fn token_refresh_leeway(mut self, leeway: Duration) -> Self {
        self.token_leeway = leeway;
        self
    }

    /// Keeps sessions in `store` instead of the cookie, which then carries only an
    /// encrypted session id: one line switches an app to Redis or PostgreSQL.
    ///
    /// What each mode guarantees:
    /// - **Cookie sessions** (the default) cannot be revoked on the server: a copy of the
    ///   cookie stays signed in until its ID token expires (signing out ends the
    ///   provider's session and revokes the refresh token, so no copy can refresh after
    ///   that), unless [back-channel logout](Self::backchannel_logout) is on: it keeps a
    ///   revocation list every request is checked against. For 60 s after a refresh, a
    ///   request still carrying the pre-rotation
    ///   cookie is handed the new tokens instead of sending the consumed refresh token
    ///   again (which would make a rotating provider revoke the whole grant); in that
    ///   window a stolen copy of the old cookie gets the new tokens too.
    /// - **Store sessions** end everywhere at sign-out (the record is deleted; with
    ///   back-channel logout, also when the provider's session ends) and the
    ///   cookie is only an id, renewed at each sign-in; the rotated tokens live in the
    ///   store, so the 60 s window only serves requests of this process that started
    ///   before the refresh finished.
    ///
    /// ```
    /// #[logto::config]
    /// pub struct Auth;
    ///
    /// // In production: `logto::RedisStore::connect(..)` or `logto::PostgresStore::connect(..)`.
    /// let logto = logto::Logto::builder::<Auth>()
    ///     .from_env()
    /// #   .endpoint("https://tenant.logto.app")
    /// #   .app_id("my-app")
    /// #   .app_secret("my-secret")
    /// #   .base_url("http://localhost:3000")
    /// #   .cookie_secret("complex_password_at_least_32_characters_long")
    ///     .session_store(logto::MemoryStore::new(10_000))
    ///     .build()?;
    /// # let _ = logto;
    /// # Ok::<(), logto::Error>(())
    /// ```
    pub fn session_store(mut self, store: impl SessionStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// How long a call to the session store may take before the request answers 503
    /// (default 2 s).
    pub fn store_timeout(mut self, timeout: Duration) -> Self {
        self.store_timeout = timeout;
        self
    }

    /// Turns on back-channel logout: [`Logto::routes`](crate::Logto::routes) then
    /// include its route (default `POST /backchannel-logout`). See
    /// [`BackchannelLogout`] for what each session mode guarantees.
    pub fn backchannel_logout(mut self, options: BackchannelLogout) -> Self {
        self.backchannel = Some(options);
        self
    }

    /// The clock tokens and sessions are judged by (tests inject their own).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }
}
