//! The claim catalog: the one place that says, for each Logto claim, the Rust types it
//! may take, the scope that grants it, where Logto sends it and whether it may be
//! absent. `#[derive(Claims)]` checks fields against it and the `Claims` docs render
//! their table from it (`__claims_doc_table!`), so code and docs cannot drift apart.
//!
//! Sources: the claims tables of Logto's SDK guides ("Scopes and claims") and Logto
//! 1.42's userinfo (which adds `organization_data`).

use crate::scopes::{OPENID, ORGANIZATIONS, PROFILE};

/// One claim Logto knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Claim {
    /// The claim's name in the ID token and userinfo JSON.
    pub name: &'static str,
    /// The scope that grants it.
    pub scope: &'static str,
    /// Where Logto sends it.
    pub source: Source,
    /// What an absent claim becomes, which fixes the field's outer type.
    pub presence: Presence,
    /// The value types the field may hold inside its `Option<_>`/`Vec<_>` (or bare, for
    /// [`Presence::Always`]); the first is the one messages suggest.
    pub types: &'static [ValueType],
    /// One line for the docs table.
    pub description: &'static str,
}

/// Where Logto sends a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// In the ID token (and userinfo, which wins when both have it).
    IdToken,
    /// Only from the userinfo endpoint: reading it costs a request per session.
    Userinfo,
}

/// Whether a claim is always sent, and the field shape that follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presence {
    /// Always present: the field is the bare type (only `sub`).
    Always,
    /// May be absent or `null` (real Logto sends `picture: null`): `Option<T>`.
    Optional,
    /// A list, empty when absent: `Vec<T>`.
    List,
}

/// A value type a claim may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueType {
    /// `String`.
    String,
    /// `bool`.
    Bool,
    /// `i64`, milliseconds since the epoch for the timestamps.
    I64,
    /// `u64`, milliseconds since the epoch for the timestamps.
    U64,
    /// `logto::UnixMillis`.
    UnixMillis,
    /// `logto::Address`.
    Address,
    /// `logto::OrganizationRole`, parsed from `"<organization_id>:<role>"`.
    OrganizationRole,
    /// `logto::OrganizationData`.
    OrganizationData,
    /// Any `T: serde::de::DeserializeOwned`, checked by the compiler.
    Any,
}

impl ValueType {
    /// The name a field's type is recognized by (its last path segment), or `None` for
    /// [`ValueType::Any`], which takes every type.
    pub(crate) const fn ident(self) -> Option<&'static str> {
        match self {
            Self::String => Some("String"),
            Self::Bool => Some("bool"),
            Self::I64 => Some("i64"),
            Self::U64 => Some("u64"),
            Self::UnixMillis => Some("UnixMillis"),
            Self::Address => Some("Address"),
            Self::OrganizationRole => Some("OrganizationRole"),
            Self::OrganizationData => Some("OrganizationData"),
            Self::Any => None,
        }
    }

    /// How messages and docs write the type.
    pub(crate) const fn spelling(self) -> &'static str {
        match self {
            Self::String => "String",
            Self::Bool => "bool",
            Self::I64 => "i64",
            Self::U64 => "u64",
            Self::UnixMillis => "logto::UnixMillis",
            Self::Address => "logto::Address",
            Self::OrganizationRole => "logto::OrganizationRole",
            Self::OrganizationData => "logto::OrganizationData",
            Self::Any => "T",
        }
    }

    /// Every value type the derive recognizes by name.
    pub(crate) const NAMED: &'static [ValueType] = &[
        Self::String,
        Self::Bool,
        Self::I64,
        Self::U64,
        Self::UnixMillis,
        Self::Address,
        Self::OrganizationRole,
        Self::OrganizationData,
    ];

    /// The named value type whose name is `ident`.
    pub(crate) fn by_ident(ident: &str) -> Option<Self> {
        Self::NAMED
            .iter()
            .copied()
            .find(|value| value.ident() == Some(ident))
    }
}

impl Presence {
    /// `ty` wrapped in this presence's field shape, e.g. `Option<String>`.
    pub(crate) fn wrap(self, ty: &str) -> String {
        match self {
            Self::Always => ty.to_owned(),
            Self::Optional => format!("Option<{ty}>"),
            Self::List => format!("Vec<{ty}>"),
        }
    }
}

impl Claim {
    /// Whether the field may hold any deserializable type.
    pub(crate) fn takes_any(&self) -> bool {
        self.types.contains(&ValueType::Any)
    }

    /// The field types this claim accepts, as users write them, e.g.
    /// ``["Option<i64>", "Option<u64>", "Option<logto::UnixMillis>"]``.
    pub(crate) fn field_types(&self) -> Vec<String> {
        self.types
            .iter()
            .map(|value| self.presence.wrap(value.spelling()))
            .collect()
    }
}

const fn id_token(
    name: &'static str,
    scope: &'static str,
    presence: Presence,
    types: &'static [ValueType],
    description: &'static str,
) -> Claim {
    Claim {
        name,
        scope,
        source: Source::IdToken,
        presence,
        types,
        description,
    }
}

const fn userinfo(
    name: &'static str,
    scope: &'static str,
    presence: Presence,
    types: &'static [ValueType],
    description: &'static str,
) -> Claim {
    Claim {
        name,
        scope,
        source: Source::Userinfo,
        presence,
        types,
        description,
    }
}

const TEXT: &[ValueType] = &[ValueType::String];
const FLAG: &[ValueType] = &[ValueType::Bool];
/// Logto's timestamps are milliseconds, not the seconds of OIDC's `updated_at`.
const MILLIS: &[ValueType] = &[ValueType::I64, ValueType::U64, ValueType::UnixMillis];
const ANY: &[ValueType] = &[ValueType::Any];

use Presence::{Always, List, Optional};

/// Every claim Logto sends, in the order of its docs.
#[rustfmt::skip]
pub(crate) const CLAIMS: &[Claim] = &[
    // name, scope, presence, value types, description
    id_token("sub",                   OPENID,  Always,   TEXT,   "The user's unique identifier"),
    id_token("name",                  PROFILE, Optional, TEXT,   "Full name"),
    id_token("username",              PROFILE, Optional, TEXT,   "Username"),
    id_token("picture",               PROFILE, Optional, TEXT,   "URL of the profile picture"),
    id_token("created_at",            PROFILE, Optional, MILLIS, "When the user was created (ms since the epoch)"),
    id_token("updated_at",            PROFILE, Optional, MILLIS, "When the profile last changed (ms since the epoch)"),
    id_token("given_name",            PROFILE, Optional, TEXT,   "Given name"),
    id_token("family_name",           PROFILE, Optional, TEXT,   "Family name"),
    id_token("middle_name",           PROFILE, Optional, TEXT,   "Middle name"),
    id_token("nickname",              PROFILE, Optional, TEXT,   "Casual name"),
    id_token("preferred_username",    PROFILE, Optional, TEXT,   "Preferred username"),
    id_token("profile",               PROFILE, Optional, TEXT,   "URL of the profile page"),
    id_token("website",               PROFILE, Optional, TEXT,   "URL of the user's website"),
    id_token("gender",                PROFILE, Optional, TEXT,   "Gender"),
    id_token("birthdate",             PROFILE, Optional, TEXT,   "Birthday, `YYYY-MM-DD` or `YYYY`"),
    id_token("zoneinfo",              PROFILE, Optional, TEXT,   "Time zone, e.g. `Europe/Paris`"),
    id_token("locale",                PROFILE, Optional, TEXT,   "Locale, e.g. `en-US`"),
    id_token("email",                 "email", Optional, TEXT,   "Email address"),
    id_token("email_verified",        "email", Optional, FLAG,   "Whether the email address is verified"),
    id_token("phone_number",          "phone", Optional, TEXT,   "Phone number"),
    id_token("phone_number_verified", "phone", Optional, FLAG,   "Whether the phone number is verified"),
    id_token("address",               "address", Optional, &[ValueType::Address],
             "Postal address (OIDC Core §5.1.1)"),
    userinfo("custom_data",           "custom_data", Optional, ANY, "The user's custom data"),
    userinfo("identities",            "identities", Optional, ANY,
             "Linked social identities, e.g. `HashMap<String, logto::Identity>`"),
    userinfo("sso_identities",        "identities", List, ANY,
             "Linked enterprise SSO identities, e.g. `Vec<logto::SsoIdentity>`"),
    id_token("roles",                 "roles", List, TEXT, "Names of the user's roles"),
    id_token("organizations",         ORGANIZATIONS, List, TEXT, "Ids of the user's organizations"),
    userinfo("organization_data",     ORGANIZATIONS, List, &[ValueType::OrganizationData, ValueType::Any],
             "Id, name and description of the user's organizations"),
    id_token("organization_roles",    "urn:logto:scope:organization_roles", List, &[ValueType::OrganizationRole],
             "The user's roles in its organizations"),
];

/// Names users reach for that are not Logto's, with the claim they mean.
pub(crate) const ALIASES: &[(&str, &str)] = &[
    ("id", "sub"),
    ("user_id", "sub"),
    ("subject", "sub"),
    ("avatar", "picture"),
    ("full_name", "name"),
    ("phone", "phone_number"),
    ("phone_verified", "phone_number_verified"),
    ("mail", "email"),
    ("org_roles", "organization_roles"),
];

/// The claim named `name`.
pub(crate) fn lookup(name: &str) -> Option<&'static Claim> {
    CLAIMS.iter().find(|claim| claim.name == name)
}

/// The catalog claim `name` most likely means: an alias, else a close spelling.
pub(crate) fn suggest(name: &str) -> Option<&'static str> {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map(|(_, claim)| *claim)
        .or_else(|| crate::suggest::did_you_mean(name, CLAIMS.iter().map(|claim| claim.name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scopes;

    #[test]
    fn names_are_unique() {
        for (i, claim) in CLAIMS.iter().enumerate() {
            assert!(
                CLAIMS[..i].iter().all(|other| other.name != claim.name),
                "{} is listed twice",
                claim.name
            );
        }
    }

    #[test]
    fn only_sub_is_always_present() {
        let always: Vec<&str> = CLAIMS
            .iter()
            .filter(|claim| claim.presence == Presence::Always)
            .map(|claim| claim.name)
            .collect();
        assert_eq!(always, ["sub"]);
    }

    #[test]
    fn every_scope_is_a_user_scope() {
        for claim in CLAIMS {
            assert!(scopes::by_scope(claim.scope).is_some(), "{}", claim.name);
        }
    }

    #[test]
    fn aliases_point_into_the_catalog_and_are_not_claims() {
        for (alias, claim) in ALIASES {
            assert!(lookup(claim).is_some(), "{claim}");
            assert!(lookup(alias).is_none(), "{alias}");
        }
    }

    #[test]
    fn suggests_claims() {
        assert_eq!(suggest("emial"), Some("email"));
        assert_eq!(suggest("avatar"), Some("picture"));
        assert_eq!(suggest("createdAt"), Some("created_at"));
        assert_eq!(suggest("favourite_colour"), None);
    }

    #[test]
    fn timestamps_are_milliseconds() {
        for name in ["created_at", "updated_at"] {
            let claim = lookup(name).map(Claim::field_types);
            assert_eq!(
                claim.as_deref(),
                Some(
                    &[
                        "Option<i64>".to_owned(),
                        "Option<u64>".into(),
                        "Option<logto::UnixMillis>".into()
                    ][..]
                )
            );
        }
    }
}
