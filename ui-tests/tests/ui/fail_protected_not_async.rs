#[logto::protected]
fn orders() -> &'static str {
    "orders"
}

fn main() {}
