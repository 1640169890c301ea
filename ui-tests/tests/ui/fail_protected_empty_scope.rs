#[logto::protected(scope = "")]
async fn orders() -> &'static str {
    "orders"
}

#[logto::protected(scope = [])]
async fn invoices() -> &'static str {
    "invoices"
}

fn main() {}
