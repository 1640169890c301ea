//! The userinfo endpoint, called only when a claims type needs it.

use serde_json::{Map, Value};

use crate::{error::ProviderError, logto::Inner};

/// Fetches userinfo with the session's access token and checks it is about `sub`
/// (OIDC Core 5.3.4).
pub(crate) async fn fetch(
    inner: &Inner,
    access_token: &str,
    sub: &str,
) -> Result<Map<String, Value>, ProviderError> {
    let provider = inner.provider().await?;
    let endpoint =
        provider
            .extra
            .userinfo_endpoint
            .clone()
            .ok_or_else(|| ProviderError::InvalidResponse {
                url: inner.settings.discovery_url(),
                reason: "the provider has no userinfo endpoint".into(),
            })?;
    let url = endpoint.to_string();
    let claims: Map<String, Value> = inner
        .http
        .get_json(inner.http.inner.get(endpoint).bearer_auth(access_token))
        .await?;
    if claims.get("sub").and_then(Value::as_str) != Some(sub) {
        return Err(ProviderError::InvalidResponse {
            url,
            reason: "the userinfo `sub` is not the session's".into(),
        });
    }
    Ok(claims)
}
