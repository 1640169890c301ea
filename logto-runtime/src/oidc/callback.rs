//! The callback: state, issuer (RFC 9207), code exchange with PKCE, ID token.

use openidconnect::{AuthorizationCode, OAuth2TokenResponse, PkceCodeVerifier, TokenResponse};
use serde::Deserialize;

use super::{Client, IdTokenCheck, http::token_error, id_token};
use crate::{
    error::{CallbackError, OAuthError, OAuthErrorCode, ProviderError},
    session::{SessionData, Transaction, data::SESSION_LIFETIME_SECS},
};

/// The query of a callback request.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Checks the callback and exchanges its code. `take` removes the transaction of a
/// state, so a callback can be used at most once, even when it fails.
pub(crate) async fn finish(
    client: &Client<'_>,
    params: CallbackParams,
    take: impl FnOnce(&str) -> Option<Transaction>,
) -> Result<(SessionData, String), CallbackError> {
    let Some(state) = params.state.as_deref() else {
        return Err(CallbackError::MissingState);
    };
    // Only a callback of a sign-in this browser started may speak: an `error` (and its
    // `error_description`, text anyone can put in a link) on an unknown state is
    // refused in our own words, never shown.
    let tx = take(state).ok_or(CallbackError::UnknownState)?;
    if let Some(code) = params.error {
        return Err(CallbackError::Provider(OAuthError {
            code: OAuthErrorCode::parse(&code),
            description: params.error_description,
        }));
    }
    let provider = client.provider().await?;
    let iss_required = provider
        .extra
        .authorization_response_iss_parameter_supported;
    match params.iss.as_deref() {
        Some(iss) if iss != client.settings.issuer => return Err(CallbackError::IssuerMismatch),
        None if iss_required => return Err(CallbackError::IssuerMismatch),
        _ => {}
    }
    let code = params
        .code
        .filter(|c| !c.is_empty())
        .ok_or(CallbackError::MissingCode)?;

    let token_url = provider
        .client
        .token_uri()
        .map(|u| u.to_string())
        .unwrap_or_default();
    let response = provider
        .client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| ProviderError::InvalidResponse {
            url: client.settings.discovery_url(),
            reason: e.to_string(),
        })?
        .set_pkce_verifier(PkceCodeVerifier::new(tx.pkce_verifier))
        .request_async(&client.http.for_oauth())
        .await
        .map_err(|e| token_error(&token_url, e))?;

    super::http::check_token_type(&token_url, response.token_type().as_ref())?;
    let id_token = response
        .id_token()
        .ok_or_else(|| ProviderError::InvalidIdToken("the token response has no ID token".into()))?
        .to_string();
    let access_token = response.access_token().secret().clone();
    let claims = id_token::verify(
        client,
        &id_token,
        Some(&access_token),
        IdTokenCheck::SignIn { nonce: &tx.nonce },
    )
    .await?;

    let now = client.settings.clock.unix_seconds();
    let session = SessionData {
        id_token,
        refresh_token: response.refresh_token().map(|t| t.secret().clone()),
        access_token: Some(super::stored_token(
            client,
            access_token,
            response
                .scopes()
                .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")),
            response.expires_in().map(|d| d.as_secs() as i64),
        )),
        id_expires_at: super::id_token_lifetime(client, &claims),
        issued_at: crate::session::data::issue_time(),
        tokens: Default::default(),
        userinfo: None,
        expires_at: now + SESSION_LIFETIME_SECS,
        // Back-channel logout names the provider's session by it.
        sid: claims
            .get("sid")
            .and_then(|s| s.as_str())
            .map(str::to_owned),
        signed_in_at: crate::clock::unix_millis(&*client.settings.clock),
    };
    Ok((session, tx.redirect))
}
