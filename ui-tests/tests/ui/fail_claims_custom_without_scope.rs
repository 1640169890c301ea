use logto::Claims;

#[derive(Claims)]
pub struct User {
    #[claim(custom)]
    pub plan: Option<String>,
}

fn main() {}
