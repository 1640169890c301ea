// Every argument of `#[logto::config]`, and the constants it generates.
use logto::{Claims, Config, UserScope};

#[derive(Claims)]
#[claims(config = Auth)]
pub struct User {
    pub sub: String,
    pub email: Option<String>,
    pub custom_data: Option<serde_json::Value>,
}

#[logto::config(
    scopes = [UserScope::Email, logto::UserScope::Organizations, "read", "shopping:write"],
    resources = ["https://shopping.your-app.com/api", "urn:my-company:api"],
    claims = [User],
    prompt = "login  consent",
)]
pub struct Auth;

// The scopes every sign-in requests may be written; they are left out of `SCOPES`.
#[logto::config(scopes = ["openid", UserScope::OfflineAccess, UserScope::Profile, "read"])]
struct Redundant;

#[logto::config]
struct Defaults;

fn main() {
    assert_eq!(
        Auth::SCOPES,
        [
            "email",
            "urn:logto:scope:organizations",
            "read",
            "shopping:write"
        ]
    );
    assert_eq!(
        Auth::RESOURCES,
        ["https://shopping.your-app.com/api", "urn:my-company:api"]
    );
    assert_eq!(Auth::CLAIMS_SCOPES, [&["email", "custom_data"][..]]);
    assert_eq!(Auth::PROMPT, "login consent");

    assert_eq!(Redundant::SCOPES, ["read"]);

    assert!(Defaults::SCOPES.is_empty());
    assert!(Defaults::RESOURCES.is_empty());
    assert!(Defaults::CLAIMS_SCOPES.is_empty());
    assert_eq!(Defaults::PROMPT, "consent");
}
