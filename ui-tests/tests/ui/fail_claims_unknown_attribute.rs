use logto::Claims;

#[derive(Claims)]
pub struct User {
    #[claim(renmae = "picture")]
    pub picture: Option<String>,
    #[claim(userinfo = true, custom, scope = "billing")]
    pub plan: Option<String>,
}

fn main() {}
