use logto::Claims;

#[derive(Claims)]
pub enum User {
    Admin { sub: String },
    Member { sub: String },
}

fn main() {}
