//! The `refresh_token` grant, with `resource` and `organization_id` as Logto takes them.

use openidconnect::{OAuth2TokenResponse, RefreshToken, TokenResponse};

use super::TokenRequest;
use crate::{
    error::ProviderError,
    oidc::{self, Client, IdTokenCheck, id_token_lifetime, stored_token},
    session::StoredToken,
};

/// What one refresh produced, to apply to every copy of the session that still holds
/// the refresh token it consumed.
#[derive(Debug, Clone)]
pub(crate) struct RefreshOutcome {
    /// The rotated refresh token, or `None` when the provider kept the old one.
    pub refresh_token: Option<String>,
    /// A new ID token and its expiry by our clock.
    pub id_token: Option<(String, i64)>,
    /// The session key of the token; `None` for the userinfo token.
    pub key: Option<String>,
    /// When the provider answered (see `SessionData::issued_at`).
    pub issued_at: i64,
    pub token: StoredToken,
}

/// Sends the refresh grant. `sub` is the session's subject: a new ID token must name it.
pub(crate) async fn send_refresh_grant(
    client: &Client<'_>,
    refresh_token: &str,
    request: Option<&TokenRequest>,
    sub: &str,
) -> Result<RefreshOutcome, ProviderError> {
    let provider = client.provider().await?;
    let token_url = provider
        .client
        .token_uri()
        .map(|u| u.to_string())
        .unwrap_or_default();
    let refresh_token = RefreshToken::new(refresh_token.to_owned());
    let mut grant = provider
        .client
        .exchange_refresh_token(&refresh_token)
        .map_err(|e| ProviderError::InvalidResponse {
            url: client.settings.discovery_url(),
            reason: e.to_string(),
        })?;
    if let Some(resource) = request.and_then(TokenRequest::resource_indicator) {
        grant = grant.add_extra_param("resource", resource.to_owned());
    }
    if let Some(organization) = request.and_then(TokenRequest::organization_indicator) {
        grant = grant.add_extra_param("organization_id", organization.to_owned());
    }
    let response = grant
        .request_async(&client.http.for_oauth())
        .await
        .map_err(|e| oidc::http::token_error(&token_url, e))?;

    oidc::http::check_token_type(&token_url, response.token_type().as_ref())?;
    let access_token = response.access_token().secret().clone();
    let id_token = match response.id_token() {
        Some(id_token) => {
            let raw = id_token.to_string();
            let claims = oidc::id_token::verify(
                client,
                &raw,
                Some(&access_token),
                IdTokenCheck::Refresh { sub },
            )
            .await?;
            Some((raw, id_token_lifetime(client, &claims)))
        }
        None => None,
    };
    let scope = response
        .scopes()
        .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "));
    let expires_in = response.expires_in().map(|d| d.as_secs() as i64);
    Ok(RefreshOutcome {
        refresh_token: response.refresh_token().map(|t| t.secret().clone()),
        id_token,
        key: request.map(TokenRequest::key),
        issued_at: crate::session::data::issue_time(),
        token: stored_token(client, access_token, scope, expires_in),
    })
}
