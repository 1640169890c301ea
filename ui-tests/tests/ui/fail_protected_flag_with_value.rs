// A flag written with a value, and a value written as a list: each refused on its token,
// together, saying what to write.
#[logto::protected(bearer_only = true, scope("read"))]
async fn orders() -> &'static str {
    "orders"
}

fn main() {}
