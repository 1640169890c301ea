// The opt-in into organization-scoped bearer tokens: misspelled, given a value, or
// beside `organization`, which already names the organization.
#[logto::protected(scope = "read", allow_organization_tokens)]
async fn orders() -> &'static str {
    "orders"
}

#[logto::protected(scope = "read", allow_organization_scoped_tokens = true)]
async fn invoices() -> &'static str {
    "invoices"
}

#[logto::protected(organization = "org_id", allow_organization_scoped_tokens)]
async fn members() -> &'static str {
    "members"
}

fn main() {}
