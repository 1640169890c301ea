//! Access tokens for resources and organizations, and refresh that never burns a
//! refresh token, against a provider that rotates and detects reuse.

use futures_util::future::join_all;
use logto_test_support::{Browser, idp::count};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::support::{RESOURCE, TestApp, jwt_claims, jwt_header, provider};

/// Tokens that live 120 s: with the 60 s leeway they are refreshed from 60 s on.
fn short_tokens() -> Value {
    json!({"ttl": {"access_token": 120, "id_token": 3600}})
}

async fn refreshes(app: &TestApp) -> u64 {
    count(
        &provider().counts(&app.client_id).await,
        &["grants", "refresh_token"],
    )
}

fn resource_token_url(app: &TestApp) -> String {
    app.url(&format!("/api/token?resource={RESOURCE}"))
}

#[tokio::test]
async fn a_resource_token_carries_the_role_scopes_only() {
    let app = TestApp::start("resource").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let (status, body) = browser.json(&resource_token_url(&app)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["scopes"],
        json!(["read"]),
        "demo is a reader: no write"
    );
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(jwt_header(token)["typ"], "at+jwt");
    let claims = jwt_claims(token);
    assert_eq!(claims["aud"], RESOURCE);
    assert_eq!(claims["scope"], "read");
    assert_eq!(claims["sub"], "user_demo");

    // Cached: the second request sends nothing to the provider.
    let before = refreshes(&app).await;
    let (_, again) = browser.json(&resource_token_url(&app)).await;
    assert_eq!(again["access_token"], body["access_token"]);
    assert_eq!(refreshes(&app).await, before);
    assert_eq!(
        before, 1,
        "positive control: the first request refreshed once"
    );
}

#[tokio::test]
async fn an_expired_token_is_refreshed_persisted_and_reused() {
    let app = TestApp::start_with("expired", short_tokens(), |b| b).await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let (_, first) = browser.json(&resource_token_url(&app)).await;
    assert_eq!(refreshes(&app).await, 1);

    app.clock.advance(70);
    let response = browser.get(&resource_token_url(&app)).await;
    assert!(
        response.headers().contains_key(header::SET_COOKIE),
        "the refreshed session is written back"
    );
    let second: Value = response.json().await.unwrap();
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(refreshes(&app).await, 2);

    let response = browser.get(&resource_token_url(&app)).await;
    assert!(
        !response.headers().contains_key(header::SET_COOKIE),
        "an unchanged session is not written"
    );
    let third: Value = response.json().await.unwrap();
    assert_eq!(
        third["access_token"], second["access_token"],
        "the next request uses the new token"
    );
    assert_eq!(refreshes(&app).await, 2);
}

#[tokio::test]
async fn fifty_concurrent_requests_refresh_once_and_late_old_cookies_too() {
    let app = TestApp::start_with("burst", short_tokens(), |b| b).await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let (_, first) = browser.json(&resource_token_url(&app)).await;
    assert_eq!(refreshes(&app).await, 1);
    let old_cookie = browser.cookie_header(&app.base);

    app.clock.advance(70);
    let url = resource_token_url(&app);
    let answers = join_all((0..50).map(|_| {
        let client = reqwest::Client::new();
        let (url, cookie) = (url.clone(), old_cookie.clone());
        async move {
            let response = client
                .get(&url)
                .header(header::COOKIE, cookie)
                .send()
                .await
                .unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    }))
    .await;
    let new_token = answers[0].1["access_token"].clone();
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
        assert_eq!(body["access_token"], new_token);
    }
    assert_ne!(new_token, first["access_token"]);
    assert_eq!(
        refreshes(&app).await,
        2,
        "exactly one refresh for fifty requests"
    );

    // Requests that still carry the consumed refresh token get the same tokens.
    for _ in 0..5 {
        let response = reqwest::Client::new()
            .get(&url)
            .header(header::COOKIE, &old_cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.json::<Value>().await.unwrap()["access_token"],
            new_token
        );
    }
    assert_eq!(refreshes(&app).await, 2);
    let counts = provider().counts(&app.client_id).await;
    assert_eq!(
        count(&counts, &["grants", "refresh_token_error"]),
        0,
        "no consumed token was sent: {counts}"
    );

    // The session still works, through another refresh.
    app.clock.advance(70);
    let (status, body) = browser.json(&url).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(refreshes(&app).await, 3);
}

#[tokio::test]
async fn organization_tokens_for_members_only() {
    let app = TestApp::start("orgs").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;

    let (status, body) = browser
        .json(&app.url("/api/token?organization_id=org_acme"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let claims = jwt_claims(body["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], "urn:logto:organization:org_acme");
    let mut scopes: Vec<_> = body["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    scopes.sort_unstable();
    assert_eq!(
        scopes,
        ["invite:members", "read:members"],
        "demo is an admin of Acme"
    );

    let (status, body) = browser
        .json(&app.url("/api/token?organization_id=org_initech"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "access_denied");

    // The refused request consumed nothing: the session goes on.
    let (status, body) = browser
        .json(&app.url(&format!(
            "/api/token?resource={RESOURCE}&organization_id=org_globex"
        )))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let claims = jwt_claims(body["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], RESOURCE);
    assert_eq!(claims["organization_id"], "org_globex");
}

#[tokio::test]
async fn a_revoked_grant_signs_the_user_out_cleanly() {
    let app = TestApp::start("revoked").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    provider().revoke_grants(&app.client_id).await;
    let (status, body) = browser
        .json(&format!("{}&force_refresh=true", resource_token_url(&app)))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = browser.json(&app.url("/api/profile")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the session is gone");
}

#[tokio::test]
async fn an_unconfigured_resource_sends_no_request() {
    let app = TestApp::start("unconfigured").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let (status, body) = browser
        .json(&app.url("/api/token?resource=https://store.example.com/api"))
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"], "server_error", "{body}");
    assert!(
        !body.to_string().contains("store.example.com"),
        "the app's mistake is told in its log, not to the client: {body}"
    );
    let counts = provider().counts(&app.client_id).await;
    assert_eq!(
        count(&counts, &["token"]),
        1,
        "only the code exchange reached the token endpoint: {counts}"
    );
    // Positive control: a configured resource does reach it.
    let (status, _) = browser.json(&resource_token_url(&app)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        count(&provider().counts(&app.client_id).await, &["token"]),
        2
    );
}

#[tokio::test]
async fn force_refresh_picks_up_a_role_change() {
    let app = TestApp::start("roles").await;
    let username = format!("roles-{}", app.client_id);
    provider()
        .add_user(json!({"username": username, "password": "pw", "sub": format!("user_{username}"), "roles": ["reader"]}))
        .await;
    let browser = Browser::new();
    let hop = browser.sign_in(&app.base, &username, "pw").await;
    assert_eq!(hop.response.status(), StatusCode::SEE_OTHER);
    let (_, body) = browser.json(&resource_token_url(&app)).await;
    assert_eq!(body["scopes"], json!(["read"]));

    provider()
        .patch_user(&username, json!({"roles": ["editor"]}))
        .await;
    let (_, cached) = browser.json(&resource_token_url(&app)).await;
    assert_eq!(cached["scopes"], json!(["read"]), "cached until forced");
    let (_, forced) = browser
        .json(&format!("{}&force_refresh=true", resource_token_url(&app)))
        .await;
    assert_eq!(forced["scopes"], json!(["read", "write"]));
}

#[tokio::test]
async fn an_expired_id_token_is_renewed_by_the_refresh_token() {
    let app = TestApp::start_with("id-expiry", json!({"ttl": {"id_token": 120}}), |b| b).await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    assert_eq!(refreshes(&app).await, 0);
    app.clock.advance(130);
    let (_, home) = browser.json(&app.url("/")).await;
    assert_eq!(home["authenticated"], true);
    assert_eq!(home["sub"], "user_demo");
    assert_eq!(refreshes(&app).await, 1);
    let (_, home) = browser.json(&app.url("/")).await;
    assert_eq!(home["authenticated"], true);
    assert_eq!(refreshes(&app).await, 1, "the renewed ID token is kept");

    // Without a working refresh token, an expired ID token is a signed-out user.
    provider().revoke_grants(&app.client_id).await;
    app.clock.advance(130);
    let (_, home) = browser.json(&app.url("/")).await;
    assert_eq!(home["authenticated"], false);
}
