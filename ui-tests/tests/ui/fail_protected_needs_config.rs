// A guard that needs something of the config names the config, so the build can check
// it; every need without one is reported, on the argument at fault.
#[logto::protected(scope = "read")]
async fn orders() -> &'static str {
    "orders"
}

#[logto::protected(resource = "https://shopping.your-app.com/api", bearer_only)]
async fn api() -> &'static str {
    "api"
}

#[logto::protected(organization = "org_id")]
async fn members() -> &'static str {
    "members"
}

fn main() {}
