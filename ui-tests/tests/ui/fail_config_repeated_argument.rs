// A key given twice: the second is refused on its key, in the attribute's own words
// (not darling's "Duplicate field").
#[logto::config(scopes = ["read"], prompt = "login", prompt = "consent")]
pub struct Auth;

fn main() {}
