//! Runtime settings: what `#[logto::config]` fixed at compile time, plus the secrets and
//! URLs of one deployment, read from the environment or a builder and validated once.
//!
//! `builder.rs` holds the values as they are given, `env.rs` reads the `LOGTO_*`
//! variables into it, `validate.rs` turns it into the [`Settings`] every request shares;
//! `token_route.rs` is the opt-in token route's part of each.

mod backchannel;
mod builder;
mod env;
mod token_route;
mod validate;

use std::{sync::Arc, time::Duration};

use url::Url;

pub use backchannel::BackchannelLogout;
pub use builder::LogtoBuilder;
pub(crate) use validate::{http_url, issuer, required};

use crate::{
    clock::Clock, revocation::RevocationList, seal::CookieKeys, sign_in_options::SignInOptions,
    store::SessionStore,
};

/// How long a session lives after sign-in, as Logto's SDKs keep their cookie (and how
/// long a cookie session's back-channel revocation is kept by default).
pub(crate) const SESSION_LIFETIME_SECS: i64 = 14 * 24 * 3600;

/// The shortest cookie secret accepted, as in Logto's SDKs.
pub(crate) const MIN_COOKIE_SECRET_LEN: usize = 32;

/// Validated settings, shared by every request.
pub(crate) struct Settings {
    /// Back-channel logout, when enabled.
    pub backchannel: Option<BackchannelLogout>,
    /// The logouts cookie sessions are checked against (empty without back-channel
    /// logout).
    pub revocations: Arc<RevocationList>,
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
    /// Where a sign-in that names no page lands: normalised, on the app's origin.
    pub post_sign_in_path: String,
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

#[cfg(test)]
pub(crate) mod tests {
    use super::LogtoBuilder;
    use crate::config::Config;

    struct Auth;
    impl Config for Auth {
        const SCOPES: &'static [&'static str] =
            &["email", "profile", "urn:logto:scope:organizations", "read"];
        const RESOURCES: &'static [&'static str] = &["https://api.example.com"];
        const CLAIMS_SCOPES: &'static [&'static [&'static str]] = &[&["email", "phone"]];
    }

    /// A builder every check passes, for tests to change one value of.
    pub(crate) fn builder() -> LogtoBuilder {
        LogtoBuilder::new::<Auth>()
            .endpoint("http://127.0.0.2:3001")
            .app_id("app")
            .app_secret("secret")
            .base_url("http://127.0.0.1:3000")
            .cookie_secret("0123456789abcdef0123456789abcdef")
    }
}
