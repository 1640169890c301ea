//! Runtime settings: what `#[logto::config]` fixed at compile time, plus the secrets and
//! URLs of one deployment, read from the environment or a builder and validated once.

use std::{fmt, sync::Arc, time::Duration};

use url::Url;

use crate::{
    clock::{Clock, SystemClock},
    config::{BASE_SCOPES, Config, ORGANIZATIONS_RESOURCE, UserScope},
    error::ConfigError,
    seal::CookieKeys,
    sign_in_options::SignInOptions,
    store::SessionStore,
};

/// The shortest cookie secret accepted, as in Logto's SDKs.
pub(crate) const MIN_COOKIE_SECRET_LEN: usize = 32;

/// Builds a [`Logto`](crate::Logto) from explicit values, the environment, or both.
///
/// ```
/// # #[derive(Debug)] struct Auth;
/// # impl logto_runtime::Config for Auth {
/// #     const SCOPES: &'static [&'static str] = &["email"];
/// #     const RESOURCES: &'static [&'static str] = &[];
/// # }
/// let logto = logto_runtime::Logto::builder::<Auth>()
///     .endpoint("https://tenant.logto.app")
///     .app_id("my-app")
///     .app_secret("my-secret")
///     .base_url("http://localhost:3000")
///     .cookie_secret("complex_password_at_least_32_characters_long")
///     .build()?;
/// assert_eq!(logto.sign_in_path(), "/sign-in");
/// # Ok::<(), logto_runtime::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct LogtoBuilder {
    endpoint: Option<String>,
    issuer: Option<String>,
    app_id: Option<String>,
    app_secret: Option<String>,
    base_url: Option<String>,
    cookie_secret: Option<String>,
    old_cookie_secrets: Vec<String>,
    cookie_secure: Option<bool>,
    sign_in_path: String,
    callback_path: String,
    sign_out_path: String,
    token_route: bool,
    token_route_path: String,
    post_sign_out_redirect_uri: Option<String>,
    http_timeout: Duration,
    discovery_ttl: Duration,
    token_leeway: Duration,
    scopes: Vec<String>,
    resources: Vec<String>,
    prompt: String,
    sign_in_options: SignInOptions,
    store: Option<Arc<dyn SessionStore>>,
    store_timeout: Duration,
    clock: Arc<dyn Clock>,
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
        }
    }

    /// Reads every `LOGTO_*` variable that is set: `LOGTO_ENDPOINT`, `LOGTO_APP_ID`,
    /// `LOGTO_APP_SECRET`, `LOGTO_BASE_URL`, `LOGTO_COOKIE_SECRET`, and
    /// `LOGTO_COOKIE_SECRETS_OLD` (comma-separated secrets still accepted for decryption).
    pub fn from_env(mut self) -> Self {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        self.endpoint = var("LOGTO_ENDPOINT").or(self.endpoint);
        self.app_id = var("LOGTO_APP_ID").or(self.app_id);
        self.app_secret = var("LOGTO_APP_SECRET").or(self.app_secret);
        self.base_url = var("LOGTO_BASE_URL").or(self.base_url);
        self.cookie_secret = var("LOGTO_COOKIE_SECRET").or(self.cookie_secret);
        if let Some(old) = var("LOGTO_COOKIE_SECRETS_OLD") {
            self.old_cookie_secrets = old.split(',').map(|s| s.trim().to_owned()).collect();
        }
        self
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

    /// Adds `GET /logto/token` to [`Logto::routes`](crate::Logto::routes) (default off):
    /// the session's access tokens for the app's own browser code, which never sees the
    /// refresh token. `?resource=<uri>` (one of the config's resources), optionally with
    /// `&organization_id=<id>`, or `organization_id` alone for an organization token,
    /// answers `{"access_token", "expires_at", "scopes"}` from the session's cache,
    /// refreshed as [`Context::token`](crate::Context::token) refreshes.
    ///
    /// Same origin only: a request must carry `X-Logto-Token: 1` (a cross-site form,
    /// link or image cannot send it, and a cross-origin `fetch` with it needs a CORS
    /// preflight this route never grants); one whose `Sec-Fetch-Site` is present and not
    /// `same-origin` (sibling subdomains are `same-site`) or whose `Origin` is present
    /// and not the base URL's is refused with 403. Every answer is `Cache-Control:
    /// no-store`. 400 for a resource the config lacks, 401 signed out, 403 when the
    /// provider refuses the token (not a member of the organization).
    pub fn token_route(mut self, enabled: bool) -> Self {
        self.token_route = enabled;
        self
    }

    /// The path of the token route (default `/logto/token`), when
    /// [`token_route`](Self::token_route) enables it.
    pub fn token_route_path(mut self, path: impl Into<String>) -> Self {
        self.token_route_path = path.into();
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
    ///   that). For 60 s after a refresh, a request still carrying the pre-rotation
    ///   cookie is handed the new tokens instead of sending the consumed refresh token
    ///   again (which would make a rotating provider revoke the whole grant); in that
    ///   window a stolen copy of the old cookie gets the new tokens too.
    /// - **Store sessions** end everywhere at sign-out (the record is deleted) and the
    ///   cookie is only an id, renewed at each sign-in; the rotated tokens live in the
    ///   store, so the 60 s window only serves requests of this process that started
    ///   before the refresh finished.
    ///
    /// ```
    /// # struct Auth;
    /// # impl logto_runtime::Config for Auth {
    /// #     const SCOPES: &'static [&'static str] = &[];
    /// #     const RESOURCES: &'static [&'static str] = &[];
    /// # }
    /// let builder = logto_runtime::Logto::builder::<Auth>()
    ///     .session_store(logto_runtime::MemoryStore::new(10_000));
    /// # let _ = builder;
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

    /// The clock tokens and sessions are judged by (tests inject their own).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    pub(crate) fn validate(self) -> Result<Settings, ConfigError> {
        let endpoint = required(
            self.endpoint,
            "LOGTO_ENDPOINT",
            "the Logto endpoint, for example https://tenant.logto.app",
        )?;
        let endpoint = http_url(&endpoint, "LOGTO_ENDPOINT")?;
        let issuer = issuer(&endpoint, self.issuer.as_deref())?;
        let app_id = required(
            self.app_id,
            "LOGTO_APP_ID",
            "the application id from the Logto console",
        )?;
        let app_secret = required(
            self.app_secret,
            "LOGTO_APP_SECRET",
            "the application secret from the Logto console",
        )?;
        let base_url = required(
            self.base_url,
            "LOGTO_BASE_URL",
            "the public URL of this app, for example http://localhost:3000",
        )?;
        let base_url = http_url(&base_url, "LOGTO_BASE_URL")?;
        let secret = required(
            self.cookie_secret,
            "LOGTO_COOKIE_SECRET",
            "a random string of at least 32 characters",
        )?;
        let mut secrets = vec![secret];
        secrets.extend(self.old_cookie_secrets);
        for secret in &secrets {
            if secret.chars().count() < MIN_COOKIE_SECRET_LEN {
                return Err(ConfigError::new(
                    "LOGTO_COOKIE_SECRET",
                    format!(
                        "must be at least {MIN_COOKIE_SECRET_LEN} characters long (generate one with `openssl rand -base64 32`)"
                    ),
                ));
            }
        }
        for (setting, path) in [
            ("sign_in_path", &self.sign_in_path),
            ("callback_path", &self.callback_path),
            ("sign_out_path", &self.sign_out_path),
        ] {
            if !path.starts_with('/') || path.starts_with("//") {
                return Err(ConfigError::new(
                    setting,
                    format!("`{path}` must be an absolute path such as /callback"),
                ));
            }
        }
        let token_route_path = self
            .token_route
            .then(|| {
                token_route_path(
                    self.token_route_path,
                    [&self.sign_in_path, &self.callback_path, &self.sign_out_path],
                )
            })
            .transpose()?;
        let callback_url = join_path(&base_url, &self.callback_path);
        let post_sign_out_redirect_uri = match self.post_sign_out_redirect_uri {
            Some(uri) => http_url(&uri, "post_sign_out_redirect_uri")?,
            None => base_url.clone(),
        };
        if self.http_timeout.is_zero() {
            return Err(ConfigError::new("http_timeout", "must be longer than zero"));
        }
        let cookie_secure = self.cookie_secure.unwrap_or(base_url.scheme() == "https");
        Ok(Settings {
            cookie_name: cookie_name(&app_id, cookie_secure),
            cookie_secure,
            keys: CookieKeys::derive(&secrets),
            scopes: final_scopes(&self.scopes),
            resources: final_resources(&self.scopes, &self.resources),
            prompt: self.prompt,
            sign_in_options: self.sign_in_options,
            store: self.store,
            store_timeout: self.store_timeout,
            issuer,
            endpoint,
            app_id,
            app_secret,
            base_url,
            callback_url,
            sign_in_path: self.sign_in_path,
            callback_path: self.callback_path,
            sign_out_path: self.sign_out_path,
            token_route_path,
            post_sign_out_redirect_uri,
            http_timeout: self.http_timeout,
            discovery_ttl: self.discovery_ttl,
            token_leeway: self.token_leeway,
            clock: self.clock,
        })
    }
}

/// Validated settings, shared by every request.
pub(crate) struct Settings {
    pub endpoint: Url,
    pub issuer: String,
    pub app_id: String,
    pub app_secret: String,
    pub base_url: Url,
    pub callback_url: Url,
    pub sign_in_path: String,
    pub callback_path: String,
    pub sign_out_path: String,
    /// The token route's path, when it is enabled.
    pub token_route_path: Option<String>,
    pub post_sign_out_redirect_uri: Url,
    pub cookie_name: String,
    pub cookie_secure: bool,
    pub keys: CookieKeys,
    pub scopes: Vec<String>,
    pub resources: Vec<String>,
    pub prompt: String,
    pub sign_in_options: SignInOptions,
    pub store: Option<Arc<dyn SessionStore>>,
    pub store_timeout: Duration,
    pub http_timeout: Duration,
    pub discovery_ttl: Duration,
    pub token_leeway: Duration,
    pub clock: Arc<dyn Clock>,
}

impl Settings {
    pub(crate) fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer)
    }

    /// The resource indicator a token request may name (RFC 8707), or `None` when the
    /// config never requested it: a refresh grant for it would fail after the provider
    /// consumed the refresh token.
    pub(crate) fn knows_resource(&self, resource: &str) -> bool {
        self.resources.iter().any(|r| r == resource)
    }
}

pub(crate) fn required(
    value: Option<String>,
    setting: &'static str,
    what: &str,
) -> Result<String, ConfigError> {
    match value {
        Some(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ConfigError::new(
            setting,
            format!("is not set: set it to {what}"),
        )),
    }
}

/// The issuer: Logto's `<endpoint>/oidc`, unless another provider names its own.
pub(crate) fn issuer(endpoint: &Url, explicit: Option<&str>) -> Result<String, ConfigError> {
    Ok(match explicit {
        Some(issuer) => http_url(issuer, "issuer")?
            .as_str()
            .trim_end_matches('/')
            .to_owned(),
        None => format!("{}/oidc", endpoint.as_str().trim_end_matches('/')),
    })
}

pub(crate) fn http_url(value: &str, setting: &'static str) -> Result<Url, ConfigError> {
    let url = Url::parse(value.trim()).map_err(|e| {
        ConfigError::new(
            setting,
            format!("`{value}` is not a URL ({e}): write it as http(s)://host[:port]"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::new(
            setting,
            format!("`{value}` must be an http or https URL with a host"),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(
            setting,
            format!("`{value}` must not carry a query or fragment"),
        ));
    }
    Ok(url)
}

/// The token route's path: a plain absolute path (no `{param}`: it would match any
/// segment), apart from the sign-in routes (one router cannot hold two handlers of one
/// path).
fn token_route_path(path: String, others: [&String; 3]) -> Result<String, ConfigError> {
    const SETTING: &str = "token_route_path";
    if !path.starts_with('/') || path.starts_with("//") {
        return Err(ConfigError::new(
            SETTING,
            format!("`{path}` must be an absolute path such as /logto/token"),
        ));
    }
    if path.contains(['{', '}', '?', '#']) {
        return Err(ConfigError::new(
            SETTING,
            format!("`{path}` must be a plain path, without `{{`, `}}`, `?` or `#`"),
        ));
    }
    if others.contains(&&path) {
        return Err(ConfigError::new(
            SETTING,
            format!("`{path}` is already the path of the sign-in, callback or sign-out route"),
        ));
    }
    Ok(path)
}

/// `base` may have a path of its own (an app mounted under a prefix).
fn join_path(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}{path}"));
    url
}

/// Cookie names may not hold separators; app ids are alphanumeric in Logto, but a
/// builder may be given anything.
/// The session cookie's name. Secure cookies carry the `__Host-` prefix: browsers then
/// take them only with `Secure`, `Path=/` and no `Domain`, so a sibling subdomain cannot
/// plant a session or a sign-in cookie of its own (login CSRF, session fixation).
fn cookie_name(app_id: &str, secure: bool) -> String {
    let prefix = if secure { "__Host-" } else { "" };
    format!("{prefix}logto_{}", cookie_safe(app_id))
}

fn cookie_safe(app_id: &str) -> String {
    app_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn final_scopes(configured: &[String]) -> Vec<String> {
    let mut scopes: Vec<String> = BASE_SCOPES.iter().map(|s| (*s).to_owned()).collect();
    for scope in configured {
        if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    scopes
}

fn final_resources(scopes: &[String], configured: &[String]) -> Vec<String> {
    let mut resources: Vec<String> = Vec::new();
    for resource in configured {
        if !resources.contains(resource) {
            resources.push(resource.clone());
        }
    }
    let organizations = UserScope::Organizations.as_str();
    if scopes.iter().any(|s| s == organizations)
        && !resources.iter().any(|r| r == ORGANIZATIONS_RESOURCE)
    {
        resources.push(ORGANIZATIONS_RESOURCE.to_owned());
    }
    resources
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    struct Auth;
    impl Config for Auth {
        const SCOPES: &'static [&'static str] =
            &["email", "profile", "urn:logto:scope:organizations", "read"];
        const RESOURCES: &'static [&'static str] = &["https://api.example.com"];
        const CLAIMS_SCOPES: &'static [&'static [&'static str]] = &[&["email", "phone"]];
    }

    pub(crate) fn builder() -> LogtoBuilder {
        LogtoBuilder::new::<Auth>()
            .endpoint("http://127.0.0.2:3001")
            .app_id("app")
            .app_secret("secret")
            .base_url("http://127.0.0.1:3000")
            .cookie_secret("0123456789abcdef0123456789abcdef")
    }

    #[test]
    fn scopes_start_with_the_base_ones_and_are_deduplicated() {
        let settings = builder().validate().unwrap();
        assert_eq!(
            settings.scopes,
            [
                "openid",
                "offline_access",
                "profile",
                "email",
                "phone",
                "urn:logto:scope:organizations",
                "read"
            ]
        );
        assert_eq!(
            settings.resources,
            ["https://api.example.com", ORGANIZATIONS_RESOURCE]
        );
        assert_eq!(settings.issuer, "http://127.0.0.2:3001/oidc");
        assert_eq!(
            settings.callback_url.as_str(),
            "http://127.0.0.1:3000/callback"
        );
        assert_eq!(
            settings.post_sign_out_redirect_uri.as_str(),
            "http://127.0.0.1:3000/"
        );
        assert_eq!(settings.cookie_name, "logto_app");
        assert!(!settings.cookie_secure);
    }

    #[test]
    fn a_short_cookie_secret_names_the_variable() {
        let err = builder().cookie_secret("short").validate().err().unwrap();
        assert_eq!(err.setting, "LOGTO_COOKIE_SECRET");
        assert!(err.problem.contains("at least 32 characters"), "{err}");
    }

    #[test]
    fn a_missing_or_malformed_setting_names_the_variable() {
        let mut b = builder();
        b.app_id = None;
        assert_eq!(b.validate().err().unwrap().setting, "LOGTO_APP_ID");
        let err = builder()
            .endpoint("tenant.logto.app")
            .validate()
            .err()
            .unwrap();
        assert_eq!(err.setting, "LOGTO_ENDPOINT");
        let err = builder().base_url("ftp://x").validate().err().unwrap();
        assert_eq!(err.setting, "LOGTO_BASE_URL");
        let err = builder()
            .callback_path("callback")
            .validate()
            .err()
            .unwrap();
        assert_eq!(err.setting, "callback_path");
    }

    #[test]
    fn the_token_route_is_off_by_default_and_its_path_is_checked() {
        assert_eq!(builder().validate().unwrap().token_route_path, None);
        let settings = builder().token_route(true).validate().unwrap();
        assert_eq!(settings.token_route_path.as_deref(), Some("/logto/token"));
        let moved = builder()
            .token_route(true)
            .token_route_path("/auth/token")
            .validate()
            .unwrap();
        assert_eq!(moved.token_route_path.as_deref(), Some("/auth/token"));
        // A path alone enables nothing.
        let off = builder()
            .token_route_path("/auth/token")
            .validate()
            .unwrap();
        assert_eq!(off.token_route_path, None);
        for path in [
            "token",
            "//evil.example/token",
            "/{org}/token",
            "/t?x=1",
            "/sign-in",
        ] {
            let err = builder()
                .token_route(true)
                .token_route_path(path)
                .validate()
                .err()
                .unwrap_or_else(|| panic!("{path} accepted"));
            assert_eq!(err.setting, "token_route_path", "{path}");
            assert!(err.problem.contains(path), "{err}");
        }
    }

    #[test]
    fn callback_url_keeps_a_base_path_and_https_makes_cookies_secure() {
        let settings = builder()
            .base_url("https://example.com/app/")
            .validate()
            .unwrap();
        assert_eq!(
            settings.callback_url.as_str(),
            "https://example.com/app/callback"
        );
        assert!(settings.cookie_secure);
        assert_eq!(settings.cookie_name, "__Host-logto_app");
        let plain = builder()
            .base_url("https://example.com/")
            .cookie_secure(false)
            .validate()
            .unwrap();
        assert_eq!(plain.cookie_name, "logto_app");
    }
}
