#[logto::protected(scopes = "read", bearer = true)]
async fn orders() -> &'static str {
    "orders"
}

fn main() {}
