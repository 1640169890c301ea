//! The provider's signing keys for access tokens: found through discovery, fetched
//! once, shared by every request, reloaded when they age, and fetched again when a token
//! names a key we do not have.
//!
//! A provider outage must cost it (and our requests) as little as possible: every fetch
//! is single-flight, a failed fetch is remembered and not tried again within the
//! refetch interval, aged keys keep serving while a reload runs in the background, and
//! without any keys the requests of the back-off are answered at once (503) instead of
//! each waiting out its own timeouts.

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use jsonwebtoken::{
    Algorithm, DecodingKey,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm},
};
use serde::Deserialize;
use serde_json::Value;

use super::BearerError;
use crate::{error::ProviderError, oidc::HttpClient};

/// One verification key of the JWKS.
pub(crate) struct Key {
    pub key: DecodingKey,
    /// The algorithms this key may verify: its `alg` when it names one, else those of
    /// its type and curve.
    pub algorithms: Vec<Algorithm>,
}

/// The keys at one point in time.
pub(crate) struct KeySet {
    pub by_kid: HashMap<String, Arc<Key>>,
    /// Keys without a `kid`: used only for tokens without one.
    pub unnamed: Vec<Arc<Key>>,
    pub jwks_uri: String,
    fetched_at: Instant,
}

impl KeySet {
    /// The key for a token's `kid` (or, without one, the only key fit for `alg`).
    pub(crate) fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<&Arc<Key>> {
        match kid {
            Some(kid) => self.by_kid.get(kid),
            None => {
                let mut fit = self
                    .by_kid
                    .values()
                    .chain(&self.unnamed)
                    .filter(|k| k.algorithms.contains(&alg));
                match (fit.next(), fit.next()) {
                    (Some(key), None) => Some(key),
                    _ => None,
                }
            }
        }
    }
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
}

#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<Value>,
}

/// The monotonic time the key cache judges ages and intervals by; tests move it by
/// hand instead of sleeping.
#[derive(Clone, Default)]
pub(crate) struct Ticker(Option<Arc<dyn Fn() -> Instant + Send + Sync>>);

impl Ticker {
    #[cfg(test)]
    pub(super) fn manual(now: impl Fn() -> Instant + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(now)))
    }

    fn now(&self) -> Instant {
        match &self.0 {
            Some(now) => now(),
            None => Instant::now(),
        }
    }
}

impl fmt::Debug for Ticker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Ticker(manual)"
        } else {
            "Ticker(Instant::now)"
        })
    }
}

/// What the verifier needs to know to fetch keys.
#[derive(Clone)]
pub(crate) struct KeySource {
    pub issuer: String,
    pub http: HttpClient,
    pub ttl: Duration,
    /// The shortest time between two fetches for unknown key ids, and the back-off
    /// after a failed fetch of any kind.
    pub refetch_interval: Duration,
    pub ticker: Ticker,
}

/// The keys and what the cache remembers of its fetches.
#[derive(Default)]
struct State {
    keys: Option<Arc<KeySet>>,
    /// When the JWKS was last fetched for an unknown `kid`, whatever came of it.
    refetched_at: Option<Instant>,
    /// When a fetch last failed; cleared by the next success. No fetch is tried
    /// within the refetch interval after it.
    failed_at: Option<Instant>,
    /// A background reload of aged keys is under way.
    reloading: bool,
}

impl State {
    /// The rest of the back-off after a failed fetch, if it still runs.
    fn backing_off(&self, now: Instant, interval: Duration) -> Option<Duration> {
        let failed = self.failed_at?;
        interval
            .checked_sub(now.saturating_duration_since(failed))
            .filter(|rest| !rest.is_zero())
    }

    fn succeeded(&mut self, keys: &Arc<KeySet>) {
        self.keys = Some(keys.clone());
        self.failed_at = None;
    }
}

#[derive(Default)]
struct Shared {
    state: RwLock<State>,
    /// Held by the one fetch in flight; the others wait on it and then read its
    /// outcome from `state` (single flight).
    flight: tokio::sync::Mutex<()>,
}

impl Shared {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a failed fetch: the details go to the log (the answer to the client
    /// names no provider URL), and no fetch is tried again within the interval.
    /// The back-off runs from the failure, not from the start of a fetch that may
    /// have waited out a timeout.
    fn failed(&self, error: &ProviderError, source: &KeySource, what: &str) {
        tracing::warn!(target: "logto::bearer", %error, "{what} failed; no new attempt before the refetch interval ends");
        self.write().failed_at = Some(source.ticker.now());
    }
}

#[derive(Default)]
pub(crate) struct KeyCache {
    shared: Arc<Shared>,
}

/// Resets `reloading` however the background reload ends (even if its task is
/// dropped with the runtime), so a later request can start another.
struct Reloading(Arc<Shared>);

impl Drop for Reloading {
    fn drop(&mut self) {
        self.0.write().reloading = false;
    }
}

impl KeyCache {
    /// The keys to verify with now.
    ///
    /// Fresh keys are returned at once. Aged keys are returned at once too, and reloaded
    /// in the background (unless a reload runs or failed within the interval): a slow or
    /// down provider must neither delay nor refuse tokens we can still judge. Without
    /// keys, the first caller loads them and concurrent callers share that load; after
    /// it failed, callers get [`BearerError::KeysUnavailable`] at once until the
    /// refetch interval has passed.
    pub(super) async fn get(&self, source: &KeySource) -> Result<Arc<KeySet>, BearerError> {
        let now = source.ticker.now();
        let fresh = |keys: &KeySet| now.saturating_duration_since(keys.fetched_at) < source.ttl;
        if let Some(keys) = self.shared.read().keys.as_ref().filter(|k| fresh(k)) {
            return Ok(keys.clone());
        }
        {
            let mut state = self.shared.write();
            if let Some(keys) = state.keys.clone() {
                if !fresh(&keys)
                    && !state.reloading
                    && state.backing_off(now, source.refetch_interval).is_none()
                {
                    state.reloading = true;
                    drop(state);
                    self.reload_in_background(source);
                }
                return Ok(keys);
            }
            if let Some(retry_after) = state.backing_off(now, source.refetch_interval) {
                return Err(BearerError::KeysUnavailable { retry_after });
            }
        }
        let _flight = self.shared.flight.lock().await;
        // The load we waited for may have settled it either way.
        let now = source.ticker.now();
        {
            let state = self.shared.read();
            if let Some(keys) = &state.keys {
                return Ok(keys.clone());
            }
            if let Some(retry_after) = state.backing_off(now, source.refetch_interval) {
                return Err(BearerError::KeysUnavailable { retry_after });
            }
        }
        match load(source).await {
            Ok(keys) => {
                let keys = Arc::new(keys);
                self.shared.write().succeeded(&keys);
                Ok(keys)
            }
            Err(error) => {
                self.shared
                    .failed(&error, source, "loading the provider's signing keys");
                Err(error.into())
            }
        }
    }

    /// Reloads aged keys without holding up the request that noticed their age.
    fn reload_in_background(&self, source: &KeySource) {
        let reloading = Reloading(self.shared.clone());
        let source = source.clone();
        let reload = async move {
            let shared = reloading.0.clone();
            let _flight = shared.flight.lock().await;
            let now = source.ticker.now();
            // A refetch for an unknown kid may have renewed them while we waited.
            let aged = shared
                .read()
                .keys
                .as_ref()
                .is_none_or(|k| now.saturating_duration_since(k.fetched_at) >= source.ttl);
            if aged {
                match load(&source).await {
                    Ok(keys) => shared.write().succeeded(&Arc::new(keys)),
                    Err(error) => shared.failed(
                        &error,
                        &source,
                        "reloading the provider's signing keys (the old ones keep serving)",
                    ),
                }
            }
            drop(reloading);
        };
        // Outside a Tokio runtime no fetch can run at all (the HTTP client needs one);
        // dropping the reload resets `reloading`.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(reload);
        }
    }

    /// Fetches the JWKS again because a token names a key `seen` does not have.
    ///
    /// `Ok(None)` when a refetch happened less than the interval ago (the token is then
    /// refused: a flood of forged `kid`s must not become a flood of requests).
    /// Concurrent callers share one fetch and its outcome; after a failed fetch they
    /// get [`BearerError::KeysUnavailable`] at once until the interval has passed.
    pub(super) async fn refetch(
        &self,
        seen: &Arc<KeySet>,
        source: &KeySource,
    ) -> Result<Option<Arc<KeySet>>, BearerError> {
        let _flight = self.shared.flight.lock().await;
        let now = source.ticker.now();
        {
            let mut state = self.shared.write();
            if let Some(current) = &state.keys
                && !Arc::ptr_eq(current, seen)
            {
                // Someone fetched while we waited: judge the token by their keys.
                return Ok(Some(current.clone()));
            }
            if let Some(retry_after) = state.backing_off(now, source.refetch_interval) {
                return Err(BearerError::KeysUnavailable { retry_after });
            }
            if state
                .refetched_at
                .is_some_and(|at| now.saturating_duration_since(at) < source.refetch_interval)
            {
                return Ok(None);
            }
            state.refetched_at = Some(now);
        }
        match fetch_jwks(source, seen.jwks_uri.clone()).await {
            Ok(keys) => {
                let keys = Arc::new(keys);
                self.shared.write().succeeded(&keys);
                Ok(Some(keys))
            }
            Err(error) => {
                self.shared.failed(
                    &error,
                    source,
                    "fetching the provider's signing keys for an unknown key id",
                );
                Err(error.into())
            }
        }
    }
}

async fn load(source: &KeySource) -> Result<KeySet, ProviderError> {
    let url = format!("{}/.well-known/openid-configuration", source.issuer);
    let discovery: Discovery = source.http.get_json(source.http.inner.get(&url)).await?;
    if discovery.issuer != source.issuer {
        return Err(ProviderError::InvalidResponse {
            url,
            reason: format!(
                "it names the issuer `{}`, not `{}`",
                discovery.issuer, source.issuer
            ),
        });
    }
    fetch_jwks(source, discovery.jwks_uri).await
}

async fn fetch_jwks(source: &KeySource, jwks_uri: String) -> Result<KeySet, ProviderError> {
    let raw: RawJwks = source
        .http
        .get_json(source.http.inner.get(&jwks_uri))
        .await?;
    let mut by_kid = HashMap::new();
    let mut unnamed = Vec::new();
    // One key we cannot use (an unknown `kty`, an encryption key) must not cost us
    // the others.
    for value in raw.keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
            continue;
        };
        let Some(key) = usable(&jwk) else {
            continue;
        };
        match jwk.common.key_id.clone() {
            Some(kid) => {
                by_kid.insert(kid, Arc::new(key));
            }
            None => unnamed.push(Arc::new(key)),
        }
    }
    Ok(KeySet {
        by_kid,
        unnamed,
        jwks_uri,
        fetched_at: source.ticker.now(),
    })
}

/// A verification key for the algorithms we accept, or `None` (symmetric keys,
/// encryption keys, curves we do not verify).
fn usable(jwk: &Jwk) -> Option<Key> {
    use jsonwebtoken::jwk::PublicKeyUse;
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let by_type: Vec<Algorithm> = match &jwk.algorithm {
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P384 => vec![Algorithm::ES384],
            EllipticCurve::P256 => vec![Algorithm::ES256],
            _ => return None,
        },
        AlgorithmParameters::RSA(_) => vec![Algorithm::RS256, Algorithm::PS256],
        // An `oct` key is a shared secret: never a verification key of a public JWKS.
        _ => return None,
    };
    let algorithms = match jwk.common.key_algorithm {
        None => by_type,
        Some(alg) => {
            let alg = match alg {
                KeyAlgorithm::ES384 => Algorithm::ES384,
                KeyAlgorithm::ES256 => Algorithm::ES256,
                KeyAlgorithm::RS256 => Algorithm::RS256,
                KeyAlgorithm::PS256 => Algorithm::PS256,
                _ => return None,
            };
            if !by_type.contains(&alg) {
                return None;
            }
            vec![alg]
        }
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(Key { key, algorithms })
}
