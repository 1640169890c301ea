use logto::Claims;

#[logto::config(claims = [User])]
pub struct Auth;

#[derive(Claims)]
#[claims(config = Auth)]
pub struct User {
    // A catalog claim is not custom.
    #[claim(custom, scope = "email")]
    pub email: Option<String>,
    // `scope` without `custom`.
    #[claim(scope = "phone")]
    pub phone_number: Option<String>,
    // A custom claim may be absent.
    #[claim(custom, scope = "billing")]
    pub plan: String,
}

fn main() {}
