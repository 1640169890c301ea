#[logto::protected(scope = "read")]
struct Orders;

fn main() {}
