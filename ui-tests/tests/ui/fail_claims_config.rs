// A claims type whose fields need scopes names the config that requests them, and the
// build checks that config does: here `Auth` forgot `claims = [User]`.
#[logto::config(scopes = ["read"])]
pub struct Auth;

#[derive(logto::Claims)]
#[claims(config = Auth)]
pub struct User {
    pub sub: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub custom_data: Option<serde_json::Value>,
}

// No config named: the fields would be empty without their scopes.
#[derive(logto::Claims)]
pub struct Unchecked {
    pub sub: String,
    pub phone_number: Option<String>,
}

// Named, but not a config.
#[derive(logto::Claims)]
#[claims(config = String)]
pub struct Misnamed {
    pub sub: String,
    pub email: Option<String>,
}

fn main() {}
