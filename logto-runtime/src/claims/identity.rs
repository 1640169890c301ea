//! Values of the `identities` and `sso_identities` claims (scope `identities`, userinfo
//! only). Their fields are typed as `any T: DeserializeOwned`, so these types are a
//! convenience: `serde_json::Value` works too.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A linked social identity: one value of the `identities` claim, which maps each
/// connector's target (e.g. `"github"`) to one of these.
///
/// ```
/// use std::collections::HashMap;
/// use logto::claims::Identity;
///
/// let identities: HashMap<String, Identity> = serde_json::from_value(serde_json::json!({
///     "github": { "userId": "12345", "details": { "name": "Ada" } },
/// }))?;
/// assert_eq!(identities["github"].user_id, "12345");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// The user's id at the identity provider.
    pub user_id: String,
    /// What the provider returned about the user; its shape depends on the provider.
    #[serde(default)]
    pub details: Option<Value>,
}

/// A linked enterprise SSO identity: one element of the `sso_identities` claim.
///
/// ```
/// use logto::claims::SsoIdentity;
///
/// let identities: Vec<SsoIdentity> = serde_json::from_value(serde_json::json!([
///     { "issuer": "https://idp.example.com", "identityId": "u-1", "detail": {} },
/// ]))?;
/// assert_eq!(identities[0].identity_id, "u-1");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoIdentity {
    /// The SSO provider's issuer.
    pub issuer: String,
    /// The user's id at the SSO provider.
    pub identity_id: String,
    /// What the provider returned about the user.
    #[serde(default)]
    pub detail: Option<Value>,
}
