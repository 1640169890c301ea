//! What a handler answers when its user cannot be had.

use axum::{
    Json,
    response::{IntoResponse, Redirect, Response},
};
use http::StatusCode;
use serde_json::json;

use crate::{
    context::ContextError,
    error::{OAuthErrorCode, ProviderError},
    store::StoreError,
    tokens::TokenError,
};

/// Why an extractor refused a request. Each answers with its own status.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthRejection {
    /// No live session: 401 with a JSON error.
    #[error("not signed in")]
    SignedOut,
    /// No live session, on a page that opted into a redirect: 303 to sign-in and back.
    #[error("not signed in: redirecting to {location}")]
    RedirectToSignIn {
        /// The sign-in URL, with the page to come back to.
        location: String,
    },
    /// The router has no [`LogtoLayer`](super::LogtoLayer): a bug in the app, 500.
    #[error("the Logto session layer is missing: add `.layer(logto.layer())` to the router")]
    MissingLayer,
    /// The provider or the claims failed.
    #[error(transparent)]
    Context(#[from] ContextError),
}

/// The status that tells a client what went wrong at the provider.
pub(crate) fn provider_status(error: &ProviderError) -> StatusCode {
    match error {
        ProviderError::Unreachable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        ProviderError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        ProviderError::InvalidResponse { .. } | ProviderError::InvalidIdToken(_) => {
            StatusCode::BAD_GATEWAY
        }
        ProviderError::OAuth(oauth) => match oauth.code {
            OAuthErrorCode::AccessDenied | OAuthErrorCode::InsufficientScope => {
                StatusCode::FORBIDDEN
            }
            OAuthErrorCode::InvalidGrant => StatusCode::UNAUTHORIZED,
            OAuthErrorCode::ServerError | OAuthErrorCode::TemporarilyUnavailable => {
                StatusCode::BAD_GATEWAY
            }
            _ => StatusCode::BAD_REQUEST,
        },
    }
}

pub(crate) fn json_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match &self {
            Self::SignedOut => {
                json_error(StatusCode::UNAUTHORIZED, "unauthorized", "sign in first")
            }
            Self::RedirectToSignIn { location } => Redirect::to(location).into_response(),
            Self::MissingLayer => {
                tracing::error!("{self}");
                json_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    &self.to_string(),
                )
            }
            Self::Context(ContextError::Token(error)) => token_error_response(error),
            Self::Context(ContextError::Store(error)) => store_unavailable(error),
            Self::Context(ContextError::Provider(error)) => {
                tracing::warn!(%error, "the provider failed");
                json_error(provider_status(error), "provider_error", &error.to_string())
            }
            Self::Context(error) => {
                tracing::warn!(%error, "the user's claims are unusable");
                json_error(
                    StatusCode::BAD_GATEWAY,
                    "invalid_claims",
                    &error.to_string(),
                )
            }
        }
    }
}

/// 503: the session store is down or slow; the session itself is intact.
pub(crate) fn store_unavailable(error: &StoreError) -> Response {
    tracing::error!(%error, "the session store failed");
    json_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "session_store_unavailable",
        &error.to_string(),
    )
}

fn token_error_response(error: &TokenError) -> Response {
    match error {
        TokenError::Store(error) => store_unavailable(error),
        TokenError::SignedOut => {
            json_error(StatusCode::UNAUTHORIZED, "unauthorized", "sign in first")
        }
        TokenError::NoRefreshToken | TokenError::SessionEnded => {
            json_error(StatusCode::UNAUTHORIZED, "unauthorized", &error.to_string())
        }
        TokenError::UnknownResource(_) | TokenError::OrganizationsNotRequested => {
            tracing::error!(%error, "the app asked for a token its config cannot get");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                &error.to_string(),
            )
        }
        TokenError::Provider(provider) => {
            tracing::warn!(%provider, "the provider refused a token");
            let code = match provider {
                ProviderError::OAuth(oauth) => oauth.code.as_str(),
                _ => "provider_error",
            };
            json_error(provider_status(provider), code, &error.to_string())
        }
    }
}

/// 401 when signed out or the session ended, 403 when the provider denied the token
/// (not a member of the organization), 500 for a resource the config lacks, and the
/// provider's status otherwise; the body is `{"error", "error_description"}`.
impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        token_error_response(&self)
    }
}
