//! The userinfo endpoint, called only when a claims type needs it.

use serde_json::{Map, Value};

use super::Client;
use crate::error::ProviderError;

/// Fetches userinfo with the session's access token and checks it is about `sub`
/// (OIDC Core 5.3.4).
pub(crate) async fn fetch(
    client: &Client<'_>,
    access_token: &str,
    sub: &str,
) -> Result<Map<String, Value>, ProviderError> {
    let provider = client.provider().await?;
    let endpoint =
        provider
            .extra
            .userinfo_endpoint
            .clone()
            .ok_or_else(|| ProviderError::InvalidResponse {
                url: client.settings.discovery_url(),
                reason: "the provider has no userinfo endpoint".into(),
            })?;
    let url = endpoint.to_string();
    let claims: Map<String, Value> = client
        .http
        .get_json(client.http.inner.get(endpoint).bearer_auth(access_token))
        .await?;
    if claims.get("sub").and_then(Value::as_str) != Some(sub) {
        return Err(ProviderError::InvalidResponse {
            url,
            reason: "the userinfo `sub` is not the session's".into(),
        });
    }
    Ok(claims)
}
