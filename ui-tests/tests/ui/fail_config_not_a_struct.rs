#[logto::config(scopes = ["read"])]
pub enum Auth {
    A,
}

fn main() {}
