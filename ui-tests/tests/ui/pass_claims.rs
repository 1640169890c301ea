// Every claim of the catalog, decoded from a Logto-like ID token and userinfo.
use std::collections::HashMap;

use logto::Claims;
use logto::claims::{
    Address, Identity, OrganizationData, OrganizationRole, SsoIdentity, UnixMillis,
};
use serde_json::{Map, Value, json};

#[logto::config(claims = [User])]
pub struct Auth;

#[derive(Claims, Debug)]
#[claims(config = Auth)]
pub struct User {
    pub sub: String,
    pub name: Option<String>,
    pub username: Option<String>,
    pub picture: Option<String>,
    pub created_at: Option<UnixMillis>,
    pub updated_at: Option<i64>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub middle_name: Option<String>,
    pub nickname: Option<String>,
    pub preferred_username: Option<String>,
    pub profile: Option<String>,
    pub website: Option<String>,
    pub gender: Option<String>,
    pub birthdate: Option<String>,
    pub zoneinfo: Option<String>,
    pub locale: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub phone_number: Option<std::string::String>,
    pub phone_number_verified: Option<bool>,
    pub address: Option<Address>,
    pub custom_data: Option<Value>,
    pub identities: Option<HashMap<String, Identity>>,
    pub sso_identities: Vec<SsoIdentity>,
    pub roles: Vec<String>,
    pub organizations: Vec<String>,
    pub organization_data: Vec<OrganizationData>,
    pub organization_roles: Vec<OrganizationRole>,
}

/// Only ID token claims: no userinfo request.
#[derive(Claims)]
pub struct Light {
    pub sub: String,
    pub created_at: Option<u64>,
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => unreachable!(),
    }
}

fn main() {
    assert_eq!(
        User::SCOPES,
        [
            "email",
            "phone",
            "address",
            "custom_data",
            "identities",
            "roles",
            "urn:logto:scope:organizations",
            "urn:logto:scope:organization_roles",
        ]
    );
    assert!(User::NEEDS_USERINFO);
    assert!(Light::SCOPES.is_empty());
    assert!(!Light::NEEDS_USERINFO);

    let id_token = object(json!({
        "sub": "u1",
        "name": "Ada",
        "username": null,
        "picture": null,
        "created_at": 1_700_000_000_123_i64,
        "updated_at": 1_700_000_000_456_i64,
        "preferred_username": "ada",
        "email": "ada@example.com",
        "email_verified": true,
        "address": { "locality": "London" },
        "roles": ["admin"],
        "organizations": ["org_1"],
        "organization_roles": ["org_1:owner"],
        // Userinfo-only claims are never read from the ID token.
        "custom_data": { "forged": true },
    }));
    let userinfo = object(json!({
        "sub": "u1",
        "name": "Ada Lovelace",
        "custom_data": { "plan": "pro" },
        "identities": { "github": { "userId": "42", "details": {} } },
        "organization_data": [{ "id": "org_1", "name": "Acme", "description": null }],
    }));

    let user = User::from_claims(&id_token, Some(&userinfo)).unwrap();
    assert_eq!(user.sub, "u1");
    assert_eq!(user.name.as_deref(), Some("Ada Lovelace"), "userinfo wins");
    assert_eq!(user.username, None, "null is None");
    assert_eq!(user.created_at, Some(UnixMillis(1_700_000_000_123)));
    assert_eq!(user.updated_at, Some(1_700_000_000_456));
    assert_eq!(user.email_verified, Some(true));
    assert_eq!(user.phone_number, None);
    assert_eq!(
        user.address.and_then(|a| a.locality).as_deref(),
        Some("London")
    );
    assert_eq!(user.custom_data, Some(json!({ "plan": "pro" })));
    assert_eq!(
        user.identities
            .map(|i| i["github"].user_id.clone())
            .as_deref(),
        Some("42")
    );
    assert!(user.sso_identities.is_empty(), "absent list is empty");
    assert_eq!(user.roles, ["admin"]);
    assert_eq!(user.organization_data[0].name, "Acme");
    assert_eq!(user.organization_roles[0].organization_id, "org_1");
    assert_eq!(user.organization_roles[0].role, "owner");

    // Without userinfo, a userinfo-only claim is an error, not a panic.
    let missing = User::from_claims(&id_token, None).unwrap_err();
    assert!(matches!(
        missing,
        logto::ClaimError::UserinfoRequired {
            claim: "custom_data"
        }
    ));

    // A malformed organization role is a typed error.
    let mut bad = id_token.clone();
    bad.insert("organization_roles".into(), json!(["no-colon"]));
    let malformed = User::from_claims(&bad, Some(&userinfo)).unwrap_err();
    assert!(matches!(
        malformed,
        logto::ClaimError::Malformed {
            claim: "organization_roles",
            ..
        }
    ));

    let light = Light::from_claims(&id_token, None).unwrap();
    assert_eq!(light.created_at, Some(1_700_000_000_123));
    let no_sub = Light::from_claims(&object(json!({})), None).err();
    assert!(matches!(
        no_sub,
        Some(logto::ClaimError::Missing { claim: "sub" })
    ));
}
