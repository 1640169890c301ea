#[logto::config(scopes = ["read write"])]
pub struct Auth;

fn main() {}
