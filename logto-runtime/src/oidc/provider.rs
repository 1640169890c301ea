//! The provider's discovery document and signing keys, fetched once, shared by every
//! request, and refreshed when they age or when a token names a key we do not have.

use std::{
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use openidconnect::{
    ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet, RedirectUrl,
    core::{CoreClient, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreProviderMetadata},
};
use serde::Deserialize;
use url::Url;

use super::HttpClient;
use crate::{error::ProviderError, settings::Settings};

/// The shortest time between two JWKS fetches triggered by unknown key ids, so a flood
/// of forged `kid`s cannot turn us into a load generator against the provider.
const JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(10);

pub(crate) type OidcClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Discovery fields `openidconnect`'s core metadata does not carry.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ExtraMetadata {
    pub end_session_endpoint: Option<Url>,
    pub revocation_endpoint: Option<Url>,
    pub userinfo_endpoint: Option<Url>,
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

/// What we know of the provider at one point in time.
pub(crate) struct Provider {
    pub client: OidcClient,
    pub extra: ExtraMetadata,
    /// ID token algorithms the provider uses that we accept: asymmetric only.
    pub id_token_algs: Vec<CoreJwsSigningAlgorithm>,
    pub jwks: CoreJsonWebKeySet,
    pub jwks_uri: Url,
    fetched_at: Instant,
}

/// Asymmetric algorithms only: HMAC would make the client secret a signing key, and
/// `none` is no signature.
fn acceptable(alg: &CoreJwsSigningAlgorithm) -> bool {
    use CoreJwsSigningAlgorithm::*;
    matches!(
        alg,
        RsaSsaPkcs1V15Sha256
            | RsaSsaPkcs1V15Sha384
            | RsaSsaPkcs1V15Sha512
            | EcdsaP256Sha256
            | EcdsaP384Sha384
            | EcdsaP521Sha512
            | RsaSsaPssSha256
            | RsaSsaPssSha384
            | RsaSsaPssSha512
            | EdDsa
    )
}

#[derive(Default)]
pub(crate) struct ProviderCache {
    current: RwLock<Option<Arc<Provider>>>,
    /// One discovery or JWKS fetch at a time; waiters then use its result. Holds when
    /// the keys were last refetched for an unknown key id.
    loading: tokio::sync::Mutex<Option<Instant>>,
}

impl ProviderCache {
    fn cached(&self, ttl: Duration) -> Option<Arc<Provider>> {
        let guard = self.current.read().unwrap_or_else(|e| e.into_inner());
        guard
            .as_ref()
            .filter(|p| p.fetched_at.elapsed() < ttl)
            .cloned()
    }

    fn store(&self, provider: Arc<Provider>) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(provider);
    }

    /// The provider, from cache or fetched; concurrent first loads share one fetch.
    pub(crate) async fn get(
        &self,
        settings: &Settings,
        http: &HttpClient,
    ) -> Result<Arc<Provider>, ProviderError> {
        if let Some(provider) = self.cached(settings.discovery_ttl) {
            return Ok(provider);
        }
        let _loading = self.loading.lock().await;
        if let Some(provider) = self.cached(settings.discovery_ttl) {
            return Ok(provider);
        }
        let provider = Arc::new(discover(settings, http).await?);
        self.store(provider.clone());
        Ok(provider)
    }

    /// Fetches the JWKS again because a token names a key `seen` does not have. Returns
    /// `None` when a refetch happened too recently (the caller then rejects the token).
    pub(crate) async fn refresh_keys(
        &self,
        seen: &Arc<Provider>,
        settings: &Settings,
        http: &HttpClient,
    ) -> Result<Option<Arc<Provider>>, ProviderError> {
        let mut last_refetch = self.loading.lock().await;
        if let Some(current) = self.cached(settings.discovery_ttl)
            && !Arc::ptr_eq(&current, seen)
        {
            // Someone refetched while we waited.
            return Ok(Some(current));
        }
        if last_refetch.is_some_and(|at| at.elapsed() < JWKS_REFETCH_INTERVAL) {
            return Ok(None);
        }
        // The attempt counts, not only a success: the `kid` that asks for a refetch may
        // come from an unauthenticated request (a forged logout token), and a failing
        // JWKS endpoint must not be fetched once per such request.
        *last_refetch = Some(Instant::now());
        let jwks: CoreJsonWebKeySet = http.get_json(http.inner.get(seen.jwks_uri.clone())).await?;
        let provider = Arc::new(Provider {
            client: seen.client.clone(),
            extra: seen.extra.clone(),
            id_token_algs: seen.id_token_algs.clone(),
            jwks,
            jwks_uri: seen.jwks_uri.clone(),
            fetched_at: seen.fetched_at,
        });
        self.store(provider.clone());
        Ok(Some(provider))
    }
}

async fn discover(settings: &Settings, http: &HttpClient) -> Result<Provider, ProviderError> {
    let url = settings.discovery_url();
    let invalid = |reason: String| ProviderError::InvalidResponse {
        url: url.clone(),
        reason,
    };
    let body = http.send(http.inner.get(&url)).await?;
    let metadata: CoreProviderMetadata = serde_json::from_slice(&body)
        .map_err(|e| invalid(format!("not a discovery document: {e}")))?;
    let extra: ExtraMetadata = serde_json::from_slice(&body)
        .map_err(|e| invalid(format!("not a discovery document: {e}")))?;
    if metadata.issuer().as_str() != settings.issuer {
        return Err(invalid(format!(
            "it names the issuer `{}`, not `{}`",
            metadata.issuer().as_str(),
            settings.issuer
        )));
    }
    let id_token_algs: Vec<_> = metadata
        .id_token_signing_alg_values_supported()
        .iter()
        .filter(|alg| acceptable(alg))
        .cloned()
        .collect();
    if id_token_algs.is_empty() {
        return Err(invalid(
            "it signs ID tokens with no asymmetric algorithm we accept".into(),
        ));
    }
    let jwks_uri = metadata.jwks_uri().url().clone();
    let jwks: CoreJsonWebKeySet = http.get_json(http.inner.get(jwks_uri.clone())).await?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(settings.app_id.clone()),
        Some(ClientSecret::new(settings.app_secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::from_url(settings.callback_url.clone()));
    Ok(Provider {
        client,
        extra,
        id_token_algs,
        jwks,
        jwks_uri,
        fetched_at: Instant::now(),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use axum::{Json, Router, routing::get};
    use serde_json::json;

    use super::*;
    use crate::config::Config;

    struct Auth;
    impl Config for Auth {
        const SCOPES: &'static [&'static str] = &[];
        const RESOURCES: &'static [&'static str] = &[];
    }

    /// A fixture provider that counts discovery requests and answers slowly, so
    /// concurrent first loads overlap.
    async fn fixture() -> (String, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let (issuer, counter) = (format!("{base}/oidc"), hits.clone());
        let discovery = move || {
            let (issuer, counter) = (issuer.clone(), counter.clone());
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
                Json(json!({
                    "issuer": issuer,
                    "authorization_endpoint": format!("{issuer}/auth"),
                    "token_endpoint": format!("{issuer}/token"),
                    "jwks_uri": format!("{issuer}/jwks"),
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["ES384", "HS256", "none"],
                }))
            }
        };
        let app = Router::new()
            .route("/oidc/.well-known/openid-configuration", get(discovery))
            .route("/oidc/jwks", get(|| async { Json(json!({"keys": []})) }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (base, hits)
    }

    fn settings(endpoint: &str) -> Settings {
        crate::settings::LogtoBuilder::new::<Auth>()
            .endpoint(endpoint)
            .app_id("app")
            .app_secret("secret")
            .base_url("http://127.0.0.1:1")
            .cookie_secret("0123456789abcdef0123456789abcdef")
            .validate()
            .unwrap()
    }

    #[tokio::test]
    async fn concurrent_first_loads_share_one_fetch_and_symmetric_algorithms_are_dropped() {
        let (endpoint, hits) = fixture().await;
        let settings = settings(&endpoint);
        let http = HttpClient::new(Duration::from_secs(5));
        let cache = ProviderCache::default();
        let loads =
            futures_util::future::join_all((0..20).map(|_| cache.get(&settings, &http))).await;
        assert!(loads.iter().all(Result::is_ok));
        assert_eq!(hits.load(Ordering::SeqCst), 1);
        let provider = cache.get(&settings, &http).await.unwrap();
        assert_eq!(
            provider.id_token_algs,
            [CoreJwsSigningAlgorithm::EcdsaP384Sha384]
        );
        assert_eq!(hits.load(Ordering::SeqCst), 1, "cached");
    }

    #[tokio::test]
    async fn the_cache_expires() {
        let (endpoint, hits) = fixture().await;
        let mut settings = settings(&endpoint);
        settings.discovery_ttl = Duration::from_millis(1);
        let http = HttpClient::new(Duration::from_secs(5));
        let cache = ProviderCache::default();
        cache.get(&settings, &http).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        cache.get(&settings, &http).await.unwrap();
        assert_eq!(hits.load(Ordering::SeqCst), 2);
    }
}
