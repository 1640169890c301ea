pub struct Settings;

#[logto::protected(config = Settings)]
async fn orders() -> &'static str {
    "orders"
}

fn main() {}
