#[logto::config(
    scopes = [logto::UserScope::Organizations, "read", "read:members"],
    resources = ["https://shopping.your-app.com/api"],
)]
pub struct Auth;

#[logto::protected(config = Auth, organization = "{org_id}", scope = "read:members")]
async fn members() -> &'static str {
    "members"
}

fn main() {}
