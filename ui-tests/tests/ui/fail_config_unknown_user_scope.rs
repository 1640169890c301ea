use logto::UserScope;

#[logto::config(scopes = [UserScope::Emial])]
pub struct Auth;

fn main() {}
