#[logto::config(resources = ["shopping.your-app.com/api"])]
pub struct Auth;

fn main() {}
