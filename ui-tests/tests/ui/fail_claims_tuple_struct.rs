use logto::Claims;

#[derive(Claims)]
pub struct User(String, Option<String>);

fn main() {}
