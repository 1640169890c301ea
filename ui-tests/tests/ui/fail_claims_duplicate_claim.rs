use logto::Claims;

#[derive(Claims)]
pub struct User {
    pub email: Option<String>,
    #[claim(rename = "email")]
    pub contact: Option<String>,
}

fn main() {}
