//! Values of the organization claims.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// The user's role in one organization: one element of the `organization_roles` claim
/// (scope `urn:logto:scope:organization_roles`), which Logto sends as
/// `"<organization_id>:<role>"`.
///
/// It parses from and displays (and serializes) as that string; a string without its
/// `:` is an [`OrganizationRoleError`] (through serde, a
/// [`ClaimError::Malformed`](crate::ClaimError::Malformed)), never a panic.
///
/// ```
/// use logto::claims::OrganizationRole;
///
/// let role: OrganizationRole = "org_1:admin".parse()?;
/// assert_eq!(role.organization_id, "org_1");
/// assert_eq!(role.role, "admin");
/// assert_eq!(role.to_string(), "org_1:admin");
/// assert!("admin".parse::<OrganizationRole>().is_err());
/// # Ok::<(), logto::claims::OrganizationRoleError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrganizationRole {
    /// The organization's id.
    pub organization_id: String,
    /// The role's name in that organization.
    pub role: String,
}

/// A string that is not `"<organization_id>:<role>"`.
///
/// ```
/// use logto::claims::{OrganizationRole, OrganizationRoleError};
///
/// let error: OrganizationRoleError = "admin".parse::<OrganizationRole>().unwrap_err();
/// assert_eq!(error.input, "admin");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not an organization role: expected `<organization_id>:<role>`")]
pub struct OrganizationRoleError {
    /// The string as received.
    pub input: String,
}

impl FromStr for OrganizationRole {
    type Err = OrganizationRoleError;

    /// Splits at the first `:`: organization ids hold none, role names may.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        match input.split_once(':') {
            Some((organization_id, role)) if !organization_id.is_empty() && !role.is_empty() => {
                Ok(Self {
                    organization_id: organization_id.to_owned(),
                    role: role.to_owned(),
                })
            }
            _ => Err(OrganizationRoleError {
                input: input.to_owned(),
            }),
        }
    }
}

impl fmt::Display for OrganizationRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.organization_id, self.role)
    }
}

impl Serialize for OrganizationRole {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OrganizationRole {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl de::Visitor<'_> for Visitor {
            type Value = OrganizationRole;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string `<organization_id>:<role>`")
            }

            fn visit_str<E: de::Error>(self, input: &str) -> Result<Self::Value, E> {
                input.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_str(Visitor)
    }
}

/// One organization the user belongs to: one element of the `organization_data` claim
/// (scope `urn:logto:scope:organizations`, userinfo only).
///
/// ```
/// use logto::claims::OrganizationData;
///
/// let data: Vec<OrganizationData> = serde_json::from_value(serde_json::json!([
///     { "id": "org_1", "name": "Acme", "description": null },
/// ]))?;
/// assert_eq!(data[0].name, "Acme");
/// assert_eq!(data[0].description, None);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OrganizationData {
    /// The organization's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description, if it has one.
    #[serde(default)]
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_colons_in_role_names() {
        let role: Result<OrganizationRole, _> = "org_1:billing:admin".parse();
        assert_eq!(role.map(|r| r.role), Ok("billing:admin".to_owned()));
    }

    #[test]
    fn rejects_empty_parts() {
        for input in ["", ":", "org:", ":role", "org"] {
            assert!(input.parse::<OrganizationRole>().is_err(), "{input}");
        }
    }

    #[test]
    fn round_trips_through_json() {
        let roles: Vec<OrganizationRole> =
            serde_json::from_str(r#"["o1:admin","o2:member"]"#).unwrap_or_default();
        assert_eq!(roles.len(), 2);
        assert_eq!(
            serde_json::to_string(&roles).ok().as_deref(),
            Some(r#"["o1:admin","o2:member"]"#)
        );
        let error = serde_json::from_str::<OrganizationRole>("42")
            .err()
            .map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("<organization_id>:<role>")));
    }
}
