#[logto::config(scopes = ["read"], resources = ["https://shopping.your-app.com/api"])]
pub struct Auth;

#[logto::protected(config = Auth, scope = "read", resource = "https://billing.your-app.com/api")]
async fn invoices() -> &'static str {
    "invoices"
}

fn main() {}
