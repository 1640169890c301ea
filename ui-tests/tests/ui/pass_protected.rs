// Every form of `#[logto::protected]` compiles to an axum handler.
use logto::{AccessToken, UserScope};
// The test member depends on `logto` alone; axum comes through its re-export.
use logto::__private::axum::{Router, extract::Path, routing::get};

#[logto::config(
    scopes = [UserScope::Organizations, "read", "write", "read:members"],
    resources = ["https://shopping.your-app.com/api"],
)]
pub struct Auth;

#[logto::protected]
async fn signed_in() -> &'static str {
    "signed in"
}

#[logto::protected(config = Auth, scope = "read")]
async fn orders(token: AccessToken) -> String {
    token.scopes().join(" ")
}

#[logto::protected(config = Auth, scope = ["read", "write"], resource = "https://shopping.your-app.com/api", bearer_only)]
pub async fn edit(Path(id): Path<u32>, body: String) -> String {
    format!("{id}: {body}")
}

#[logto::protected(config = Auth, organization = "org_id", scope = "read:members")]
pub(crate) async fn members(Path(org_id): Path<String>) -> String {
    org_id
}

// Global tokens and tokens scoped to any organization; the handler reads which.
#[logto::protected(config = Auth, scope = "read", bearer_only, allow_organization_scoped_tokens)]
async fn reports(token: AccessToken) -> String {
    token.organization_id().unwrap_or("global").to_owned()
}

#[logto::protected(redirect)]
async fn page() -> &'static str {
    "page"
}

fn main() {
    let _: Router = Router::new()
        .route("/", get(signed_in))
        .route("/orders", get(orders))
        .route("/orders/{id}", get(edit))
        .route("/orgs/{org_id}/members", get(members))
        .route("/reports", get(reports))
        .route("/page", get(page));
}
