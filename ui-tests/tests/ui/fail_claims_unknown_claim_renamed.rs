use logto::Claims;

#[derive(Claims)]
pub struct User {
    #[claim(rename = "avatar")]
    pub image: Option<String>,
    pub favourite_colour: Option<String>,
}

fn main() {}
