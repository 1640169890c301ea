#[logto::config(scopes = ["read", "write"], resources = ["https://shopping.your-app.com/api"])]
pub struct Auth;

#[logto::protected(config = Auth, scope = "delete")]
async fn remove_order() -> &'static str {
    "removed"
}

fn main() {}
