#[logto::protected(scope = "read write")]
async fn orders() -> &'static str {
    "orders"
}

fn main() {}
