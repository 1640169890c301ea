#[logto::config(scopes = "read")]
pub struct Auth;

fn main() {}
