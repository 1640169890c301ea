//! Why a bearer token was refused, in the words of RFC 6750.

use std::time::Duration;

use crate::error::ProviderError;

/// Why a bearer access token was refused.
///
/// Each variant maps to one RFC 6750 answer: [`Invalid`](Self::Invalid) is 401
/// `invalid_token`, [`InsufficientScope`](Self::InsufficientScope) is 403
/// `insufficient_scope`, and [`Provider`](Self::Provider) and
/// [`KeysUnavailable`](Self::KeysUnavailable) mean the token could not be judged at all
/// (the provider's keys were out of reach): 503, 504 or 502. Those answers name no
/// provider URL; the details are logged with `tracing`.
///
/// ```
/// use logto::{BearerError, bearer::InvalidToken};
///
/// let error = BearerError::from(InvalidToken::Expired);
/// assert_eq!(error.error_code(), Some("invalid_token"));
/// assert_eq!(error.to_string(), "the access token is invalid: expired");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BearerError {
    /// The token is not a valid access token for this API.
    #[error("the access token is invalid: {0}")]
    Invalid(#[from] InvalidToken),
    /// The token is valid but lacks a scope the endpoint needs.
    #[error("the access token lacks the scope `{}`", .required.join(" "))]
    InsufficientScope {
        /// Every scope the endpoint needs (RFC 6750 §3: the `scope` attribute).
        required: Vec<String>,
    },
    /// The provider's discovery document or signing keys could not be fetched.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The token needs keys we do not have, and fetching them failed less than the
    /// refetch interval ago: answered at once (503 with `Retry-After`) instead of
    /// asking the provider again. The failure itself was logged when it happened.
    #[error("the provider's signing keys are unavailable; try again in {} s", retry_seconds(*.retry_after))]
    KeysUnavailable {
        /// How long until the keys are fetched again.
        retry_after: Duration,
    },
}

/// What is wrong with an access token (RFC 9068 §4 and RFC 7519 §7.2).
///
/// ```
/// use logto::{BearerVerifier, BearerError, bearer::{InvalidToken, Requirements}};
///
/// #[logto::config(resources = ["https://shopping.your-app.com/api"])]
/// pub struct Api;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), logto::Error> {
/// let verifier = BearerVerifier::builder::<Api>().endpoint("https://tenant.logto.app").build()?;
/// let needs = Requirements::resource("https://shopping.your-app.com/api");
/// // Refused before any key is fetched: not a JWT at all.
/// let error = verifier.verify("not-a-jwt", &needs).await.unwrap_err();
/// assert!(matches!(error, BearerError::Invalid(InvalidToken::Malformed(_))));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidToken {
    /// Not a JWS compact serialization with a JSON header and payload.
    #[error("not a signed JWT ({0})")]
    Malformed(String),
    /// The `alg` is not one we accept: `none`, HMAC (a public key is no secret), or an
    /// algorithm outside the allow-list.
    #[error("the algorithm `{0}` is not accepted (ES384, ES256, RS256 or PS256)")]
    AlgorithmNotAllowed(String),
    /// The `typ` header is not `at+jwt` (an ID token or another JWT).
    #[error("the `typ` header is {}, not `at+jwt` (RFC 9068): send an access token, not an ID token", .0.as_deref().map_or("missing".to_owned(), |t| format!("`{t}`")))]
    NotAnAccessToken(Option<String>),
    /// The header lists critical extensions we do not understand (RFC 7515 §4.1.11).
    #[error("the header has critical extensions (`crit`) this verifier does not understand")]
    CriticalHeader,
    /// The `kid` names no key of the provider's JWKS, even after fetching it again.
    #[error("signed by a key not in the provider's JWKS")]
    UnknownKey,
    /// The key named by `kid` does not fit the algorithm.
    #[error("the key `{0}` cannot verify `{1}` signatures")]
    KeyMismatch(String, String),
    /// The signature does not verify.
    #[error("the signature does not verify")]
    BadSignature,
    /// `iss` is not the provider's issuer.
    #[error("issued by another issuer")]
    WrongIssuer,
    /// `aud` does not name this API.
    #[error("issued for another audience (expected `{0}`)")]
    WrongAudience(String),
    /// An organization-scoped token for another organization, or a global token where
    /// one organization's is required.
    #[error("issued for another organization (expected `{0}`)")]
    WrongOrganization(String),
    /// A token scoped to an organization (an `organization_id` claim) at an endpoint
    /// that accepts only global tokens: its scopes are the user's roles in that
    /// organization, not in the app. Endpoints opt in with
    /// `allow_organization_scoped_tokens` (or name the organization).
    #[error("the token is scoped to an organization; this endpoint accepts only global tokens")]
    OrganizationScoped,
    /// `exp` has passed (beyond the leeway).
    #[error("expired")]
    Expired,
    /// `nbf` has not come yet (beyond the leeway).
    #[error("not valid yet (nbf is in the future)")]
    NotYetValid,
    /// A claim RFC 9068 requires is missing or malformed.
    #[error("the claim `{0}` is missing or malformed")]
    Claim(String),
}

/// `retry_after` in whole seconds for `Retry-After`, rounded up (a client that comes
/// back on time must find the back-off over), at least 1.
pub(crate) fn retry_seconds(retry_after: Duration) -> u64 {
    let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    seconds.max(1)
}

impl BearerError {
    /// The RFC 6750 `error` code of this refusal, if it is the token's fault.
    pub fn error_code(&self) -> Option<&'static str> {
        match self {
            Self::Invalid(_) => Some("invalid_token"),
            Self::InsufficientScope { .. } => Some("insufficient_scope"),
            Self::Provider(_) | Self::KeysUnavailable { .. } => None,
        }
    }
}
