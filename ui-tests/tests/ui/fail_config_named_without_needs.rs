// A config named where nothing can fail against it is still checked: a misspelled or
// wrong type is an error, not ignored.
#[logto::config]
pub struct Auth;

#[logto::protected(config = Atuh)]
async fn profile() -> &'static str {
    "profile"
}

#[logto::protected(config = String, redirect)]
async fn dashboard() -> &'static str {
    "dashboard"
}

// Every field is one every sign-in requests: nothing to check but the name.
#[derive(logto::Claims)]
#[claims(config = Atuh)]
pub struct Profile {
    pub sub: String,
    pub name: Option<String>,
}

fn main() {}
