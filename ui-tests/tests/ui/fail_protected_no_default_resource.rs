#[logto::config(
    scopes = ["read"],
    resources = ["https://shopping.your-app.com/api", "https://billing.your-app.com/api"],
)]
pub struct Auth;

// Two resources: which one must carry `read`?
#[logto::protected(config = Auth, scope = "read")]
async fn orders() -> &'static str {
    "orders"
}

fn main() {}
