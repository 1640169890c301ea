//! Every claim, untyped.

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{ClaimError, Claims};

/// Every claim of the ID token (merged with userinfo when the caller passes it), untyped:
/// the default claims of `Context`, for apps that do not derive a claims type.
///
/// It needs no scope and no userinfo request. `sub` is checked to be a string when it is
/// built, so [`sub`](IdTokenClaims::sub) always answers.
///
/// ```
/// use logto::{Claims, claims::IdTokenClaims};
/// use serde_json::{Value, json};
///
/// let Value::Object(id_token) = json!({ "sub": "u1", "email": "ada@example.com" }) else {
///     unreachable!()
/// };
/// let claims = IdTokenClaims::from_claims(&id_token, None)?;
/// assert_eq!(claims.sub(), "u1");
/// assert_eq!(claims.get_as::<String>("email")?.as_deref(), Some("ada@example.com"));
/// assert_eq!(claims.get_as::<String>("phone_number")?, None);
/// # Ok::<(), logto::ClaimError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Map<String, Value>", into = "Map<String, Value>")]
pub struct IdTokenClaims {
    /// Shared with the session it came from: extracting it copies nothing.
    claims: Arc<Map<String, Value>>,
}

impl IdTokenClaims {
    /// The user's unique identifier.
    pub fn sub(&self) -> &str {
        self.claims
            .get("sub")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The raw value of `claim`, `None` when absent (a `null` is returned as is).
    pub fn get(&self, claim: &str) -> Option<&Value> {
        self.claims.get(claim)
    }

    /// `claim` decoded as `T`; absent or `null` is `None`, a value of another shape is
    /// [`ClaimError::Malformed`].
    pub fn get_as<T: DeserializeOwned>(
        &self,
        claim: &'static str,
    ) -> Result<Option<T>, ClaimError> {
        match self.claims.get(claim).filter(|value| !value.is_null()) {
            None => Ok(None),
            Some(value) => T::deserialize(value)
                .map(Some)
                .map_err(|error| ClaimError::Malformed {
                    claim,
                    reason: error.to_string(),
                }),
        }
    }

    /// Every claim.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Every claim, owned.
    pub fn into_map(self) -> Map<String, Value> {
        Arc::unwrap_or_clone(self.claims)
    }
}

impl TryFrom<Map<String, Value>> for IdTokenClaims {
    type Error = ClaimError;

    /// Checks that `sub` is a string.
    fn try_from(claims: Map<String, Value>) -> Result<Self, Self::Error> {
        match claims.get("sub") {
            Some(Value::String(_)) => Ok(Self {
                claims: Arc::new(claims),
            }),
            None | Some(Value::Null) => Err(ClaimError::Missing { claim: "sub" }),
            Some(_) => Err(ClaimError::Malformed {
                claim: "sub",
                reason: "expected a string".into(),
            }),
        }
    }
}

impl From<IdTokenClaims> for Map<String, Value> {
    fn from(claims: IdTokenClaims) -> Self {
        claims.into_map()
    }
}

impl Claims for IdTokenClaims {
    const SCOPES: &'static [&'static str] = &[];
    const NEEDS_USERINFO: bool = false;

    /// The ID token's claims, overwritten by userinfo's where it is passed.
    fn from_claims(
        id_token: &Map<String, Value>,
        userinfo: Option<&Map<String, Value>>,
    ) -> Result<Self, ClaimError> {
        let mut claims = id_token.clone();
        if let Some(userinfo) = userinfo {
            claims.extend(
                userinfo
                    .iter()
                    .map(|(name, value)| (name.clone(), value.clone())),
            );
        }
        Self::try_from(claims)
    }

    /// Without userinfo, the session's own claims, shared rather than copied.
    fn __from_shared_claims(
        id_token: &Arc<Map<String, Value>>,
        userinfo: Option<&Map<String, Value>>,
    ) -> Result<Self, ClaimError> {
        match userinfo {
            None if matches!(id_token.get("sub"), Some(Value::String(_))) => Ok(Self {
                claims: id_token.clone(),
            }),
            _ => Self::from_claims(id_token, userinfo),
        }
    }
}
