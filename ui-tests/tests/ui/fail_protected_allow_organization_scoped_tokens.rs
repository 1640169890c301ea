// The opt-in into organization-scoped bearer tokens: misspelled, given a value, or
// beside `organization`, which already names the organization.
#[logto::config(
    scopes = [logto::UserScope::Organizations, "read", "read:members"],
    resources = ["https://shopping.your-app.com/api"],
)]
pub struct Auth;

#[logto::protected(config = Auth, scope = "read", allow_organization_tokens)]
async fn orders() -> &'static str {
    "orders"
}

#[logto::protected(config = Auth, scope = "read", allow_organization_scoped_tokens = true)]
async fn invoices() -> &'static str {
    "invoices"
}

#[logto::protected(config = Auth, organization = "org_id", allow_organization_scoped_tokens)]
async fn members() -> &'static str {
    "members"
}

fn main() {}
