//! The user a test signs in: the claims Logto would hold for them, filtered by scope
//! into the ID token and the userinfo response as Logto (and `tests/idp/`) filter them.

use serde_json::{Map, Value, json};

use crate::config::{ORGANIZATIONS_RESOURCE, UserScope};

/// Which scope grants which claim, as Logto's (and `tests/idp/data.mjs`'s) table.
const CLAIMS_BY_SCOPE: &[(&str, &[&str])] = &[
    ("openid", &["sub"]),
    (
        "profile",
        &[
            "name",
            "username",
            "picture",
            "created_at",
            "updated_at",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
        ],
    ),
    ("email", &["email", "email_verified"]),
    ("phone", &["phone_number", "phone_number_verified"]),
    ("address", &["address"]),
    ("roles", &["roles"]),
    ("custom_data", &["custom_data"]),
    ("identities", &["identities", "sso_identities"]),
    (
        "urn:logto:scope:organizations",
        &["organizations", "organization_data"],
    ),
    (
        "urn:logto:scope:organization_roles",
        &["organization_roles"],
    ),
];

/// Claims only the userinfo endpoint serves.
const USERINFO_ONLY: &[&str] = &[
    "custom_data",
    "identities",
    "sso_identities",
    "organization_data",
];

/// Claims Logto always sends with their scope, `null` (or `false`) when empty.
const NULLABLE: &[(&str, Value)] = &[
    ("name", Value::Null),
    ("username", Value::Null),
    ("picture", Value::Null),
    ("created_at", Value::Null),
    ("updated_at", Value::Null),
    ("email", Value::Null),
    ("email_verified", Value::Bool(false)),
    ("phone_number", Value::Null),
    ("phone_number_verified", Value::Bool(false)),
];

/// A user of the test issuer: a `sub` and the claims Logto would hold for them.
///
/// Made by [`TestAuth::user`](super::TestAuth::user); each method sets one claim (or
/// one membership) and returns the user. The issuer sends each claim where Logto does:
/// in the ID token when its scope was requested, and `custom_data`, `identities`,
/// `sso_identities` and `organization_data` only from the userinfo endpoint.
///
/// ```
/// # #[logto::config(scopes = [logto::UserScope::Email])]
/// # pub struct Auth;
/// let auth = logto::testing::TestAuth::new::<Auth>();
/// let alice = auth
///     .user("user_alice")
///     .email("alice@example.com")
///     .name("Alice")
///     .role("admin")
///     .organization_role("org_acme", "admin")
///     .custom_data(serde_json::json!({"plan": "pro"}));
/// assert_eq!(alice.sub(), "user_alice");
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct TestUser {
    pub(super) sub: String,
    claims: Map<String, Value>,
    roles: Vec<String>,
    /// Organization ids and the user's roles in each.
    organizations: Vec<(String, Vec<String>)>,
}

impl TestUser {
    pub(super) fn new(sub: &str) -> Self {
        Self {
            sub: sub.to_owned(),
            claims: Map::new(),
            roles: Vec::new(),
            organizations: Vec::new(),
        }
    }

    /// The user's `sub`.
    pub fn sub(&self) -> &str {
        &self.sub
    }

    /// `email`, verified (`email_verified: true`; scope `email`).
    pub fn email(self, email: &str) -> Self {
        self.claim("email", email).claim("email_verified", true)
    }

    /// `name` (scope `profile`).
    pub fn name(self, name: &str) -> Self {
        self.claim("name", name)
    }

    /// `username` (scope `profile`).
    pub fn username(self, username: &str) -> Self {
        self.claim("username", username)
    }

    /// A role of the user (the `roles` claim, scope `roles`).
    pub fn role(mut self, role: &str) -> Self {
        self.roles.push(role.to_owned());
        self
    }

    /// Membership of an organization without a role (the `organizations` claim; in
    /// `organization_data`, from userinfo, the organization's name is its id).
    pub fn organization(mut self, organization_id: &str) -> Self {
        self.member(organization_id);
        self
    }

    /// A role in an organization: the user is a member of it (`organizations`), and
    /// `organization_roles` holds `"<organization_id>:<role>"`.
    pub fn organization_role(mut self, organization_id: &str, role: &str) -> Self {
        self.member(organization_id).push(role.to_owned());
        self
    }

    /// `custom_data`, which only the userinfo endpoint serves (scope `custom_data`).
    pub fn custom_data(self, data: Value) -> Self {
        self.claim("custom_data", data)
    }

    /// Any claim, by its name; it goes where Logto sends that claim.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.to_owned(), value.into());
        self
    }

    fn member(&mut self, organization_id: &str) -> &mut Vec<String> {
        let index = match self
            .organizations
            .iter()
            .position(|(id, _)| id == organization_id)
        {
            Some(index) => index,
            None => {
                self.organizations
                    .push((organization_id.to_owned(), Vec::new()));
                self.organizations.len() - 1
            }
        };
        &mut self.organizations[index].1
    }

    /// Whether the user belongs to the organization (else its tokens are refused).
    pub(super) fn is_member(&self, organization_id: &str) -> bool {
        self.organizations
            .iter()
            .any(|(id, _)| id == organization_id)
    }

    /// The claims granted by `scopes`, for the ID token or for userinfo.
    pub(super) fn claims_for(&self, scopes: &[String], userinfo: bool) -> Map<String, Value> {
        let mut all: Map<String, Value> = NULLABLE
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect();
        all.extend(self.claims.clone());
        all.insert("sub".into(), json!(self.sub));
        all.insert("roles".into(), json!(self.roles));
        let ids: Vec<&str> = self
            .organizations
            .iter()
            .map(|(id, _)| id.as_str())
            .collect();
        all.insert("organizations".into(), json!(ids));
        let roles: Vec<String> = self
            .organizations
            .iter()
            .flat_map(|(id, roles)| roles.iter().map(move |role| format!("{id}:{role}")))
            .collect();
        all.insert("organization_roles".into(), json!(roles));
        let data: Vec<Value> = ids
            .iter()
            // Logto's organizations always have a name: the test's are named by id.
            .map(|id| json!({"id": id, "name": id, "description": null}))
            .collect();
        all.insert("organization_data".into(), json!(data));
        for (name, empty) in [
            ("custom_data", json!({})),
            ("identities", json!({})),
            ("sso_identities", json!([])),
        ] {
            all.entry(name).or_insert(empty);
        }
        let granted = |claim: &str| {
            CLAIMS_BY_SCOPE
                .iter()
                .any(|(scope, claims)| claims.contains(&claim) && scopes.iter().any(|s| s == scope))
        };
        all.into_iter()
            .filter(|(name, _)| granted(name) || !known(name))
            .filter(|(name, _)| userinfo || !USERINFO_ONLY.contains(&name.as_str()))
            .collect()
    }
}

/// Whether a scope of the table grants the claim; other claims (set with
/// [`TestUser::claim`]) are sent whatever the scopes, as a custom claim would be.
fn known(claim: &str) -> bool {
    CLAIMS_BY_SCOPE
        .iter()
        .any(|(_, claims)| claims.contains(&claim))
}

/// The audience of an organization token.
pub(super) fn organization_audience(organization_id: &str) -> String {
    format!("urn:logto:organization:{organization_id}")
}

/// The scope that grants organization tokens (refused without it, as Logto does).
pub(super) fn organizations_scope() -> &'static str {
    UserScope::Organizations.as_str()
}

/// Whether `resource` is Logto's reserved organizations resource.
pub(super) fn is_organizations_resource(resource: &str) -> bool {
    resource == ORGANIZATIONS_RESOURCE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn claims_follow_the_scopes_and_userinfo_only_claims_stay_out_of_id_tokens() {
        let user = TestUser::new("u")
            .email("a@example.com")
            .organization_role("org", "admin")
            .custom_data(json!({"plan": "pro"}));
        let id = user.claims_for(&scopes(&["openid", "profile"]), false);
        assert_eq!(id["sub"], "u");
        assert_eq!(id["name"], Value::Null, "profile claims are present, null");
        assert!(!id.contains_key("email"), "no email scope: {id:?}");
        let id = user.claims_for(
            &scopes(&[
                "openid",
                "email",
                "urn:logto:scope:organization_roles",
                "custom_data",
            ]),
            false,
        );
        assert_eq!(id["email_verified"], true);
        assert_eq!(id["organization_roles"], json!(["org:admin"]));
        assert!(!id.contains_key("custom_data"));
        let info = user.claims_for(&scopes(&["openid", "custom_data"]), true);
        assert_eq!(info["custom_data"], json!({"plan": "pro"}));
    }
}
