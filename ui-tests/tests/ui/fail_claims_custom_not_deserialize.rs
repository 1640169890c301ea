use logto::Claims;

pub struct Plan {
    pub name: String,
}

#[logto::config(claims = [User])]
pub struct Auth;

#[derive(Claims)]
#[claims(config = Auth)]
pub struct User {
    #[claim(custom, scope = "billing", userinfo)]
    pub plan: Option<Plan>,
}

fn main() {}
