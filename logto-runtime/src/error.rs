//! Errors of the runtime, each saying what happened and what to do.

use std::fmt;

/// A setting that is missing or malformed at startup.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {problem}")]
pub struct ConfigError {
    /// The environment variable or builder method at fault.
    pub setting: &'static str,
    /// What is wrong and how to fix it.
    pub problem: String,
}

impl ConfigError {
    pub(crate) fn new(setting: &'static str, problem: impl Into<String>) -> Self {
        Self {
            setting,
            problem: problem.into(),
        }
    }
}

/// Why talking to the provider failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// Nothing answered at the provider's address.
    #[error("the provider at {url} is unreachable: {reason}")]
    Unreachable {
        /// The URL that was requested.
        url: String,
        /// The transport error.
        reason: String,
    },
    /// The provider did not answer within the configured timeout.
    #[error("the provider did not answer {url} within the timeout")]
    Timeout {
        /// The URL that was requested.
        url: String,
    },
    /// The provider answered something that is not a valid answer.
    #[error("the provider's answer from {url} is invalid: {reason}")]
    InvalidResponse {
        /// The URL that was requested.
        url: String,
        /// What is wrong with the answer.
        reason: String,
    },
    /// The ID token failed validation (OIDC Core 3.1.3.7).
    #[error("the ID token is invalid: {0}")]
    InvalidIdToken(String),
    /// The provider refused a token request with an OAuth error.
    #[error(transparent)]
    OAuth(#[from] OAuthError),
}

/// An OAuth 2.0 error response (RFC 6749 5.2), as Logto sends them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct OAuthError {
    /// The `error` code.
    pub code: OAuthErrorCode,
    /// The `error_description`, when the provider sent one.
    pub description: Option<String>,
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.code.as_str())?;
        if let Some(description) = &self.description {
            write!(f, ": {description}")?;
        }
        Ok(())
    }
}

/// The `error` codes of RFC 6749, RFC 6750, RFC 8707 and OIDC Core.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OAuthErrorCode {
    /// `invalid_request`
    InvalidRequest,
    /// `invalid_client`
    InvalidClient,
    /// `invalid_grant`: the code or refresh token is expired, revoked or consumed.
    InvalidGrant,
    /// `unauthorized_client`
    UnauthorizedClient,
    /// `unsupported_grant_type`
    UnsupportedGrantType,
    /// `invalid_scope`
    InvalidScope,
    /// `invalid_target`: the resource is unknown to the provider (RFC 8707).
    InvalidTarget,
    /// `access_denied`
    AccessDenied,
    /// `insufficient_scope`
    InsufficientScope,
    /// `invalid_token` (RFC 6750): the provider no longer takes the access token.
    InvalidToken,
    /// `login_required`
    LoginRequired,
    /// `consent_required`
    ConsentRequired,
    /// `interaction_required`
    InteractionRequired,
    /// `server_error`
    ServerError,
    /// `temporarily_unavailable`
    TemporarilyUnavailable,
    /// Any other code.
    Other(String),
}

impl OAuthErrorCode {
    /// Parses an `error` code.
    pub fn parse(code: &str) -> Self {
        match code {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "invalid_scope" => Self::InvalidScope,
            "invalid_target" => Self::InvalidTarget,
            "access_denied" => Self::AccessDenied,
            "insufficient_scope" => Self::InsufficientScope,
            "invalid_token" => Self::InvalidToken,
            "login_required" => Self::LoginRequired,
            "consent_required" => Self::ConsentRequired,
            "interaction_required" => Self::InteractionRequired,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The code as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::AccessDenied => "access_denied",
            Self::InsufficientScope => "insufficient_scope",
            Self::InvalidToken => "invalid_token",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::Other(code) => code,
        }
    }
}

/// Why a sign-in callback was refused. No session is created for any of them.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// The provider redirected back with an `error` parameter.
    #[error("the provider refused the sign-in with {0}")]
    Provider(OAuthError),
    /// The callback carries no `state`.
    #[error("the callback has no `state` parameter")]
    MissingState,
    /// No sign-in in progress matches the `state`: forged, replayed or expired.
    #[error(
        "no sign-in in progress matches this callback's `state` (forged, replayed, or older than 10 minutes): start the sign-in again"
    )]
    UnknownState,
    /// The callback carries no `code`.
    #[error("the callback has no `code` parameter")]
    MissingCode,
    /// The `iss` parameter (RFC 9207) is missing or names another issuer.
    #[error("the callback's `iss` parameter does not name this provider (RFC 9207)")]
    IssuerMismatch,
    /// The code exchange or the ID token failed.
    #[error(transparent)]
    Exchange(#[from] ProviderError),
}

/// Everything that can go wrong in the runtime.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting is missing or malformed.
    #[error("invalid Logto configuration: {0}")]
    Config(#[from] ConfigError),
    /// Talking to the provider failed.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// A sign-in callback was refused.
    #[error(transparent)]
    Callback(#[from] CallbackError),
}
