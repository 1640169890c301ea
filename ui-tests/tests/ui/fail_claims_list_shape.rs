use logto::Claims;

#[derive(Claims)]
pub struct User {
    pub sub: Option<String>,
    pub roles: Option<Vec<String>>,
    pub organizations: String,
}

fn main() {}
