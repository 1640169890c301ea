#[logto::config(
    scopes = [logto::UserScope::Organizations, "read", "read:members"],
    resources = ["https://shopping.your-app.com/api"],
)]
pub struct Auth;

#[logto::protected(config = Auth, scope = "read")]
struct Orders;

fn main() {}
