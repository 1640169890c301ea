#[logto::config(resources = ["https://shopping.your-app.com/api#v2"])]
pub struct Auth;

fn main() {}
