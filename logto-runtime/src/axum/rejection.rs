//! What a handler answers when its user cannot be had.
//!
//! Every body here is built from a [`PublicMessage`]: the details of an error (the
//! provider's URL, a transport error, the store's message) go to `tracing`, never to
//! the client.

use axum::{
    Json,
    response::{IntoResponse, Redirect, Response},
};
use http::StatusCode;
use serde_json::json;

use crate::{
    context::ContextError,
    error::{OAuthErrorCode, ProviderError, PublicMessage},
    store::StoreError,
    tokens::{TokenError, provider_refusal},
};

/// Why an extractor refused a request. Each answers with its own status and a body
/// `{"error", "error_description"}` of [`PublicMessage`]'s codes.
///
/// ```
/// use axum::{http::StatusCode, response::IntoResponse};
/// use logto::AuthRejection;
///
/// let rejection = AuthRejection::SignedOut;
/// assert_eq!(rejection.public_message().code(), "unauthorized");
/// assert_eq!(rejection.into_response().status(), StatusCode::UNAUTHORIZED);
/// ```
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

impl AuthRejection {
    /// What a client may be told, for an app that answers with its own page: the same
    /// words as this rejection's response, never the details of its `Display`.
    pub fn public_message(&self) -> PublicMessage {
        match self {
            Self::SignedOut | Self::RedirectToSignIn { .. } => {
                PublicMessage::fixed("unauthorized", "sign in first")
            }
            Self::MissingLayer => misconfigured(),
            Self::Context(error) => error.public_message(),
        }
    }
}

/// The status of a provider failure that no caller maps on purpose: the provider out
/// of reach (503), too slow (504), or answering something unusable, including any
/// refusal with an OAuth code (502): a provider's refusal is not the client's fault.
pub(crate) fn provider_status(error: &ProviderError) -> StatusCode {
    match error {
        ProviderError::Unreachable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        ProviderError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
        ProviderError::InvalidResponse { .. }
        | ProviderError::InvalidIdToken(_)
        | ProviderError::OAuth(_) => StatusCode::BAD_GATEWAY,
    }
}

/// The status of a failed code exchange at the callback: an expired or consumed code
/// (`invalid_grant`) is 400, the user signs in again; anything else as
/// [`provider_status`].
pub(crate) fn code_exchange_status(error: &ProviderError) -> StatusCode {
    match error {
        ProviderError::OAuth(oauth) if oauth.code == OAuthErrorCode::InvalidGrant => {
            StatusCode::BAD_REQUEST
        }
        _ => provider_status(error),
    }
}

/// A JSON error body: the only way this crate answers an API with an error.
pub(crate) fn json_error(status: StatusCode, message: &PublicMessage) -> Response {
    (
        status,
        Json(json!({ "error": message.code(), "error_description": message.description() })),
    )
        .into_response()
}

/// 502/503/504 for a provider failure, logged with its details.
fn provider_failure(error: &ProviderError) -> Response {
    tracing::warn!(target: "logto::oidc", %error, "the provider failed");
    json_error(provider_status(error), &error.public_message())
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match &self {
            Self::SignedOut => json_error(
                StatusCode::UNAUTHORIZED,
                &PublicMessage::fixed("unauthorized", "sign in first"),
            ),
            Self::RedirectToSignIn { location } => Redirect::to(location).into_response(),
            Self::MissingLayer => {
                tracing::error!(target: "logto::config", "{self}");
                json_error(StatusCode::INTERNAL_SERVER_ERROR, &misconfigured())
            }
            Self::Context(ContextError::Token(error)) => token_error_response(error),
            Self::Context(ContextError::Store(error)) => store_unavailable(error),
            Self::Context(ContextError::Provider(error)) => provider_failure(error),
            Self::Context(error) => {
                tracing::warn!(target: "logto::oidc", %error, "the user's claims are unusable");
                json_error(StatusCode::BAD_GATEWAY, &error.public_message())
            }
        }
    }
}

/// What a client hears of an app that cannot work as configured.
pub(crate) fn misconfigured() -> PublicMessage {
    PublicMessage::fixed(
        "server_error",
        "the app cannot handle this request as it is configured: its log says why",
    )
}

/// 503: the session store is down or slow; the session itself is intact.
pub(crate) fn store_unavailable(error: &StoreError) -> Response {
    tracing::error!(target: "logto::store", %error, "the session store failed");
    json_error(StatusCode::SERVICE_UNAVAILABLE, &error.public_message())
}

fn token_error_response(error: &TokenError) -> Response {
    match error {
        TokenError::Store(error) => store_unavailable(error),
        TokenError::SignedOut | TokenError::NoRefreshToken | TokenError::SessionEnded => {
            json_error(StatusCode::UNAUTHORIZED, &error.public_message())
        }
        TokenError::UnknownResource(_) | TokenError::OrganizationsNotRequested => {
            tracing::error!(target: "logto::config", %error, "the app asked for a token its config cannot get");
            json_error(StatusCode::INTERNAL_SERVER_ERROR, &error.public_message())
        }
        TokenError::Provider(provider) => match provider_refusal(provider) {
            Some((status, message)) => {
                tracing::info!(target: "logto::tokens", %provider, "the provider refused an access token to the user");
                json_error(status, &message)
            }
            None => {
                tracing::warn!(target: "logto::tokens", %provider, "the provider failed to give a token");
                json_error(provider_status(provider), &provider.public_message())
            }
        },
    }
}

/// 401 when signed out or the session ended, 403 when the provider denied the token
/// (not a member of the organization), 500 for a resource the config lacks, 503 when
/// the store is down, and 502/503/504 for any other failure of the provider; the body
/// is `{"error", "error_description"}` of [`PublicMessage`]'s codes.
impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        token_error_response(&self)
    }
}
