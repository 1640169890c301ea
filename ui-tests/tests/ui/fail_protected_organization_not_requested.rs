#[logto::config(scopes = ["read:members"])]
pub struct Auth;

#[logto::protected(config = Auth, organization = "org_id", scope = "read:members")]
async fn members() -> &'static str {
    "members"
}

fn main() {}
