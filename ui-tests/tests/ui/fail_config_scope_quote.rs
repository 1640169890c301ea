#[logto::config(scopes = ["", "say\"hi\""])]
pub struct Auth;

fn main() {}
