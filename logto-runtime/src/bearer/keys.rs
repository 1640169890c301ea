//! The provider's signing keys for access tokens: found through discovery, fetched
//! once, shared by every request, reloaded when they age, and fetched again when a token
//! names a key we do not have (at most once per interval, one fetch at a time).

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use jsonwebtoken::{
    Algorithm, DecodingKey,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm},
};
use serde::Deserialize;
use serde_json::Value;

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
    pub fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<&Arc<Key>> {
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

/// What the verifier needs to know to fetch keys.
pub(crate) struct KeySource {
    pub issuer: String,
    pub http: HttpClient,
    pub ttl: Duration,
    pub refetch_interval: Duration,
}

#[derive(Default)]
pub(crate) struct KeyCache {
    current: RwLock<Option<Arc<KeySet>>>,
    /// One fetch at a time; holds when the keys were last refetched for an unknown kid.
    loading: tokio::sync::Mutex<Option<Instant>>,
}

impl KeyCache {
    fn current(&self) -> Option<Arc<KeySet>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn store(&self, keys: Arc<KeySet>) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(keys);
    }

    /// The keys, from cache or fetched; concurrent first loads share one fetch. When
    /// aged keys cannot be reloaded, the old ones keep serving (a provider outage must
    /// not turn every valid token away).
    pub async fn get(&self, source: &KeySource) -> Result<Arc<KeySet>, ProviderError> {
        let fresh = |keys: &Arc<KeySet>| keys.fetched_at.elapsed() < source.ttl;
        let cached = self.current();
        if let Some(keys) = cached.as_ref().filter(|k| fresh(k)) {
            return Ok(keys.clone());
        }
        let _loading = self.loading.lock().await;
        let cached = self.current();
        if let Some(keys) = cached.as_ref().filter(|k| fresh(k)) {
            return Ok(keys.clone());
        }
        match load(source).await {
            Ok(keys) => {
                let keys = Arc::new(keys);
                self.store(keys.clone());
                Ok(keys)
            }
            Err(error) => match cached {
                Some(stale) => {
                    tracing::warn!(%error, "reloading the provider's keys failed; the old ones keep serving");
                    Ok(stale)
                }
                None => Err(error),
            },
        }
    }

    /// Fetches the JWKS again because a token names a key `seen` does not have.
    /// `None` when a refetch happened less than the interval ago (the token is then
    /// refused: a flood of forged `kid`s must not become a flood of requests).
    pub async fn refetch(
        &self,
        seen: &Arc<KeySet>,
        source: &KeySource,
    ) -> Result<Option<Arc<KeySet>>, ProviderError> {
        let mut last = self.loading.lock().await;
        if let Some(current) = self.current()
            && !Arc::ptr_eq(&current, seen)
        {
            // Someone fetched while we waited: judge the token by their keys.
            return Ok(Some(current));
        }
        if last.is_some_and(|at| at.elapsed() < source.refetch_interval) {
            return Ok(None);
        }
        *last = Some(Instant::now());
        let keys = Arc::new(fetch_jwks(source, seen.jwks_uri.clone()).await?);
        self.store(keys.clone());
        Ok(Some(keys))
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
        fetched_at: Instant::now(),
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
