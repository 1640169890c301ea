//! [`Rejection`]: what an extractor or a guard answers when its request cannot go on,
//! and how each answer is rendered.
//!
//! One type for every refusal, as axum's own rejections: each variant carries its
//! status and body, an error keeps the variant of the step it came from (a store
//! failure met during a refresh is still the store's), and every body is built from a
//! [`PublicMessage`]: the details of an error (the provider's URL, a transport error,
//! the store's message) go to `tracing`, never to the client.

use axum::{
    Json,
    response::{IntoResponse, Redirect, Response},
};
use http::{HeaderValue, StatusCode, header, request::Parts};
use serde_json::json;

use crate::{
    bearer::BearerError,
    context::ContextError,
    error::{OAuthErrorCode, ProviderError, PublicMessage},
    logto::Logto,
    store::StoreError,
    tokens::{TokenError, provider_refusal},
};

/// Why the SDK refused a request: the rejection of [`Context`](crate::Context), the
/// claims extractors, [`RedirectToSignIn`](crate::RedirectToSignIn) and every guard.
///
/// Each variant answers with its own status and a JSON body
/// `{"error", "error_description"}` of [`PublicMessage`]'s codes (plus `"scope"` for
/// `insufficient_scope`); every 401 has that one shape, and those of a route that
/// takes bearer tokens add RFC 6750's `WWW-Authenticate: Bearer` challenge. An app
/// that answers with its own page takes `Result<Context<User>, Rejection>` and reads
/// [`Rejection::public_message`]:
///
/// ```
/// use axum::response::{Html, IntoResponse, Response};
/// use logto::{Context, Rejection};
///
/// async fn home(ctx: Result<Context, Rejection>) -> Response {
///     match ctx {
///         Ok(ctx) if ctx.is_authenticated() => Html("Welcome back").into_response(),
///         Ok(_) => Html("<a href=\"/sign-in\">Sign in</a>").into_response(),
///         // Our own page, with the words the JSON body would have used.
///         Err(rejection) => Html(rejection.public_message().description().to_owned())
///             .into_response(),
///     }
/// }
/// # let _: axum::routing::MethodRouter = axum::routing::get(home);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// No live session, where only a session counts: 401 `unauthorized`.
    #[error("not signed in")]
    SignedOut,
    /// Neither a session nor bearer credentials, on a guarded route: 401 with a bare
    /// `WWW-Authenticate: Bearer` challenge.
    #[error("no credentials: sign in, or send an access token in `Authorization: Bearer <token>`")]
    MissingCredentials,
    /// No bearer token, where only bearer tokens count (an API): 401 with a bare
    /// `WWW-Authenticate: Bearer` challenge.
    #[error("no access token: send one in `Authorization: Bearer <token>`")]
    MissingBearerToken,
    /// Signed out, on a page: 303 to sign-in, which comes back to this page.
    #[error("not signed in: redirecting to {location}")]
    RedirectToSignIn {
        /// The sign-in URL, with the page to come back to.
        location: String,
    },
    /// The `Authorization` header is malformed: 400 `invalid_request`.
    #[error("the Authorization header is malformed: {0}")]
    InvalidRequest(&'static str),
    /// The bearer token is invalid (401 `invalid_token`) or lacks a scope (403
    /// `insufficient_scope`), or the provider's keys are out of reach (502/503/504).
    /// The session's access token lacking a scope answers as the latter too.
    #[error(transparent)]
    Bearer(#[from] BearerError),
    /// No access token for the session: signed out or the session ended (401), the
    /// provider refused it (403 for an organization the user is not in), or the app
    /// asked for one its config cannot get (500).
    #[error(transparent)]
    Token(TokenError),
    /// The provider failed: out of reach (503), too slow (504), or an unusable answer
    /// (502).
    #[error(transparent)]
    Provider(ProviderError),
    /// The session store failed: 503; the session itself is intact.
    #[error(transparent)]
    Store(StoreError),
    /// The user's claims could not be read (502), or the claims type does not fit the
    /// client's config (500).
    #[error(transparent)]
    Claims(ContextError),
    /// The router has no [`LogtoLayer`](crate::LogtoLayer): a bug in the app, 500.
    #[error("the Logto session layer is missing: add `.layer(logto.layer())` to the router")]
    MissingLayer,
    /// The guard does not fit the app (a path parameter or a resource that is not
    /// there): a bug, 500. Compile-time checks catch most of these earlier.
    #[error("the guard cannot run: {0}")]
    Misconfigured(String),
}

/// The extractors' name for [`Rejection`], kept while apps move to the one name.
#[doc(hidden)]
#[deprecated(note = "use `logto::Rejection`, the one rejection of extractors and guards")]
pub type AuthRejection = Rejection;

/// The guards' name for [`Rejection`], kept while apps move to the one name.
#[doc(hidden)]
#[deprecated(note = "use `logto::Rejection`, the one rejection of extractors and guards")]
pub type GuardRejection = Rejection;

impl Rejection {
    /// 401, or for a page, a redirect to sign-in that comes back to the page the
    /// request was for (its path before any `Router::nest`).
    pub(crate) fn signed_out(redirect: bool, bearer: bool, logto: &Logto, parts: &Parts) -> Self {
        match (redirect, bearer) {
            (true, _) => Self::RedirectToSignIn {
                location: crate::oidc::sign_in::sign_in_and_back(
                    logto.sign_in_path(),
                    super::original_uri(parts),
                ),
            },
            (false, true) => Self::MissingCredentials,
            (false, false) => Self::SignedOut,
        }
    }

    /// What a client may be told, for an app that answers with its own page: the same
    /// words as this rejection's response, never the details of its `Display`.
    pub fn public_message(&self) -> PublicMessage {
        match self {
            Self::SignedOut | Self::RedirectToSignIn { .. } => signed_out_message(),
            Self::MissingCredentials | Self::MissingBearerToken | Self::InvalidRequest(_) => {
                PublicMessage::fixed(self.code(), self.static_description())
            }
            Self::Bearer(error) => bearer_message(error),
            Self::Token(error) => error.public_message(),
            Self::Provider(error) => error.public_message(),
            Self::Store(error) => error.public_message(),
            Self::Claims(error) => error.public_message(),
            Self::MissingLayer | Self::Misconfigured(_) => misconfigured(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            _ => "unauthorized",
        }
    }

    fn static_description(&self) -> &'static str {
        match self {
            Self::MissingCredentials => {
                "no credentials: sign in, or send an access token in `Authorization: Bearer <token>`"
            }
            Self::MissingBearerToken => {
                "no access token: send one in `Authorization: Bearer <token>`"
            }
            Self::InvalidRequest(why) => why,
            _ => "sign in first",
        }
    }
}

/// An error of the user's session keeps its own variant: the store's and the
/// provider's failures are theirs, whichever step met them.
impl From<ContextError> for Rejection {
    fn from(error: ContextError) -> Self {
        match error {
            ContextError::Provider(error) => Self::Provider(error),
            ContextError::Store(error) => Self::Store(error),
            ContextError::Token(error) => Self::from(error),
            other => Self::Claims(other),
        }
    }
}

impl From<TokenError> for Rejection {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::Store(error) => Self::Store(error),
            other => Self::Token(other),
        }
    }
}

impl From<StoreError> for Rejection {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Self::SignedOut => unauthorized(&signed_out_message(), None),
            Self::MissingCredentials | Self::MissingBearerToken => {
                unauthorized(&self.public_message(), Some("Bearer".into()))
            }
            Self::RedirectToSignIn { location } => Redirect::to(&location).into_response(),
            Self::InvalidRequest(why) => {
                let mut response = json_error(StatusCode::BAD_REQUEST, &self.public_message());
                challenge(
                    &mut response,
                    format!(
                        "Bearer error=\"invalid_request\", error_description=\"{}\"",
                        quoted(why)
                    ),
                );
                response
            }
            Self::Bearer(error) => bearer_response(error),
            Self::Token(error) => token_error_response(&error),
            Self::Provider(error) => provider_failure(&error),
            Self::Store(error) => store_unavailable(&error),
            Self::Claims(error @ ContextError::ScopesNotRequested { .. }) => {
                tracing::error!(target: "logto::config", %error, "a claims type does not fit the config");
                json_error(StatusCode::INTERNAL_SERVER_ERROR, &error.public_message())
            }
            Self::Claims(error) => {
                tracing::warn!(target: "logto::oidc", %error, "the user's claims are unusable");
                json_error(StatusCode::BAD_GATEWAY, &error.public_message())
            }
            Self::MissingLayer | Self::Misconfigured(_) => {
                tracing::error!(target: "logto::config", "{self}");
                json_error(StatusCode::INTERNAL_SERVER_ERROR, &misconfigured())
            }
        }
    }
}

fn signed_out_message() -> PublicMessage {
    PublicMessage::fixed("unauthorized", "sign in first")
}

/// Every 401: the one JSON shape, with RFC 6750's challenge where bearer tokens count.
fn unauthorized(message: &PublicMessage, challenge_value: Option<String>) -> Response {
    let mut response = json_error(StatusCode::UNAUTHORIZED, message);
    if let Some(value) = challenge_value {
        challenge(&mut response, value);
    }
    response
}

fn bearer_message(error: &BearerError) -> PublicMessage {
    match error {
        // About the client's own token, checked against this API's public
        // requirements (RFC 6750 3: a description for the client's developer).
        BearerError::Invalid(invalid) => {
            PublicMessage::composed("invalid_token", invalid.to_string())
        }
        // The scopes are the guard's own, from the app's code.
        BearerError::InsufficientScope { .. } => {
            PublicMessage::composed("insufficient_scope", error.to_string())
        }
        BearerError::Provider(error) => error.public_message(),
        BearerError::KeysUnavailable { .. } => {
            PublicMessage::composed("temporarily_unavailable", error.to_string())
        }
    }
}

fn bearer_response(error: BearerError) -> Response {
    let message = bearer_message(&error);
    match &error {
        BearerError::Invalid(_) => {
            let value = format!(
                "Bearer error=\"invalid_token\", error_description=\"{}\"",
                quoted(message.description())
            );
            unauthorized(&message, Some(value))
        }
        BearerError::InsufficientScope { required } => {
            let scope = required.join(" ");
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
        // The details (which URL, which transport error) are for the logs: a client
        // learns only that its token cannot be judged now.
        BearerError::Provider(provider) => {
            tracing::warn!(target: "logto::bearer", error = %provider, "the provider's keys are out of reach: cannot verify access tokens");
            json_error(provider_status(provider), &message)
        }
        BearerError::KeysUnavailable { retry_after } => {
            tracing::debug!(target: "logto::bearer", %error, "access token not judged: the keys are in their back-off");
            let mut response = json_error(StatusCode::SERVICE_UNAVAILABLE, &message);
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(crate::bearer::retry_seconds(*retry_after)),
            );
            response
        }
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
            unauthorized(&error.public_message(), None)
        }
        TokenError::InvalidOrganizationId(_) => {
            json_error(StatusCode::BAD_REQUEST, &error.public_message())
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
