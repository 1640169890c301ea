//! Bearer access tokens (RFC 6750) verified as JWT access tokens (RFC 9068), for APIs.
//!
//! [`BearerVerifier`] knows the provider's issuer and keys and judges a token for one
//! endpoint's [`Requirements`]: signature by `kid` with an allow-list of asymmetric
//! algorithms (ES384, ES256, RS256, PS256), `typ: at+jwt`, `iss`, `exp`/`nbf` with a
//! leeway, `aud`, each required scope as a whole word, and the organization: a
//! requirement that names no organization accepts only global tokens, never one scoped
//! to an organization (`organization_id` claim) unless it opts in with
//! [`Requirements::allow_organization_scoped_tokens`]. A token
//! that names an unknown key makes it fetch the JWKS again (rate limited, one fetch at
//! a time), so key rotation needs no restart. Verified tokens are cached until they
//! expire, by a keyed 128-bit hash of the token (the cache never holds a token).
//!
//! An API server that only accepts bearer tokens needs nothing but `LOGTO_ENDPOINT`:
//!
//! ```no_run
//! use logto::{BearerVerifier, bearer::Requirements};
//!
//! #[logto::config(scopes = ["read", "write"], resources = ["https://shopping.your-app.com/api"])]
//! pub struct Api;
//!
//! # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let verifier = BearerVerifier::from_env::<Api>()?; // reads LOGTO_ENDPOINT
//! let token = verifier
//!     .verify(token, &Requirements::resource("https://shopping.your-app.com/api").scopes(&["read"]))
//!     .await?;
//! println!("{} may read", token.subject().unwrap_or_default());
//! # Ok(()) }
//! ```
//!
//! A [`Logto`](crate::Logto) client owns one too ([`Logto::bearer`](crate::Logto::bearer)),
//! so an app with sessions accepts bearer tokens on the same guards.

pub(crate) mod cache;
mod error;
mod header;
mod keys;
mod requirements;
pub(crate) mod verify;

use std::{fmt, sync::Arc, time::Duration};

pub(crate) use error::retry_seconds;
pub use error::{BearerError, InvalidToken};
pub use header::Credentials;
pub use requirements::Requirements;

use self::{
    cache::{TokenKey, VerifiedCache},
    keys::{KeyCache, KeySource, Ticker},
    verify::Verified,
};
use crate::{
    clock::{Clock, SystemClock},
    config::Config,
    error::ConfigError,
    oidc::HttpClient,
    settings,
    tokens::AccessToken,
};

/// How many verified tokens are remembered by default.
const DEFAULT_CACHE_CAPACITY: usize = 10_000;

/// Verifies bearer access tokens for one provider. Cheap to clone, shared by every
/// request; build it once.
///
/// Build it with [`BearerVerifier::from_env`] or [`BearerVerifier::builder`] (an API
/// server), or take the one a [`Logto`](crate::Logto) owns.
///
/// ```no_run
/// use logto::{BearerError, BearerVerifier, bearer::Requirements};
///
/// #[logto::config(scopes = ["read"], resources = ["https://shopping.your-app.com/api"])]
/// pub struct Api;
///
/// # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
/// let verifier = BearerVerifier::from_env::<Api>()?; // LOGTO_ENDPOINT
/// let needs = Requirements::resource("https://shopping.your-app.com/api").scopes(&["read"]);
/// match verifier.verify(token, &needs).await {
///     Ok(token) => println!("{} may read", token.subject().unwrap_or_default()),
///     Err(BearerError::InsufficientScope { required }) => println!("needs {required:?}"),
///     Err(error) => println!("refused: {error}"),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct BearerVerifier {
    pub(crate) inner: Arc<VerifierInner>,
}

pub(crate) struct VerifierInner {
    source: KeySource,
    keys: KeyCache,
    cache: VerifiedCache<Verified>,
    leeway: i64,
    clock: Arc<dyn Clock>,
    pub scopes: Vec<String>,
    pub resources: Vec<String>,
}

impl fmt::Debug for BearerVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerVerifier")
            .field("issuer", &self.inner.source.issuer)
            .field("resources", &self.inner.resources)
            .finish_non_exhaustive()
    }
}

impl BearerVerifier {
    /// Reads `LOGTO_ENDPOINT`; the resources and scopes come from `C`. Nothing else is
    /// needed: no app id, no secret.
    pub fn from_env<C: Config>() -> Result<Self, crate::Error> {
        Self::builder::<C>().from_env().build()
    }

    /// A builder with the resources and scopes of `C` and nothing else set.
    pub fn builder<C: Config>() -> BearerVerifierBuilder {
        BearerVerifierBuilder {
            endpoint: None,
            issuer: None,
            http_timeout: Duration::from_secs(5),
            discovery_ttl: Duration::from_secs(3600),
            refetch_interval: Duration::from_secs(10),
            leeway: Duration::from_secs(60),
            cache_capacity: DEFAULT_CACHE_CAPACITY,
            clock: Arc::new(SystemClock),
            scopes: C::SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            resources: C::RESOURCES.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// The verifier a [`Logto`](crate::Logto) client owns: same issuer, HTTP client and
    /// clock; the guards were checked against its settings already.
    pub(crate) fn for_client(settings: &settings::Settings, http: HttpClient) -> Self {
        Self::new(
            KeySource {
                issuer: settings.issuer.clone(),
                http,
                ttl: settings.discovery_ttl,
                refetch_interval: Duration::from_secs(10),
                ticker: Ticker::default(),
            },
            60,
            DEFAULT_CACHE_CAPACITY,
            settings.clock.clone(),
            settings.scopes.clone(),
            settings.resources.clone(),
        )
    }

    fn new(
        source: KeySource,
        leeway: i64,
        capacity: usize,
        clock: Arc<dyn Clock>,
        scopes: Vec<String>,
        resources: Vec<String>,
    ) -> Self {
        Self {
            inner: Arc::new(VerifierInner {
                source,
                keys: KeyCache::default(),
                cache: VerifiedCache::new(capacity),
                leeway,
                clock,
                scopes,
                resources,
            }),
        }
    }

    /// The issuer tokens must come from.
    pub fn issuer(&self) -> &str {
        &self.inner.source.issuer
    }

    /// The API resources of the config, the audiences a guard may name.
    pub fn resources(&self) -> &[String] {
        &self.inner.resources
    }

    /// Verifies `token` for an endpoint with `requirements`, and returns what it grants.
    ///
    /// The signature and the endpoint-independent claims are checked once per token
    /// (then cached until it expires); audience, organization and scopes on every call.
    /// A token scoped to an organization is refused with
    /// [`InvalidToken::OrganizationScoped`] unless `requirements` names that
    /// organization or allows any
    /// ([`Requirements::allow_organization_scoped_tokens`]).
    pub async fn verify(
        &self,
        token: &str,
        requirements: &Requirements<'_>,
    ) -> Result<AccessToken, BearerError> {
        let (verified, resource, organization_id) = self.verify_grant(token, requirements).await?;
        Ok(verified.access_token(token, resource, organization_id))
    }

    /// As [`verify`](Self::verify), returning the cached verdict and what the endpoint
    /// matched (resource, organization) instead of a built token.
    pub(crate) async fn verify_grant(
        &self,
        token: &str,
        requirements: &Requirements<'_>,
    ) -> Result<(Arc<Verified>, Option<usize>, Option<String>), BearerError> {
        let verified = self.verified(token).await?;
        let (resource, organization_id) = verified.check(requirements)?;
        Ok((verified, resource, organization_id))
    }

    /// The endpoint-independent verdict on `token`, from the cache or checked now.
    async fn verified(&self, token: &str) -> Result<Arc<Verified>, BearerError> {
        let inner = &self.inner;
        let now = inner.clock.unix_seconds();
        let hash = inner.cache.key(token);
        if let Some(verified) = inner.cache.get(&hash) {
            if verified.is_live(now, inner.leeway) {
                return Ok(verified);
            }
            return Err(InvalidToken::Expired.into());
        }
        // Boxed: the fetches make this future large, and the cached path above must
        // not pay for moving it with every request.
        Box::pin(self.verify_uncached(token, hash, now)).await
    }

    /// Checks `token` in full (fetching keys as needed) and caches the verdict.
    async fn verify_uncached(
        &self,
        token: &str,
        hash: TokenKey,
        now: i64,
    ) -> Result<Arc<Verified>, BearerError> {
        let inner = &self.inner;
        let (header, algorithm) = verify::header(token)?;
        let mut keys = inner.keys.get(&inner.source).await?;
        let mut refetched = false;
        let verified = loop {
            match verify::verify(
                token,
                &header,
                algorithm,
                &keys,
                &inner.source.issuer,
                now,
                inner.leeway,
            ) {
                Ok(verified) => break verified,
                Err(Some(invalid)) => return Err(invalid.into()),
                Err(None) if !refetched => {
                    refetched = true;
                    match inner.keys.refetch(&keys, &inner.source).await? {
                        Some(fresh) => keys = fresh,
                        None => return Err(InvalidToken::UnknownKey.into()),
                    }
                }
                Err(None) => return Err(InvalidToken::UnknownKey.into()),
            }
        };
        let verified = Arc::new(verified);
        let leeway = inner.leeway;
        inner
            .cache
            .insert(hash, verified.clone(), |v| !v.is_live(now, leeway));
        Ok(verified)
    }
}

/// Builds a [`BearerVerifier`] from explicit values, the environment, or both.
///
/// ```
/// #[logto::config(scopes = ["read"], resources = ["https://api.example.com"])]
/// pub struct Api;
///
/// let verifier = logto::BearerVerifier::builder::<Api>()
///     .endpoint("https://tenant.logto.app")
///     .leeway(std::time::Duration::from_secs(30))
///     .build()?;
/// assert_eq!(verifier.issuer(), "https://tenant.logto.app/oidc");
/// # Ok::<(), logto::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct BearerVerifierBuilder {
    endpoint: Option<String>,
    issuer: Option<String>,
    http_timeout: Duration,
    discovery_ttl: Duration,
    refetch_interval: Duration,
    leeway: Duration,
    cache_capacity: usize,
    clock: Arc<dyn Clock>,
    scopes: Vec<String>,
    resources: Vec<String>,
}

impl fmt::Debug for BearerVerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerVerifierBuilder")
            .field("endpoint", &self.endpoint)
            .field("issuer", &self.issuer)
            .field("resources", &self.resources)
            .finish_non_exhaustive()
    }
}

impl BearerVerifierBuilder {
    /// Reads `LOGTO_ENDPOINT` when it is set.
    pub fn from_env(mut self) -> Self {
        if let Some(endpoint) = std::env::var("LOGTO_ENDPOINT")
            .ok()
            .filter(|v| !v.is_empty())
        {
            self.endpoint = Some(endpoint);
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

    /// The timeout of each request for discovery and keys (default 5 s).
    pub fn http_timeout(mut self, timeout: Duration) -> Self {
        self.http_timeout = timeout;
        self
    }

    /// How long the keys are trusted before they are fetched again (default 1 h).
    pub fn discovery_ttl(mut self, ttl: Duration) -> Self {
        self.discovery_ttl = ttl;
        self
    }

    /// The shortest time between two JWKS fetches for unknown key ids, and how long a
    /// failed fetch of the keys is not tried again (default 10 s). During that back-off,
    /// tokens the cached keys can judge are still verified; without keys, requests are
    /// answered at once with [`BearerError::KeysUnavailable`] (503).
    pub fn jwks_refetch_interval(mut self, interval: Duration) -> Self {
        self.refetch_interval = interval;
        self
    }

    /// How far past `exp` (and before `nbf`) a token is still accepted, for clock skew
    /// (default 60 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// How many verified tokens are remembered (default 10 000; 0 turns caching off).
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self
    }

    /// The clock `exp` and `nbf` are judged by (tests inject their own).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Validates the settings and builds the verifier. No request is sent yet: keys are
    /// fetched with the first token.
    pub fn build(self) -> Result<BearerVerifier, crate::Error> {
        let endpoint = settings::required(
            self.endpoint,
            "LOGTO_ENDPOINT",
            "the Logto endpoint, for example https://tenant.logto.app",
        )?;
        let endpoint = settings::http_url(&endpoint, "LOGTO_ENDPOINT")?;
        let issuer = settings::issuer(&endpoint, self.issuer.as_deref())?;
        if self.http_timeout.is_zero() {
            return Err(ConfigError::new("http_timeout", "must be longer than zero").into());
        }
        let leeway = i64::try_from(self.leeway.as_secs()).unwrap_or(i64::MAX);
        Ok(BearerVerifier::new(
            KeySource {
                issuer,
                http: HttpClient::new(self.http_timeout),
                ttl: self.discovery_ttl,
                refetch_interval: self.refetch_interval,
                ticker: Ticker::default(),
            },
            leeway,
            self.cache_capacity,
            self.clock,
            self.scopes,
            self.resources,
        ))
    }
}

#[cfg(test)]
mod tests;
