//! Typed claims: what a handler knows of the signed-in user.
//!
//! A claims type is usually a struct with `#[derive(logto::Claims)]`; [`IdTokenClaims`]
//! holds every claim untyped. The types here are the catalog's value types: Logto's
//! millisecond timestamps ([`UnixMillis`]), the OIDC [`Address`], and the organization
//! claims ([`OrganizationRole`], [`OrganizationData`]).

mod address;
mod decode;
mod error;
mod identity;
mod organization;
mod raw;
mod time;

use serde_json::{Map, Value};

pub use address::Address;
pub use error::ClaimError;
pub use identity::{Identity, SsoIdentity};
pub use organization::{OrganizationData, OrganizationRole, OrganizationRoleError};
pub use raw::IdTokenClaims;
pub use time::UnixMillis;

/// A type built from the signed-in user's claims: the ID token's claims merged with the
/// userinfo endpoint's answer.
///
/// Derive it with `#[derive(logto::Claims)]` on a struct whose fields are claims of the
/// table below (by name, or with `#[claim(rename = "...")]`); the derive checks each
/// field's type at compile time. A claim outside the table is declared with
/// `#[claim(custom, scope = "...")]` (add `userinfo` when only the userinfo endpoint
/// sends it); its field is `Option<T>` or `Vec<T>` for any `T: DeserializeOwned`.
///
/// The runtime requests the type's [`SCOPES`](Claims::SCOPES) at sign-in when the config
/// lists it (`#[logto::config(claims = [User])]`), and calls the userinfo endpoint only
/// when [`NEEDS_USERINFO`](Claims::NEEDS_USERINFO) is true (once per session, cached).
/// A type whose fields need a scope beyond `openid` and `profile` names that config,
/// `#[claims(config = Auth)]`, and the build checks the config requests every scope it
/// needs (without it, the provider would leave those claims out and the fields would
/// stay empty); extracted under a client of another config, it is checked again on
/// first use (a 500 whose log names the type and the scopes).
///
/// # Claims
///
/// "userinfo only" claims cost one userinfo request per session. A claim that may be
/// absent is an `Option` (Logto sends `null` for empty profile values, which reads as
/// `None`); a list is a `Vec`, empty when absent. `created_at` and `updated_at` are
/// **milliseconds** since the Unix epoch, unlike OIDC's seconds.
///
#[doc = logto_macros::__claims_doc_table!()]
///
/// # Implementing it by hand
///
/// ```
/// use logto::{ClaimError, Claims};
/// use serde_json::{Map, Value, json};
///
/// struct Subject(String);
///
/// impl Claims for Subject {
///     const SCOPES: &'static [&'static str] = &[];
///     const NEEDS_USERINFO: bool = false;
///
///     fn from_claims(
///         id_token: &Map<String, Value>,
///         _userinfo: Option<&Map<String, Value>>,
///     ) -> Result<Self, ClaimError> {
///         match id_token.get("sub").and_then(Value::as_str) {
///             Some(sub) => Ok(Subject(sub.to_owned())),
///             None => Err(ClaimError::Missing { claim: "sub" }),
///         }
///     }
/// }
///
/// let Value::Object(id_token) = json!({ "sub": "u1" }) else { unreachable!() };
/// assert_eq!(Subject::from_claims(&id_token, None)?.0, "u1");
/// # Ok::<(), ClaimError>(())
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a claims type",
    label = "not a claims type",
    note = "derive it: `#[derive(logto::Claims)]` on a struct whose fields are Logto claims"
)]
pub trait Claims: Sized + Send + Sync + 'static {
    /// The scopes the type's claims need, each once, without `openid` and `profile`
    /// (every sign-in requests them).
    const SCOPES: &'static [&'static str];

    /// Whether a claim comes only from the userinfo endpoint, so building the type
    /// needs its answer.
    const NEEDS_USERINFO: bool;

    /// Builds the type from the ID token's claims and, when fetched, the userinfo
    /// endpoint's answer, which wins over the ID token for a claim both hold.
    ///
    /// The runtime passes `userinfo` whenever [`NEEDS_USERINFO`](Claims::NEEDS_USERINFO)
    /// is true. A missing or malformed claim is an error, never a panic.
    fn from_claims(
        id_token: &Map<String, Value>,
        userinfo: Option<&Map<String, Value>>,
    ) -> Result<Self, ClaimError>;

    /// [`from_claims`](Claims::from_claims) with the ID token's claims as the runtime
    /// holds them, shared: a type that keeps them whole (as `IdTokenClaims` does) takes
    /// them without a copy. Not a public API: implement `from_claims`.
    #[doc(hidden)]
    fn __from_shared_claims(
        id_token: &std::sync::Arc<Map<String, Value>>,
        userinfo: Option<&Map<String, Value>>,
    ) -> Result<Self, ClaimError> {
        Self::from_claims(id_token, userinfo)
    }
}

/// What the macros' generated code names; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use super::decode::{ClaimSource, ClaimValue, RawClaims};
    pub use super::{Address, OrganizationData, OrganizationRole, UnixMillis};

    pub use crate::config::str_eq;
}
