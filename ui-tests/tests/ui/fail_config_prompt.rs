#[logto::config(prompt = "consnet")]
pub struct Auth;

#[logto::config(prompt = "none login")]
pub struct Silent;

fn main() {}
