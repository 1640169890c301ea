#[logto::config(claims = [String])]
pub struct Auth;

fn main() {}
