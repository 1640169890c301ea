use logto::Claims;

#[logto::config(claims = [User])]
pub struct Auth;

#[derive(Claims)]
#[claims(config = Auth)]
pub struct User {
    pub email: Option<String>,
    #[claim(rename = "email")]
    pub contact: Option<String>,
}

fn main() {}
