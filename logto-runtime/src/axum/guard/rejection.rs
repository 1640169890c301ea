//! Why a guard refused a request, and its RFC 6750 answer.

use axum::{
    Json,
    response::{IntoResponse, Redirect, Response},
};
use http::{HeaderValue, StatusCode, header};
use serde_json::json;

use super::super::{
    AuthRejection,
    rejection::{json_error, misconfigured, provider_status},
};
use crate::{bearer::BearerError, context::ContextError, error::PublicMessage, tokens::TokenError};

/// Why a guard refused a request. Each answers per RFC 6750, with a JSON body
/// `{"error", "error_description"}` (and `"scope"` for `insufficient_scope`) of
/// [`PublicMessage`]'s codes. A bearer token's description says what is wrong with
/// the token the client sent; failures of the provider or the app say only what
/// happened, their details go to the log.
///
/// ```
/// use axum::{http::StatusCode, response::IntoResponse};
/// use logto::GuardRejection;
///
/// let response = GuardRejection::MissingBearerToken.into_response();
/// assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
/// assert_eq!(response.headers()["www-authenticate"], "Bearer");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuardRejection {
    /// Neither a session nor bearer credentials: 401 with a bare
    /// `WWW-Authenticate: Bearer` challenge.
    #[error("no credentials: sign in, or send an access token in `Authorization: Bearer <token>`")]
    MissingCredentials,
    /// No bearer token, where only bearer tokens count (an API): 401 with a bare
    /// `WWW-Authenticate: Bearer` challenge.
    #[error("no access token: send one in `Authorization: Bearer <token>`")]
    MissingBearerToken,
    /// Signed out, on a page that opted into a redirect: 303 to sign-in and back.
    #[error("not signed in: redirecting to {location}")]
    RedirectToSignIn {
        /// The sign-in URL, with the page to come back to.
        location: String,
    },
    /// The `Authorization` header is malformed: 400 `invalid_request`.
    #[error("the Authorization header is malformed: {0}")]
    InvalidRequest(&'static str),
    /// The bearer token is invalid (401 `invalid_token`) or lacks a scope (403
    /// `insufficient_scope`), or the provider's keys are out of reach (503/504/502).
    /// The session's access token lacking a scope answers as the latter too.
    #[error(transparent)]
    Bearer(#[from] BearerError),
    /// The session could not be judged: the provider failed or refused a refresh.
    #[error(transparent)]
    Session(AuthRejection),
    /// The guard does not fit the app (a path parameter or a resource that is not
    /// there): a bug, 500. Startup checks catch most of these earlier.
    #[error("the guard cannot run: {0}")]
    Misconfigured(String),
}

impl From<TokenError> for GuardRejection {
    fn from(error: TokenError) -> Self {
        Self::Session(AuthRejection::Context(ContextError::Token(error)))
    }
}

/// A quoted-string for a challenge (RFC 6750 §3: `%x20-21 / %x23-5B / %x5D-7E`):
/// token text from the outside never breaks out of it.
fn quoted(text: &str) -> String {
    text.chars()
        .take(200)
        .map(|c| {
            if c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\') {
                c
            } else {
                '?'
            }
        })
        .collect()
}

fn challenge(response: &mut Response, value: String) {
    if let Ok(value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
}

impl IntoResponse for GuardRejection {
    fn into_response(self) -> Response {
        match self {
            Self::MissingCredentials | Self::MissingBearerToken => {
                let message = PublicMessage::fixed(
                    "unauthorized",
                    match self {
                        Self::MissingCredentials => {
                            "no credentials: sign in, or send an access token in `Authorization: Bearer <token>`"
                        }
                        _ => "no access token: send one in `Authorization: Bearer <token>`",
                    },
                );
                let mut response = json_error(StatusCode::UNAUTHORIZED, &message);
                challenge(&mut response, "Bearer".into());
                response
            }
            Self::RedirectToSignIn { location } => Redirect::to(&location).into_response(),
            Self::InvalidRequest(why) => {
                let mut response = json_error(
                    StatusCode::BAD_REQUEST,
                    &PublicMessage::fixed("invalid_request", why),
                );
                challenge(
                    &mut response,
                    format!(
                        "Bearer error=\"invalid_request\", error_description=\"{}\"",
                        quoted(why)
                    ),
                );
                response
            }
            Self::Bearer(BearerError::Invalid(invalid)) => {
                // About the client's own token, checked against this API's public
                // requirements (RFC 6750 3: a description for the client's developer).
                let description = invalid.to_string();
                let mut response = json_error(
                    StatusCode::UNAUTHORIZED,
                    &PublicMessage::composed("invalid_token", description.clone()),
                );
                challenge(
                    &mut response,
                    format!(
                        "Bearer error=\"invalid_token\", error_description=\"{}\"",
                        quoted(&description)
                    ),
                );
                response
            }
            Self::Bearer(error @ BearerError::InsufficientScope { .. }) => {
                let BearerError::InsufficientScope { required } = &error else {
                    unreachable!("matched above")
                };
                let scope = required.join(" ");
                // The scopes are the guard's own, from the app's code.
                let message = PublicMessage::composed("insufficient_scope", error.to_string());
                let body = json!({
                    "error": message.code(),
                    "error_description": message.description(),
                    "scope": scope,
                });
                let mut response = (StatusCode::FORBIDDEN, Json(body)).into_response();
                challenge(
                    &mut response,
                    format!(
                        "Bearer error=\"insufficient_scope\", scope=\"{}\"",
                        quoted(&scope)
                    ),
                );
                response
            }
            // The details (which URL, which transport error) are for the logs: a
            // client learns only that its token cannot be judged now.
            Self::Bearer(BearerError::Provider(error)) => {
                tracing::warn!(target: "logto::bearer", %error, "the provider's keys are out of reach: cannot verify access tokens");
                json_error(provider_status(&error), &error.public_message())
            }
            Self::Bearer(error @ BearerError::KeysUnavailable { .. }) => {
                tracing::debug!(target: "logto::bearer", %error, "access token not judged: the keys are in their back-off");
                let mut response = json_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &PublicMessage::composed("temporarily_unavailable", error.to_string()),
                );
                if let BearerError::KeysUnavailable { retry_after } = error {
                    response.headers_mut().insert(
                        header::RETRY_AFTER,
                        HeaderValue::from(crate::bearer::retry_seconds(retry_after)),
                    );
                }
                response
            }
            Self::Session(rejection) => rejection.into_response(),
            Self::Misconfigured(_) => {
                tracing::error!(target: "logto::config", "{self}");
                json_error(StatusCode::INTERNAL_SERVER_ERROR, &misconfigured())
            }
        }
    }
}
