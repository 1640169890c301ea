use logto::Claims;

pub struct Plan {
    pub name: String,
}

#[derive(Claims)]
pub struct User {
    #[claim(custom, scope = "billing", userinfo)]
    pub plan: Option<Plan>,
}

fn main() {}
