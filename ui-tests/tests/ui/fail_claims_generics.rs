use logto::Claims;

#[derive(Claims)]
pub struct Borrowed<'a> {
    pub name: Option<&'a str>,
}

#[derive(Claims)]
pub struct Generic<T> {
    pub custom_data: Option<T>,
}

fn main() {}
