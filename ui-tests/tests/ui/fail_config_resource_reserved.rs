use logto::UserScope;

#[logto::config(
    scopes = [UserScope::Organizations],
    resources = ["urn:logto:resource:organizations"],
)]
pub struct Auth;

fn main() {}
