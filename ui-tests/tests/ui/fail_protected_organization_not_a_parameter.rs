#[logto::protected(organization = "{org_id}", scope = "read:members")]
async fn members() -> &'static str {
    "members"
}

fn main() {}
