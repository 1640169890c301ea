//! The options of back-channel logout (OpenID Connect Back-Channel Logout 1.0).

use std::{fmt, sync::Arc, time::Duration};

use super::SESSION_LIFETIME_SECS;
use crate::{error::ConfigError, store::SessionStore};

/// How often, by default, an instance reads the revocation store.
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);
/// The longest poll interval accepted: every instance learns a logout within 5 s.
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// Back-channel logout: when the user signs out at Logto, or an admin ends their
/// session, Logto posts a logout token to this app, which then forgets the user's
/// sessions. Opt in with [`LogtoBuilder::backchannel_logout`](crate::LogtoBuilder::backchannel_logout),
/// and register `<base URL><path>` as the application's back-channel logout URI in
/// Logto (with "session required" on, so the token names the session's `sid`).
///
/// What each session mode guarantees:
/// - **Store sessions**: the sessions of the logged-out provider session (or, for a
///   logout naming only the user, every session of that user that exists at that
///   moment) are deleted from the store at once; every instance's next request of
///   them is signed out. Replayed tokens are refused across instances (the token's
///   `jti` is kept in the store until its `exp`).
/// - **Cookie sessions** cannot be deleted: the logout is kept in a revocation list
///   for as long as a session it could match may live ([`revocation_lifetime`](Self::revocation_lifetime),
///   14 days by default: a copy of the cookie would otherwise come back once its ID
///   token expired, with a refresh its grant may still allow),
///   and every session read (and every cached guard verdict) is checked against it in
///   memory. One instance needs nothing more. Several instances need a shared
///   [`revocation_store`](Self::revocation_store): each reads it every
///   [`poll_interval`](Self::poll_interval) (at most 5 s), so a logout reaches every
///   instance within that time.
///
/// ```
/// # use logto_runtime as logto;
/// # struct Auth;
/// # impl logto::Config for Auth {
/// #     const SCOPES: &'static [&'static str] = &[];
/// #     const RESOURCES: &'static [&'static str] = &[];
/// # }
/// let logto = logto::Logto::builder::<Auth>()
///     .endpoint("https://tenant.logto.app")
///     .app_id("my-app")
///     .app_secret("my-secret")
///     .base_url("http://localhost:3000")
///     .cookie_secret("complex_password_at_least_32_characters_long")
///     .backchannel_logout(logto::BackchannelLogout::new())
///     .build()?;
/// assert_eq!(logto.backchannel_logout_path(), Some("/backchannel-logout"));
/// # Ok::<(), logto::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct BackchannelLogout {
    pub(crate) path: String,
    pub(crate) revocation_store: Option<Arc<dyn SessionStore>>,
    pub(crate) poll_interval: Duration,
    pub(crate) revocation_lifetime: Duration,
}

impl fmt::Debug for BackchannelLogout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackchannelLogout")
            .field("path", &self.path)
            .field("revocation_store", &self.revocation_store.is_some())
            .field("poll_interval", &self.poll_interval)
            .field("revocation_lifetime", &self.revocation_lifetime)
            .finish()
    }
}

impl Default for BackchannelLogout {
    fn default() -> Self {
        Self::new()
    }
}

impl BackchannelLogout {
    /// The route at `POST /backchannel-logout`, every option at its default.
    pub fn new() -> Self {
        Self {
            path: "/backchannel-logout".into(),
            revocation_store: None,
            poll_interval: DEFAULT_POLL_INTERVAL,
            revocation_lifetime: Duration::from_secs(SESSION_LIFETIME_SECS.unsigned_abs()),
        }
    }

    /// The path of the route (default `/backchannel-logout`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// With cookie sessions on several instances: the store they share revocations
    /// (and seen `jti`s) through. Any store of this crate will do (`RedisStore`,
    /// `PostgresStore`, a `MemoryStore` shared by clients of one process). Sessions in
    /// a store need none: they are deleted.
    pub fn revocation_store(mut self, store: impl SessionStore) -> Self {
        self.revocation_store = Some(Arc::new(store));
        self
    }

    /// How often the revocation store is read (default 2 s, at most 5 s).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How long a cookie session's revocation is kept (default 14 days, the longest a
    /// cookie session lives). Shorter is safe only when the grant cannot outlive it:
    /// ending a session at the provider does not always revoke a grant with
    /// `offline_access`, so a copy of a revoked cookie whose ID token expired would
    /// refresh and come back once its revocation is forgotten.
    pub fn revocation_lifetime(mut self, lifetime: Duration) -> Self {
        self.revocation_lifetime = lifetime;
        self
    }

    pub(crate) fn validate(
        &self,
        session_store: Option<&Arc<dyn SessionStore>>,
    ) -> Result<(), ConfigError> {
        const SETTING: &str = "backchannel_logout";
        if !self.path.starts_with('/') || self.path.starts_with("//") {
            return Err(ConfigError::new(
                SETTING,
                format!(
                    "`{}` must be an absolute path such as /backchannel-logout",
                    self.path
                ),
            ));
        }
        if self.poll_interval.is_zero() || self.poll_interval > MAX_POLL_INTERVAL {
            return Err(ConfigError::new(
                SETTING,
                "the poll interval must be longer than zero and at most 5 s",
            ));
        }
        if self.revocation_lifetime.is_zero() {
            return Err(ConfigError::new(
                SETTING,
                "the revocation lifetime must be longer than zero",
            ));
        }
        match (session_store, &self.revocation_store) {
            (Some(_), Some(_)) => Err(ConfigError::new(
                SETTING,
                "a revocation store is for cookie sessions: sessions in a store are deleted at logout, so remove it",
            )),
            (Some(store), None) | (None, Some(store)) if !store.supports_backchannel_logout() => {
                Err(ConfigError::new(
                    SETTING,
                    "the store does not implement back-channel logout (SessionStore::supports_backchannel_logout): use RedisStore, PostgresStore or MemoryStore, or implement its index and revocation methods",
                ))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    /// A store that predates back-channel logout: only the required methods.
    struct Plain;

    impl SessionStore for Plain {
        fn load<'a>(
            &'a self,
            _: &'a str,
        ) -> crate::store::StoreFuture<'a, Option<crate::store::Record>> {
            Box::pin(std::future::ready(Ok(None)))
        }

        fn save<'a>(
            &'a self,
            _: &'a str,
            _: &'a [u8],
            _: Duration,
            _: crate::store::Expect,
        ) -> crate::store::StoreFuture<'a, Option<u64>> {
            Box::pin(std::future::ready(Ok(None)))
        }

        fn delete<'a>(&'a self, _: &'a str) -> crate::store::StoreFuture<'a, ()> {
            Box::pin(std::future::ready(Ok(())))
        }

        fn try_lock<'a>(
            &'a self,
            _: &'a str,
            _: Duration,
        ) -> crate::store::StoreFuture<'a, Option<crate::store::LockToken>> {
            Box::pin(std::future::ready(Ok(None)))
        }

        fn unlock<'a>(
            &'a self,
            _: &'a str,
            _: &'a crate::store::LockToken,
        ) -> crate::store::StoreFuture<'a, ()> {
            Box::pin(std::future::ready(Ok(())))
        }
    }

    fn problem(options: BackchannelLogout, store: Option<Arc<dyn SessionStore>>) -> String {
        options
            .validate(store.as_ref())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn bad_options_are_named() {
        assert_eq!(problem(BackchannelLogout::new(), None), "");
        assert!(problem(BackchannelLogout::new().path("logout"), None).contains("absolute path"));
        assert!(problem(BackchannelLogout::new().path("//evil"), None).contains("absolute path"));
        let zero = BackchannelLogout::new().poll_interval(Duration::ZERO);
        assert!(problem(zero, None).contains("at most 5 s"));
        let slow = BackchannelLogout::new().poll_interval(Duration::from_secs(6));
        assert!(problem(slow, None).contains("at most 5 s"));
        let never = BackchannelLogout::new().revocation_lifetime(Duration::ZERO);
        assert!(problem(never, None).contains("revocation lifetime"));
    }

    #[test]
    fn stores_must_implement_it_and_a_revocation_store_is_for_cookie_sessions() {
        let memory: Arc<dyn SessionStore> = Arc::new(MemoryStore::default());
        let plain: Arc<dyn SessionStore> = Arc::new(Plain);
        assert_eq!(problem(BackchannelLogout::new(), Some(memory.clone())), "");
        assert!(
            problem(BackchannelLogout::new(), Some(plain.clone()))
                .contains("does not implement back-channel logout")
        );
        let shared = BackchannelLogout::new().revocation_store(Plain);
        assert!(problem(shared, None).contains("does not implement back-channel logout"));
        let both = BackchannelLogout::new().revocation_store(MemoryStore::default());
        assert!(problem(both, Some(memory)).contains("for cookie sessions"));
    }
}
