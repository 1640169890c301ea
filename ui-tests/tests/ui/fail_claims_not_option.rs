use logto::Claims;

#[derive(Claims)]
pub struct User {
    pub sub: String,
    pub email: String,
    pub custom_data: serde_json::Value,
}

fn main() {}
