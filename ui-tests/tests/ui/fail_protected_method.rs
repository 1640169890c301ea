struct Shop;

impl Shop {
    #[logto::protected]
    async fn orders(&self) -> &'static str {
        "orders"
    }
}

fn main() {}
