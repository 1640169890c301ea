//! Sign-out: revoke the refresh token, then RP-initiated logout at the provider.

use url::Url;

use super::Client;
use crate::session::SessionData;

/// Revokes what can be revoked and returns where to send the browser: the provider's
/// end-session endpoint, or straight to the post sign-out URI when it has none.
pub(crate) async fn sign_out(client: &Client<'_>, session: Option<&SessionData>) -> Url {
    let settings = &client.settings;
    let provider = match client.provider().await {
        Ok(provider) => provider,
        Err(error) => {
            tracing::warn!(target: "logto::oidc", %error, "signing out locally: the provider is unavailable");
            return settings.post_sign_out_redirect_uri.clone();
        }
    };
    if let (Some(endpoint), Some(refresh_token)) = (
        provider.extra.revocation_endpoint.clone(),
        session.and_then(|s| s.refresh_token.clone()),
    ) {
        let request = client
            .http
            .inner
            .post(endpoint)
            .basic_auth(
                form_encode(&settings.app_id),
                Some(form_encode(&settings.app_secret)),
            )
            .form(&[
                ("token", refresh_token.as_str()),
                ("token_type_hint", "refresh_token"),
            ]);
        if let Err(error) = client.http.send(request).await {
            // The session is gone from the browser either way; the grant expires.
            tracing::warn!(target: "logto::oidc", %error, "revoking the refresh token failed");
        }
    }
    let Some(mut url) = provider.extra.end_session_endpoint.clone() else {
        return settings.post_sign_out_redirect_uri.clone();
    };
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("client_id", &settings.app_id);
        query.append_pair(
            "post_logout_redirect_uri",
            settings.post_sign_out_redirect_uri.as_str(),
        );
        if let Some(session) = session {
            query.append_pair("id_token_hint", &session.id_token);
        }
    }
    url
}

/// RFC 6749 2.3.1: client credentials in Basic auth are form-encoded first.
pub(crate) fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
