// `#[claim(rename)]`, custom claims, and the axum extractors the derive generates.
use logto::__private::axum::extract::{FromRequestParts, OptionalFromRequestParts};
use logto::Claims;
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Free,
    Pro,
}

#[logto::config(claims = [Profile])]
pub struct Auth;

#[derive(Claims, Debug)]
#[claims(config = Auth)]
pub struct Profile {
    #[claim(rename = "sub")]
    pub id: String,
    #[claim(rename = "picture")]
    pub avatar: Option<String>,
    #[claim(custom, scope = "billing", userinfo)]
    pub plan: Option<Plan>,
    #[claim(custom, scope = "billing")]
    #[claim(rename = "seats")]
    pub seat_ids: Vec<u32>,
    #[claim(custom, scope = "profile")]
    pub r#type: Option<String>,
}

fn extractor<T: FromRequestParts<()> + OptionalFromRequestParts<()>>() {}

fn main() {
    assert_eq!(Profile::SCOPES, ["billing"]);
    assert!(Profile::NEEDS_USERINFO);
    extractor::<Profile>();

    let Value::Object(id_token) = json!({
        "sub": "u1",
        "picture": "https://example.com/a.png",
        "seats": [1, 2],
        "type": "staff",
    }) else {
        unreachable!()
    };
    let userinfo = Map::from_iter([("plan".to_owned(), json!("pro"))]);
    let profile = Profile::from_claims(&id_token, Some(&userinfo)).unwrap();
    assert_eq!(profile.id, "u1");
    assert_eq!(profile.avatar.as_deref(), Some("https://example.com/a.png"));
    assert_eq!(profile.plan, Some(Plan::Pro));
    assert_eq!(profile.seat_ids, [1, 2]);
    assert_eq!(profile.r#type.as_deref(), Some("staff"));
}
