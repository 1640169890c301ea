use logto::UserScope;

#[logto::config(scopes = ["email", UserScope::Email])]
pub struct Auth;

fn main() {}
