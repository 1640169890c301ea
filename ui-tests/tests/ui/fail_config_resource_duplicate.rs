#[logto::config(resources = ["https://api.example.com", "https://api.example.com"])]
pub struct Auth;

fn main() {}
