use logto::Claims;

#[derive(Claims)]
pub struct User {
    pub sub: String,
    pub emial: Option<String>,
}

// Only the derive's error shows: its stand-in impl keeps the rest compiling.
#[logto::config(claims = [User])]
pub struct Auth;

fn main() {}
