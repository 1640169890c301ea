#[logto::protected(bearer_only, redirect)]
async fn orders() -> &'static str {
    "orders"
}

fn main() {}
