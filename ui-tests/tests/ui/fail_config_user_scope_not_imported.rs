// The macro resolves the variant, and the compiler resolves the path.
#[logto::config(scopes = [UserScope::Email])]
pub struct Auth;

fn main() {}
