//! The HTTP client every provider call goes through: a timeout on each request, no
//! redirects followed (OAuth endpoints never redirect; following one would be SSRF),
//! and transport failures told apart (unreachable 503, timeout 504, garbage 502).

use std::{future::Future, pin::Pin, time::Duration};

use openidconnect::{RequestTokenError, StandardErrorResponse, core::CoreErrorResponseType};
use serde::de::DeserializeOwned;

use crate::error::{OAuthError, OAuthErrorCode, ProviderError};

/// Answers larger than this are not a provider's.
const MAX_BODY: usize = 1 << 20;

/// What a token request's HTTP call returns to `openidconnect`.
pub(crate) type OAuthFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<Vec<u8>>, ProviderError>> + Send>>;

#[derive(Debug, Clone)]
pub(crate) struct HttpClient {
    pub inner: reqwest::Client,
}

impl HttpClient {
    pub(crate) fn new(timeout: Duration) -> Self {
        let inner = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("logto-rs/", env!("CARGO_PKG_VERSION")))
            .build()
            // Building fails only when the TLS backend cannot start; fall back to the
            // default client rather than panic (it has the same backend).
            .unwrap_or_default();
        Self { inner }
    }

    /// Sends a request and returns the body of a 2xx answer; an OAuth error body on
    /// other statuses becomes [`ProviderError::OAuth`].
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Vec<u8>, ProviderError> {
        let request = request.build().map_err(|e| transport("(request)", &e))?;
        let url = redact(request.url());
        let response = self
            .inner
            .execute(request)
            .await
            .map_err(|e| transport(&url, &e))?;
        let status = response.status();
        let body = read_limited(response, &url).await?;
        if status.is_success() {
            return Ok(body);
        }
        if let Some(error) = parse_oauth_error(&body) {
            return Err(error.into());
        }
        Err(ProviderError::InvalidResponse {
            url,
            reason: format!("HTTP {status}"),
        })
    }

    /// A client for `openidconnect`'s token requests: the same timeout, no redirects
    /// and the same cap on the answer's size as every other call.
    pub(crate) fn for_oauth(&self) -> impl Fn(http::Request<Vec<u8>>) -> OAuthFuture + use<> {
        let client = self.clone();
        move |request| {
            let client = client.clone();
            Box::pin(async move { client.oauth(request).await })
        }
    }

    async fn oauth(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, ProviderError> {
        let (parts, body) = request.into_parts();
        let url = parts.uri.to_string();
        let mut builder = self.inner.request(parts.method, &url).body(body);
        for (name, value) in &parts.headers {
            builder = builder.header(name, value);
        }
        let response = builder.send().await.map_err(|e| transport(&url, &e))?;
        let mut answer = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            answer = answer.header(name, value);
        }
        let body = read_limited(response, &url).await?;
        answer
            .body(body)
            .map_err(|e| ProviderError::InvalidResponse {
                url,
                reason: e.to_string(),
            })
    }

    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ProviderError> {
        let request = request.header(http::header::ACCEPT, "application/json");
        let url = request
            .try_clone()
            .and_then(|r| r.build().ok())
            .map(|r| redact(r.url()))
            .unwrap_or_default();
        let body = self.send(request).await?;
        serde_json::from_slice(&body).map_err(|e| ProviderError::InvalidResponse {
            url,
            reason: format!("not the expected JSON: {e}"),
        })
    }
}

async fn read_limited(
    mut response: reqwest::Response,
    url: &str,
) -> Result<Vec<u8>, ProviderError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport(url, &e))? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ProviderError::InvalidResponse {
                url: url.to_owned(),
                reason: "the answer is larger than 1 MiB".into(),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Query strings may hold codes or tokens: never log or show them.
fn redact(url: &reqwest::Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.to_string()
}

pub(crate) fn transport(url: &str, error: &reqwest::Error) -> ProviderError {
    if error.is_timeout() {
        ProviderError::Timeout {
            url: url.to_owned(),
        }
    } else if error.is_connect() || error.is_request() {
        ProviderError::Unreachable {
            url: url.to_owned(),
            reason: error_chain(error),
        }
    } else {
        ProviderError::InvalidResponse {
            url: url.to_owned(),
            reason: error_chain(error),
        }
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// An OAuth error body; unknown fields (Logto adds `code`, `message`, `error_uri`) are
/// ignored.
pub(crate) fn parse_oauth_error(body: &[u8]) -> Option<OAuthError> {
    #[derive(serde::Deserialize)]
    struct Body {
        error: String,
        error_description: Option<String>,
    }
    let body: Body = serde_json::from_slice(body).ok()?;
    Some(OAuthError {
        code: OAuthErrorCode::parse(&body.error),
        description: body.error_description,
    })
}

type TokenError = RequestTokenError<ProviderError, StandardErrorResponse<CoreErrorResponseType>>;

/// Maps an `openidconnect` token request failure to ours.
pub(crate) fn token_error(url: &str, error: TokenError) -> ProviderError {
    match error {
        RequestTokenError::ServerResponse(response) => ProviderError::OAuth(OAuthError {
            code: OAuthErrorCode::parse(response.error().as_ref()),
            description: response.error_description().cloned(),
        }),
        RequestTokenError::Request(error) => error,
        RequestTokenError::Parse(e, body) => match parse_oauth_error(&body) {
            Some(oauth) => ProviderError::OAuth(oauth),
            None => ProviderError::InvalidResponse {
                url: url.to_owned(),
                reason: format!("malformed token response: {e}"),
            },
        },
        RequestTokenError::Other(reason) => ProviderError::InvalidResponse {
            url: url.to_owned(),
            reason,
        },
    }
}

/// A token response must issue a Bearer token (OIDC Core 3.1.3.3, case-insensitive per
/// RFC 6749 5.1): a `mac` or other token used as a bearer would be misused.
pub(crate) fn check_token_type(url: &str, token_type: &str) -> Result<(), ProviderError> {
    if token_type.eq_ignore_ascii_case("bearer") {
        Ok(())
    } else {
        Err(ProviderError::InvalidResponse {
            url: url.to_owned(),
            reason: format!(
                "the token response's `token_type` is `{}`, not `Bearer`",
                // The provider's text, bounded: it goes to the logs.
                token_type.chars().take(32).collect::<String>()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bearer_tokens_are_taken() {
        assert!(check_token_type("u", "Bearer").is_ok());
        assert!(check_token_type("u", "bearer").is_ok());
        assert!(check_token_type("u", "BEARER").is_ok());
        assert!(check_token_type("u", "mac").is_err());
        assert!(check_token_type("u", "").is_err());
    }

    #[test]
    fn oauth_errors_with_logto_extra_fields_parse() {
        let body = br#"{"error":"invalid_grant","error_description":"grant request is invalid","code":"oidc.invalid_grant","message":"m","error_uri":"https://x"}"#;
        let error = parse_oauth_error(body).unwrap();
        assert_eq!(error.code, OAuthErrorCode::InvalidGrant);
        assert_eq!(
            error.description.as_deref(),
            Some("grant request is invalid")
        );
        assert_eq!(parse_oauth_error(b"<html>").map(|e| e.code), None);
        assert_eq!(
            parse_oauth_error(br#"{"error":"invalid_target"}"#).map(|e| e.code),
            Some(OAuthErrorCode::InvalidTarget)
        );
    }
}
