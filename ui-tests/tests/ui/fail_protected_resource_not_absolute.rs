#[logto::protected(scope = "read", resource = "shopping.your-app.com/api")]
async fn orders() -> &'static str {
    "orders"
}

fn main() {}
