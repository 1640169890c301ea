//! Reading one claim from the ID token and userinfo, for the derive's generated code.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::ClaimError;

/// A type a claim decodes into: any `T: DeserializeOwned`. It exists for its message:
/// a custom claim's type that cannot be decoded fails the build on the user's field
/// with the fix, instead of serde's bare trait bound.
#[diagnostic::on_unimplemented(
    message = "the claim type `{Self}` cannot be decoded from JSON",
    label = "does not implement `serde::Deserialize`",
    note = "derive it: `#[derive(serde::Deserialize)]` on `{Self}`, or use `serde_json::Value`"
)]
pub trait ClaimValue: DeserializeOwned {}

impl<T: DeserializeOwned> ClaimValue for T {}

/// Where a claim is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimSource {
    /// The userinfo answer when it holds the claim, else the ID token.
    Merged,
    /// Only the userinfo answer (Logto leaves the claim out of ID tokens).
    Userinfo,
}

/// The raw claims of a sign-in: the ID token's payload and the userinfo answer.
#[derive(Debug, Clone, Copy)]
pub struct RawClaims<'a> {
    id_token: &'a Map<String, Value>,
    userinfo: Option<&'a Map<String, Value>>,
}

impl<'a> RawClaims<'a> {
    /// Wraps the two payloads.
    pub fn new(id_token: &'a Map<String, Value>, userinfo: Option<&'a Map<String, Value>>) -> Self {
        Self { id_token, userinfo }
    }

    /// A claim that is always sent: absent or `null` is [`ClaimError::Missing`].
    pub fn required<T: ClaimValue>(
        &self,
        claim: &'static str,
        source: ClaimSource,
    ) -> Result<T, ClaimError> {
        match self.get(claim, source)? {
            Some(value) => decode(claim, value),
            None => Err(ClaimError::Missing { claim }),
        }
    }

    /// A claim that may be absent: absent or `null` is `None`.
    pub fn optional<T: ClaimValue>(
        &self,
        claim: &'static str,
        source: ClaimSource,
    ) -> Result<Option<T>, ClaimError> {
        self.get(claim, source)?
            .map(|value| decode(claim, value))
            .transpose()
    }

    /// A list: absent or `null` is empty.
    pub fn list<T: ClaimValue>(
        &self,
        claim: &'static str,
        source: ClaimSource,
    ) -> Result<Vec<T>, ClaimError> {
        Ok(self.optional(claim, source)?.unwrap_or_default())
    }

    /// The claim's value, `None` when absent or `null`.
    fn get(
        &self,
        claim: &'static str,
        source: ClaimSource,
    ) -> Result<Option<&'a Value>, ClaimError> {
        let from_userinfo = match (self.userinfo, source) {
            (Some(userinfo), _) => userinfo.get(claim),
            (None, ClaimSource::Merged) => None,
            (None, ClaimSource::Userinfo) => return Err(ClaimError::UserinfoRequired { claim }),
        };
        let value = match (from_userinfo, source) {
            // Userinfo is fresher than the ID token: it wins when it holds the claim.
            (Some(value), _) => Some(value),
            (None, ClaimSource::Merged) => self.id_token.get(claim),
            (None, ClaimSource::Userinfo) => None,
        };
        Ok(value.filter(|value| !value.is_null()))
    }
}

fn decode<T: DeserializeOwned>(claim: &'static str, value: &Value) -> Result<T, ClaimError> {
    T::deserialize(value).map_err(|error| ClaimError::Malformed {
        claim,
        reason: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::claims::{OrganizationRole, UnixMillis};

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn userinfo_wins_and_null_is_absent() {
        let id_token = map(json!({ "sub": "u1", "name": "Old", "picture": null }));
        let userinfo = map(json!({ "name": "New", "custom_data": { "plan": "pro" } }));
        let claims = RawClaims::new(&id_token, Some(&userinfo));
        assert_eq!(
            claims.required::<String>("sub", ClaimSource::Merged),
            Ok("u1".into())
        );
        assert_eq!(
            claims.optional::<String>("name", ClaimSource::Merged),
            Ok(Some("New".into()))
        );
        assert_eq!(
            claims.optional::<String>("picture", ClaimSource::Merged),
            Ok(None)
        );
        assert_eq!(
            claims.optional::<Value>("custom_data", ClaimSource::Userinfo),
            Ok(Some(json!({ "plan": "pro" })))
        );
        assert_eq!(
            claims.list::<String>("roles", ClaimSource::Merged),
            Ok(vec![])
        );
    }

    #[test]
    fn userinfo_only_claims_ignore_the_id_token() {
        let id_token = map(json!({ "custom_data": { "forged": true } }));
        let userinfo = map(json!({}));
        let claims = RawClaims::new(&id_token, Some(&userinfo));
        assert_eq!(
            claims.optional::<Value>("custom_data", ClaimSource::Userinfo),
            Ok(None)
        );
        let without = RawClaims::new(&id_token, None);
        assert_eq!(
            without.optional::<Value>("custom_data", ClaimSource::Userinfo),
            Err(ClaimError::UserinfoRequired {
                claim: "custom_data"
            })
        );
    }

    #[test]
    fn reports_missing_and_malformed_claims() {
        let id_token = map(json!({
            "email_verified": "yes",
            "organization_roles": ["org1:admin", "no-colon"],
            "created_at": 1_700_000_000_000_i64,
        }));
        let claims = RawClaims::new(&id_token, None);
        assert_eq!(
            claims.required::<String>("sub", ClaimSource::Merged),
            Err(ClaimError::Missing { claim: "sub" })
        );
        let Err(ClaimError::Malformed { claim, reason }) =
            claims.optional::<bool>("email_verified", ClaimSource::Merged)
        else {
            panic!("expected a malformed claim");
        };
        assert_eq!(claim, "email_verified");
        assert!(reason.contains("expected a boolean"), "{reason}");
        let Err(ClaimError::Malformed { reason, .. }) =
            claims.list::<OrganizationRole>("organization_roles", ClaimSource::Merged)
        else {
            panic!("expected a malformed claim");
        };
        assert!(reason.contains("no-colon"), "{reason}");
        assert_eq!(
            claims.optional::<UnixMillis>("created_at", ClaimSource::Merged),
            Ok(Some(UnixMillis(1_700_000_000_000)))
        );
    }
}
