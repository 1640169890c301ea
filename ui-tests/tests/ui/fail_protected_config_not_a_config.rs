pub struct Settings;

// Every compile-time check of the guard reads the config; the type that is none is
// reported once, on its name.
#[logto::protected(config = Settings, scope = "read", organization = "org_id")]
async fn orders() -> &'static str {
    "orders"
}

fn main() {}
