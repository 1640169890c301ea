// Every `UserScope` variant resolves, and the macro's table agrees with `as_str` (the
// generated code asserts it at compile time).
use logto::{Config, UserScope};

#[logto::config(scopes = [
    UserScope::Email,
    UserScope::Phone,
    UserScope::Address,
    UserScope::CustomData,
    UserScope::Identities,
    UserScope::Roles,
    UserScope::Organizations,
    UserScope::OrganizationRoles,
])]
struct Everything;

fn main() {
    assert_eq!(
        Everything::SCOPES,
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
}
