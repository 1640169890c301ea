//! Why a claims type could not be built.

/// A claim missing or malformed at run time.
///
/// The derive checks types at compile time; what remains is data from the network that
/// does not match them, which is reported, never a panic.
///
/// ```
/// use logto::ClaimError;
///
/// let error = ClaimError::Missing { claim: "sub" };
/// assert_eq!(error.to_string(), "the claim `sub` is missing from the ID token and userinfo");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimError {
    /// A claim that is always sent (`sub`) is absent or `null`: the token is not one
    /// Logto issued.
    #[error("the claim `{claim}` is missing from the ID token and userinfo")]
    Missing {
        /// The claim's name.
        claim: &'static str,
    },
    /// A claim holds a value of the wrong shape, e.g. `"yes"` for `email_verified`, or an
    /// organization role without its `:`.
    #[error("the claim `{claim}` is malformed: {reason}")]
    Malformed {
        /// The claim's name.
        claim: &'static str,
        /// What was wrong, from the decoder.
        reason: String,
    },
    /// A userinfo-only claim was read without the userinfo answer: a caller of
    /// [`Claims::from_claims`](crate::Claims::from_claims) ignored `NEEDS_USERINFO`.
    #[error(
        "the claim `{claim}` comes only from the userinfo endpoint, but no userinfo was \
         passed: fetch it when `Claims::NEEDS_USERINFO` is true"
    )]
    UserinfoRequired {
        /// The claim's name.
        claim: &'static str,
    },
}

impl ClaimError {
    /// What a client is told (502 `invalid_claims`): which claim, never the value the
    /// provider sent or the decoder's words about it.
    pub fn public_message(&self) -> crate::error::PublicMessage {
        let description = match self {
            Self::Missing { claim } => {
                format!("the claim `{claim}` is missing from the ID token and userinfo")
            }
            Self::Malformed { claim, .. } => {
                format!("the claim `{claim}` from the sign-in provider is malformed")
            }
            Self::UserinfoRequired { claim } => {
                format!("the claim `{claim}` comes only from the userinfo endpoint")
            }
        };
        crate::error::PublicMessage::composed("invalid_claims", description)
    }
}
