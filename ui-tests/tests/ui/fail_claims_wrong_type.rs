use logto::Claims;

#[derive(Claims)]
pub struct User {
    pub email_verified: Option<String>,
    pub created_at: Option<f64>,
    pub organization_roles: Vec<String>,
}

fn main() {}
