//! Sign in, see who, sign out: the guide's checkpoint over HTTP.

use logto_test_support::{Browser, form_action, hidden_inputs, idp::count};
use reqwest::{StatusCode, header};
use serde_json::json;

use crate::support::{TestApp, provider};

#[tokio::test]
async fn sign_in_profile_and_sign_out() {
    let app = TestApp::start("flow").await;
    let browser = Browser::new();

    let (status, home) = browser.json(&app.url("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(home["authenticated"], false);
    let (status, body) = browser.json(&app.url("/api/profile")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "unauthorized");

    let callback = browser.sign_in_demo(&app.base).await;
    assert_eq!(callback.response.headers()[header::LOCATION], "/");
    let (_, home) = browser.json(&app.url("/")).await;
    assert_eq!(home["authenticated"], true);
    assert_eq!(home["sub"], "user_demo");
    let (status, profile) = browser.json(&app.url("/api/profile")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(profile["claims"]["sub"], "user_demo");
    assert_eq!(profile["claims"]["email"], "demo@example.com");
    // Logto's millisecond timestamps arrive untouched.
    assert_eq!(profile["claims"]["created_at"], 1_700_000_000_123_i64);

    // What the SDK asked for, as Logto's SDKs ask.
    let auth = provider().last_auth(&app.client_id).await;
    let scopes: Vec<&str> = auth["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(scopes[..3], ["openid", "offline_access", "profile"]);
    assert!(scopes.contains(&"email") && scopes.contains(&"read"));
    assert_eq!(auth["prompt"], "consent");
    assert_eq!(auth["code_challenge_method"], "S256");
    assert!(auth["nonce"].as_str().is_some_and(|n| n.len() >= 16));
    let resources: Vec<&str> = auth["resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        resources,
        [
            "https://shopping.example.com/api",
            "urn:logto:resource:organizations"
        ]
    );

    // A GET never signs out.
    assert_eq!(
        browser.get(&app.url("/sign-out")).await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    let (status, _) = browser.json(&app.url("/api/profile")).await;
    assert_eq!(status, StatusCode::OK);

    let response = browser.sign_out(&app.base).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let end_session = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let url = reqwest::Url::parse(&end_session).unwrap();
    assert_eq!(url.path(), "/oidc/session/end");
    let params: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(params["client_id"], app.client_id);
    assert_eq!(params["post_logout_redirect_uri"], format!("{}/", app.base));
    assert!(params.contains_key("id_token_hint"));
    assert!(
        !browser
            .cookie_names(&app.base)
            .iter()
            .any(|n| n.starts_with("logto_")),
        "the session cookie is deleted"
    );
    let (status, _) = browser.json(&app.url("/api/profile")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The provider's confirmation form, posted as Logto's page posts it.
    let html = browser.get(&end_session).await.text().await.unwrap();
    let action = form_action(&html, "logout").unwrap();
    let response = browser
        .http
        .post(&action)
        .form(&hidden_inputs(&html))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION].to_str().unwrap(),
        format!("{}/", app.base)
    );

    let counts = provider().counts(&app.client_id).await;
    assert_eq!(
        count(&counts, &["revocation"]),
        1,
        "the refresh token was revoked: {counts}"
    );
    assert_eq!(count(&counts, &["grants", "authorization_code"]), 1);

    // The provider's session ended too: signing in again shows the form.
    let form = browser.open_login_form(&app.url("/sign-in")).await;
    assert!(form.response.text().await.unwrap().contains("id=\"login\""));
}

#[tokio::test]
async fn sign_in_lands_on_the_post_redirect_path_and_never_elsewhere() {
    let app = TestApp::start("redirect").await;
    let browser = Browser::new();
    let form = browser
        .open_login_form(&app.url("/sign-in?post_redirect_uri=/orders%3Fid%3D7"))
        .await;
    let callback = browser
        .submit_login(form, "demo", "demo-password", &app.base)
        .await;
    let response = browser.get(&callback).await;
    assert_eq!(response.headers()[header::LOCATION], "/orders?id=7");

    for evil in [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let browser = Browser::new();
        let url = app.url(&format!("/sign-in?post_redirect_uri={}", urlencode(evil)));
        let form = browser.open_login_form(&url).await;
        let callback = browser
            .submit_login(form, "demo", "demo-password", &app.base)
            .await;
        let response = browser.get(&callback).await;
        assert_eq!(response.headers()[header::LOCATION], "/", "{evil}");
    }
}

#[tokio::test]
async fn a_sign_in_that_names_no_page_lands_on_the_post_sign_in_path() {
    let app = TestApp::start_with("landing", json!({}), |b| b.post_sign_in_path("/orders")).await;
    // No target, and a refused one: both land on the configured path, not on `/`.
    for url in [
        app.url("/sign-in"),
        app.url(&format!(
            "/sign-in?post_redirect_uri={}",
            urlencode("//evil.example/x")
        )),
    ] {
        let browser = Browser::new();
        let form = browser.open_login_form(&url).await;
        let callback = browser
            .submit_login(form, "demo", "demo-password", &app.base)
            .await;
        let response = browser.get(&callback).await;
        assert_eq!(response.headers()[header::LOCATION], "/orders", "{url}");
        let landing = browser.get(&app.url("/orders")).await;
        assert_eq!(landing.text().await.unwrap(), "orders");
    }
    // A target the sign-in names still wins.
    let browser = Browser::new();
    let form = browser
        .open_login_form(&app.url("/sign-in?post_redirect_uri=/page"))
        .await;
    let callback = browser
        .submit_login(form, "demo", "demo-password", &app.base)
        .await;
    let response = browser.get(&callback).await;
    assert_eq!(response.headers()[header::LOCATION], "/page");
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn two_tabs_signing_in_at_once_both_succeed() {
    let app = TestApp::start("tabs").await;
    let browser = Browser::new();
    let first = browser.open_login_form(&app.url("/sign-in")).await;
    let second = browser
        .open_login_form(&app.url("/sign-in?post_redirect_uri=/orders"))
        .await;
    let second_callback = browser
        .submit_login(second, "demo", "demo-password", &app.base)
        .await;
    let first_callback = browser
        .submit_login(first, "demo", "demo-password", &app.base)
        .await;
    let response = browser.get(&second_callback).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/orders");
    let response = browser.get(&first_callback).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/");
    let (_, home) = browser.json(&app.url("/")).await;
    assert_eq!(home["sub"], "user_demo");
}

#[tokio::test]
async fn a_page_redirects_to_sign_in_and_back() {
    let app = TestApp::start("page").await;
    let browser = Browser::new();
    let response = browser.get(&app.url("/page?x=1")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(location, "/sign-in?post_redirect_uri=%2Fpage%3Fx%3D1");
    let form = browser.open_login_form(&app.url(&location)).await;
    let callback = browser
        .submit_login(form, "demo", "demo-password", &app.base)
        .await;
    let response = browser.get(&callback).await;
    assert_eq!(response.headers()[header::LOCATION], "/page?x=1");
    let page = browser
        .get(&app.url("/page?x=1"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(page, "Hello, user_demo");
}

#[tokio::test]
async fn a_cross_site_sign_out_is_refused_and_the_session_kept() {
    let app = TestApp::start("csrf").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let response = browser
        .http
        .post(app.url("/sign-out"))
        .header(header::ORIGIN, "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = browser
        .http
        .post(app.url("/sign-out"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let (status, _) = browser.json(&app.url("/api/profile")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn sign_in_options_set_in_code_reach_the_provider_and_the_query_cannot_add_any() {
    let options = logto::SignInOptions::new()
        .first_screen("identifier:register")
        .identifiers(["email", "username"])
        .direct_sign_in("social:github")
        .login_hint("demo@example.com")
        .extra_param("ui_locales", "fr");
    let app = TestApp::start_with("options", serde_json::json!({}), |b| {
        b.sign_in_options(options)
    })
    .await;
    let browser = Browser::new();
    let url = app.url("/sign-in?post_redirect_uri=/orders&prompt=none&first_screen=reset_password");
    browser.open_login_form(&url).await;
    let auth = provider().last_auth(&app.client_id).await;
    assert_eq!(auth["first_screen"], "identifier:register", "{auth}");
    assert_eq!(auth["identifier"], "email username");
    assert_eq!(auth["direct_sign_in"], "social:github");
    assert_eq!(auth["login_hint"], "demo@example.com");
    assert_eq!(auth["ui_locales"], "fr");
    assert_eq!(
        auth["prompt"], "consent",
        "the query string sets no option but the way back"
    );
}
