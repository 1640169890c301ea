#[logto::config(
    scopes = [logto::UserScope::Organizations, "read", "read:members"],
    resources = ["https://shopping.your-app.com/api"],
)]
pub struct Auth;

#[logto::protected(config = Auth, scope = "read", resource = "shopping.your-app.com/api")]
async fn orders() -> &'static str {
    "orders"
}

fn main() {}
