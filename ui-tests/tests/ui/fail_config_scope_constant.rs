const READ: &str = "read";

#[logto::config(scopes = [READ])]
pub struct Auth;

fn main() {}
