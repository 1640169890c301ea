//! The test issuer refuses what a provider refuses: a wrong client secret, a PKCE
//! verifier that does not match, a refresh token used twice or of an ended grant,
//! organization tokens for non-members, unknown userinfo tokens.

use std::collections::HashMap;

use serde_json::Value;

use super::{
    APP_ID, TestAuth,
    issuer::{Grant, Grantable},
};
use crate::config::Config;

struct Auth;
impl Config for Auth {
    const SCOPES: &'static [&'static str] = &["urn:logto:scope:organizations", "read"];
    const RESOURCES: &'static [&'static str] = &["https://api.example.com"];
}

fn grant(auth: &TestAuth, user: &str, scopes: &[&str]) -> String {
    auth.issuer.add_grant(Grant {
        user: auth.user(user).organization("org_acme"),
        sid: "sid".into(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        resources: HashMap::from([(
            "https://api.example.com".to_owned(),
            Grantable {
                scopes: vec!["read".into()],
                lifetime: 60,
            },
        )]),
        organizations: HashMap::new(),
        organization_resources: HashMap::new(),
        access_lifetime: 60,
        id_token_lifetime: 60,
        revoked: false,
    })
}

/// An authorization request as the client sends it, for `challenge`.
fn authorize(auth: &TestAuth, grant: &str, challenge: &str) -> String {
    let query: Vec<(String, String)> = [
        ("client_id", APP_ID),
        ("response_type", "code"),
        ("code_challenge_method", "S256"),
        ("code_challenge", challenge),
        (
            "scope",
            "openid offline_access urn:logto:scope:organizations",
        ),
        ("redirect_uri", "http://localhost:3000/callback"),
        ("nonce", "n"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    auth.issuer.authorize(grant, &query).expect("a code")
}

async fn token(auth: &TestAuth, secret: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/token", auth.issuer()))
        .basic_auth(APP_ID, Some(secret))
        .form(form)
        .send()
        .await
        .expect("the issuer answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn secret(auth: &TestAuth) -> String {
    auth.issuer.app_secret().to_owned()
}

#[tokio::test]
async fn codes_need_the_client_secret_and_the_pkce_verifier() {
    let auth = TestAuth::new::<Auth>();
    let id = grant(&auth, "u", &[]);
    // S256 of "verifier-verifier-verifier-verifier-verifier".
    let verifier = "verifier-verifier-verifier-verifier-verifier";
    use base64::Engine;
    use sha2::Digest;
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let code = authorize(&auth, &id, &challenge);
    let form = |verifier| {
        vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "http://localhost:3000/callback"),
            ("code_verifier", verifier),
        ]
    };
    let (status, body) = token(&auth, "wrong", &form(verifier)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, body) = token(&auth, &secret(&auth), &form("another-verifier")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // The code was used by that attempt: it is gone.
    let (status, _) = token(&auth, &secret(&auth), &form(verifier)).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_die_with_their_grant() {
    let auth = TestAuth::new::<Auth>();
    let id = grant(&auth, "u", &["openid", "urn:logto:scope:organizations"]);
    let first = auth.issuer.refresh_token_of(&id);
    let (status, body) = refresh(
        &auth,
        first.clone(),
        vec![("resource", "https://api.example.com")],
    )
    .await;
    assert_eq!(
        (status, body["scope"].as_str()),
        (200, Some("read")),
        "{body}"
    );
    let (status, body) = refresh(&auth, first, vec![]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "used twice"
    );

    let (status, body) = refresh(
        &auth,
        auth.issuer.refresh_token_of(&id),
        vec![("organization_id", "org_other")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("access_denied"))
    );
    let (status, body) = refresh(
        &auth,
        auth.issuer.refresh_token_of(&id),
        vec![("organization_id", "org_acme")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let claims = crate::jwt::payload(body["access_token"].as_str().unwrap_or_default());
    let audience = claims.as_ref().and_then(|c| c.get("aud")).cloned();
    assert_eq!(
        audience,
        Some(Value::from("urn:logto:organization:org_acme"))
    );

    auth.issuer.revoke(&id);
    let (status, body) = refresh(&auth, auth.issuer.refresh_token_of(&id), vec![]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "ended"
    );
    assert_eq!(auth.refresh_failures(), 3);
}

#[tokio::test]
async fn organization_tokens_need_the_organizations_scope() {
    let auth = TestAuth::new::<Auth>();
    let id = grant(&auth, "u", &["openid"]);
    let token_value = auth.issuer.refresh_token_of(&id);
    let form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", token_value.as_str()),
        ("organization_id", "org_acme"),
    ];
    let (status, body) = token_owned(&auth, &secret(&auth), form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("insufficient_scope"))
    );
}

#[tokio::test]
async fn userinfo_refuses_unknown_tokens_and_counts_every_call() {
    let auth = TestAuth::new::<Auth>();
    let response = reqwest::Client::new()
        .get(format!("{}/me", auth.issuer()))
        .bearer_auth("unknown")
        .send()
        .await
        .expect("the issuer answers");
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(auth.userinfo_requests(), 1);
}

async fn token_owned(auth: &TestAuth, secret: &str, form: Vec<(&str, &str)>) -> (u16, Value) {
    token(auth, secret, &form).await
}

async fn refresh(auth: &TestAuth, token: String, extra: Vec<(&str, &str)>) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", token.as_str()),
    ];
    form.extend(extra);
    token_owned(auth, &secret(auth), form).await
}
