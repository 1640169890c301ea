//! The `address` claim.

use serde::{Deserialize, Serialize};

/// A postal address (OIDC Core §5.1.1), the value of the `address` claim (scope
/// `address`). Every part may be absent.
///
/// ```
/// use logto::claims::Address;
///
/// let address: Address = serde_json::from_value(serde_json::json!({
///     "locality": "Paris",
///     "country": "FR",
///     "unknown_part": "ignored",
/// }))?;
/// assert_eq!(address.locality.as_deref(), Some("Paris"));
/// assert_eq!(address.postal_code, None);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    /// The full address, formatted for display (lines separated by `\n`).
    pub formatted: Option<String>,
    /// Street, house number, apartment.
    pub street_address: Option<String>,
    /// City or locality.
    pub locality: Option<String>,
    /// State, province, prefecture or region.
    pub region: Option<String>,
    /// Zip or postal code.
    pub postal_code: Option<String>,
    /// Country name.
    pub country: Option<String>,
}
