//! Errors of the runtime, each saying what happened and what to do.
//!
//! Every error has two faces. Its `Display` holds the details (the provider's URL, the
//! transport error chain, the store's message) and goes to `tracing` only. What a
//! client sees is its [`PublicMessage`]: a stable code and a description in the user's
//! terms, which this crate builds from its own words alone.

use std::{borrow::Cow, fmt};

/// What a client is told about an error: the `error` code of a JSON body (or the
/// status of an HTML page) and the `error_description`, in the user's terms.
///
/// It can only be built inside this crate, from its own text: never from an error's
/// `Display`, so no URL of the provider, transport error or store message reaches a
/// response. The details go to `tracing` (`warn` for the provider, `error` for the
/// store and for misconfiguration).
///
/// The codes are stable:
///
/// | `error` | Status | Meaning |
/// |---|---|---|
/// | `unauthorized` | 401 | Not signed in, or the session ended at the provider: sign in (again). |
/// | `access_denied` | 403 | The provider refused an access token to this user (not a member of the organization, say). |
/// | `insufficient_scope` | 403 | The provider, or a guard, found that the token lacks a scope. |
/// | `invalid_token` | 401 | A guard refused the bearer token (RFC 6750). |
/// | `invalid_request` | 400 | A malformed `Authorization` header (RFC 6750); on a sign-in page, a callback that cannot be accepted. |
/// | `invalid_claims` | 502 | The provider's claims do not fit the app's claims type. |
/// | `provider_error` | 502, 503, 504 | The provider failed: unreachable (503), too slow (504), an invalid answer or a refusal that is not the client's fault (502). |
/// | `session_store_unavailable` | 503 | The session store is down or slow; the session is intact. |
/// | `server_error` | 500 | The app is misconfigured; its log says how. |
///
/// HTML pages of the sign-in routes say the same descriptions; a refused callback is
/// 400 (the user cancelled at the provider, `error=access_denied`, a forged or replayed
/// callback, an expired sign-in code).
///
/// ```
/// use logto::{ProviderError, PublicMessage};
///
/// let error = ProviderError::Timeout { url: "https://tenant.logto.app/oidc/token".into() };
/// let message: PublicMessage = error.public_message();
/// assert_eq!(message.code(), "provider_error");
/// assert!(!message.description().contains("tenant.logto.app")); // the URL is for the log
/// assert!(error.to_string().contains("tenant.logto.app"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicMessage {
    code: &'static str,
    description: Cow<'static, str>,
}

impl PublicMessage {
    /// Static text of this crate.
    pub(crate) const fn fixed(code: &'static str, description: &'static str) -> Self {
        Self {
            code,
            description: Cow::Borrowed(description),
        }
    }

    /// Text of this crate with names it knows (a claim of the claims type, a scope of
    /// the config) or that the client sent itself (its own bearer token's faults).
    /// Never an error's `Display` of the provider or the store.
    pub(crate) fn composed(code: &'static str, description: String) -> Self {
        Self {
            code,
            description: Cow::Owned(description),
        }
    }

    /// The stable `error` code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// What happened, in the user's terms.
    pub fn description(&self) -> &str {
        &self.description
    }
}

impl fmt::Display for PublicMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

/// A setting that is missing or malformed at startup.
///
/// ```
/// #[logto::config]
/// pub struct Auth;
///
/// let error = logto::Logto::builder::<Auth>()
///     .endpoint("https://tenant.logto.app")
///     .app_id("my-app")
///     .app_secret("my-secret")
///     .base_url("http://localhost:3000")
///     .cookie_secret("too short")
///     .build()
///     .unwrap_err();
/// let logto::Error::Config(error) = error else { unreachable!() };
/// assert_eq!(error.setting, "LOGTO_COOKIE_SECRET");
/// assert!(error.problem.contains("at least 32 characters"));
/// ```
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
///
/// `Display` names the URL and the transport error, for the log; what a client sees is
/// [`public_message`](Self::public_message):
///
/// ```
/// use logto::ProviderError;
///
/// let error = ProviderError::Unreachable {
///     url: "https://tenant.logto.app/oidc/.well-known/openid-configuration".into(),
///     reason: "connection refused".into(),
/// };
/// assert!(error.to_string().contains("connection refused"));
/// assert_eq!(
///     error.public_message().description(),
///     "the sign-in provider is unreachable: try again later"
/// );
/// ```
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

impl ProviderError {
    /// What a client is told: `provider_error`, and whether the provider was out of
    /// reach, too slow, or answered something unusable. A refusal with an OAuth code
    /// says only that the provider refused; the code the provider sent goes to the log
    /// (the few refusals that are the client's concern are answered by the responses
    /// that know which request was refused).
    pub fn public_message(&self) -> PublicMessage {
        let description = match self {
            Self::Unreachable { .. } => "the sign-in provider is unreachable: try again later",
            Self::Timeout { .. } => "the sign-in provider did not answer in time: try again later",
            Self::InvalidResponse { .. } => "the sign-in provider sent an invalid answer",
            Self::InvalidIdToken(_) => {
                "the ID token is invalid: the sign-in provider sent one that fails validation"
            }
            Self::OAuth(_) => "the sign-in provider refused the request",
        };
        PublicMessage::fixed("provider_error", description)
    }
}

/// An OAuth 2.0 error response (RFC 6749 5.2), as Logto sends them.
///
/// ```
/// use logto::{OAuthError, OAuthErrorCode};
///
/// let error = OAuthError {
///     code: OAuthErrorCode::parse("invalid_grant"),
///     description: Some("grant request is invalid".into()),
/// };
/// assert_eq!(error.code, OAuthErrorCode::InvalidGrant);
/// assert_eq!(error.to_string(), "`invalid_grant`: grant request is invalid");
/// ```
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
///
/// ```
/// use logto::OAuthErrorCode;
///
/// assert_eq!(OAuthErrorCode::parse("invalid_target"), OAuthErrorCode::InvalidTarget);
/// assert_eq!(OAuthErrorCode::parse("something_new").as_str(), "something_new");
/// ```
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
///
/// The callback route answers these itself (a 400 page, or 502/503/504 when the
/// provider failed); an app with its own page takes the words from
/// [`public_message`](Self::public_message):
///
/// ```
/// use logto::{CallbackError, OAuthError, OAuthErrorCode};
///
/// let cancelled = CallbackError::Provider(OAuthError {
///     code: OAuthErrorCode::AccessDenied,
///     description: Some("text anyone can put in a URL".into()),
/// });
/// let message = cancelled.public_message();
/// assert_eq!(message.code(), "access_denied");
/// assert!(!message.description().contains("anyone"));
/// assert_eq!(CallbackError::UnknownState.public_message().code(), "invalid_request");
/// ```
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

impl CallbackError {
    /// What the sign-in page says. The provider's `error_description` (text anyone can
    /// put in a callback URL) is not repeated; its code is, when it is a standard one.
    pub fn public_message(&self) -> PublicMessage {
        let fixed = |description| PublicMessage::fixed("invalid_request", description);
        match self {
            Self::Provider(oauth) => match &oauth.code {
                OAuthErrorCode::AccessDenied => PublicMessage::fixed(
                    "access_denied",
                    "the sign-in was cancelled or refused at the provider (`access_denied`)",
                ),
                OAuthErrorCode::Other(_) => fixed("the provider refused the sign-in"),
                code => PublicMessage::composed(
                    "invalid_request",
                    format!("the provider refused the sign-in with `{}`", code.as_str()),
                ),
            },
            Self::MissingState => fixed("the callback has no `state` parameter"),
            Self::UnknownState => fixed(
                "no sign-in in progress matches this callback's `state` (forged, replayed, or older than 10 minutes): start the sign-in again",
            ),
            Self::MissingCode => fixed("the callback has no `code` parameter"),
            Self::IssuerMismatch => {
                fixed("the callback's `iss` parameter does not name this provider (RFC 9207)")
            }
            Self::Exchange(ProviderError::OAuth(oauth))
                if oauth.code == OAuthErrorCode::InvalidGrant =>
            {
                fixed("the sign-in code expired or was already used: sign in again")
            }
            Self::Exchange(error) => error.public_message(),
        }
    }
}

/// Everything that can go wrong in the runtime.
///
/// What [`Logto::from_env`](crate::Logto::from_env) and the builders return: at
/// startup, a [`ConfigError`] naming the setting to fix.
///
/// ```
/// #[logto::config]
/// pub struct Auth;
///
/// let error = logto::Logto::builder::<Auth>().build().unwrap_err();
/// assert!(matches!(error, logto::Error::Config(_)));
/// assert_eq!(
///     error.to_string(),
///     "invalid Logto configuration: LOGTO_ENDPOINT: is not set: set it to the Logto endpoint, for example https://tenant.logto.app"
/// );
/// ```
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
