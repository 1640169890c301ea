use logto::Claims;

/// Not `logto::Address`: the derive decodes into the catalog's own type.
#[derive(serde::Deserialize)]
pub struct Address {
    pub city: Option<String>,
}

#[logto::config(claims = [User])]
pub struct Auth;

#[derive(Claims)]
#[claims(config = Auth)]
pub struct User {
    pub address: Option<Address>,
}

fn main() {}
