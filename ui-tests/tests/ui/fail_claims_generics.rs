use logto::Claims;

#[logto::config(scopes = [logto::UserScope::CustomData])]
pub struct Auth;

#[derive(Claims)]
pub struct Borrowed<'a> {
    pub name: Option<&'a str>,
}

#[derive(Claims)]
#[claims(config = Auth)]
pub struct Generic<T> {
    pub custom_data: Option<T>,
}

fn main() {}
