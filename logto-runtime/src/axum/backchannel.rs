//! `POST /backchannel-logout`: the provider's logout tokens (OpenID Connect
//! Back-Channel Logout 1.0, section 2.5 and 2.8).

use axum::{
    body::{Body, to_bytes},
    response::{IntoResponse, Response},
};
use http::{HeaderValue, Request, StatusCode, header};

use super::rejection::{json_error, provider_status};
use crate::{
    Logto,
    backchannel::{self, Outcome, Unavailable},
    error::PublicMessage,
    oidc::logout_token::MAX_LEN,
};

/// The largest body read: a form with one logout token, with room for
/// percent-encoding. Larger bodies are refused unread.
const MAX_BODY: usize = 3 * MAX_LEN;

const BAD_TOKEN: PublicMessage =
    PublicMessage::fixed("invalid_request", "the logout token is missing or invalid");

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The `logout_token` of a form body: exactly one, or `None`.
pub(crate) fn logout_token(headers: &http::HeaderMap, body: &[u8]) -> Option<String> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return None;
    }
    let mut tokens = url::form_urlencoded::parse(body)
        .filter(|(name, _)| name == "logout_token")
        .map(|(_, value)| value.into_owned());
    match (tokens.next(), tokens.next()) {
        (Some(token), None) if !token.is_empty() => Some(token),
        _ => None,
    }
}

pub(super) async fn backchannel_logout(logto: Logto, request: Request<Body>) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        tracing::info!(target: "logto::backchannel", "refused a logout request: its body is too large or broken");
        return no_store(json_error(StatusCode::BAD_REQUEST, &BAD_TOKEN));
    };
    let Some(token) = logout_token(&parts.headers, &body) else {
        tracing::info!(target: "logto::backchannel", "refused a logout request without one form-encoded logout_token");
        return no_store(json_error(StatusCode::BAD_REQUEST, &BAD_TOKEN));
    };
    let inner = &logto.inner;
    let response = match backchannel::logout(&inner.oidc(), &inner.backchannel, &token).await {
        Outcome::Done { ended } => {
            tracing::info!(target: "logto::backchannel", ended, "back-channel logout");
            StatusCode::OK.into_response()
        }
        Outcome::Invalid(error) => {
            tracing::warn!(target: "logto::backchannel", %error, "refused a logout token");
            json_error(StatusCode::BAD_REQUEST, &BAD_TOKEN)
        }
        Outcome::Replayed => {
            tracing::warn!(target: "logto::backchannel", "refused a logout token seen before (jti)");
            json_error(StatusCode::BAD_REQUEST, &BAD_TOKEN)
        }
        Outcome::Unavailable(Unavailable::Store(error)) => {
            super::rejection::store_unavailable(&error)
        }
        Outcome::Unavailable(Unavailable::Provider(error)) => {
            tracing::warn!(target: "logto::backchannel", %error, "the provider's keys could not be had for a logout token");
            // Only a provider we could not reach is worth the provider's retry.
            let status = match provider_status(&error) {
                StatusCode::GATEWAY_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
                other => other,
            };
            json_error(status, &error.public_message())
        }
    };
    no_store(response)
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;

    fn form() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        headers
    }

    #[test]
    fn exactly_one_form_encoded_logout_token() {
        assert_eq!(
            logout_token(&form(), b"logout_token=a.b.c"),
            Some("a.b.c".into())
        );
        assert_eq!(
            logout_token(&form(), b"x=1&logout_token=a%2Eb.c"),
            Some("a.b.c".into())
        );
        assert_eq!(
            logout_token(&form(), b"logout_token=a&logout_token=b"),
            None
        );
        assert_eq!(logout_token(&form(), b"logout_token="), None);
        assert_eq!(logout_token(&form(), b"token=a"), None);
        assert_eq!(logout_token(&HeaderMap::new(), b"logout_token=a"), None);
        let mut json = HeaderMap::new();
        json.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert_eq!(logout_token(&json, b"logout_token=a"), None);
    }
}
