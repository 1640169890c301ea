#[logto::config(scope = ["read"], resource = ["https://api.example.com"])]
pub struct Auth;

fn main() {}
