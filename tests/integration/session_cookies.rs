//! The encrypted cookie session: tampering, secrets, rotation, size.

use logto_test_support::Browser;
use reqwest::{StatusCode, header};
use serde_json::json;

use crate::support::{SECRET, TestApp, provider, serve};

/// Serves the same client with other secrets, to read cookies made by `app`.
async fn twin(app: &TestApp, secret: &str, old: Option<&str>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut builder = logto::Logto::builder::<crate::support::TestAuth>()
        .endpoint(&provider().endpoint)
        .app_id(&app.client_id)
        .app_secret("test-secret")
        .base_url(&app.base)
        .cookie_secret(secret);
    if let Some(old) = old {
        builder = builder.old_cookie_secret(old);
    }
    serve(listener, crate::support::app(&builder.build().unwrap()));
    base
}

async fn profile_with(base: &str, cookies: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{base}/api/profile"))
        .header(header::COOKIE, cookies)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_tampered_cookie_is_a_signed_out_user_and_is_cleared() {
    let app = TestApp::start("tamper-cookie").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let cookies = browser.cookie_header(&app.base);
    assert_eq!(
        profile_with(&app.base, &cookies).await.status(),
        StatusCode::OK
    );

    // Flip one character inside the sealed value.
    let (name, value) = cookies.split_once('=').unwrap();
    let mut bytes = value.as_bytes().to_vec();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{name}={}", String::from_utf8(bytes).unwrap());
    let response = profile_with(&app.base, &tampered).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let cleared: Vec<_> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with(&format!("{name}=;")) && c.contains("Max-Age=0")),
        "the bad cookie is cleared: {cleared:?}"
    );
    for garbage in ["garbage", "v1.", "v1.!!!!", ""] {
        let response = profile_with(&app.base, &format!("{name}={garbage}")).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{garbage}");
    }
}

#[tokio::test]
async fn another_secret_cannot_read_the_cookie_but_a_rotated_one_can() {
    let app = TestApp::start("secrets").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let cookies = browser.cookie_header(&app.base);

    let stranger = twin(&app, "a-completely-different-secret-of-32-chars", None).await;
    assert_eq!(
        profile_with(&stranger, &cookies).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let rotated = twin(
        &app,
        "the-new-secret-after-rotation-32-chars-long",
        Some(SECRET),
    )
    .await;
    assert_eq!(
        profile_with(&rotated, &cookies).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_session_larger_than_a_cookie_is_split_and_cleared_whole() {
    let app = TestApp::start("large").await;
    let username = format!("large-{}", app.client_id);
    provider()
        .add_user(json!({
            "username": username,
            "password": "pw",
            "sub": format!("user_{username}"),
            // A name of 2 500 bytes that no packing shortens (base64url text would be
            // packed): more than one cookie, within the 7 000-byte budget.
            "claims": { "name": "N ".repeat(1250), "email": "large@example.com", "email_verified": true },
            "roles": ["reader"],
        }))
        .await;
    let browser = Browser::new();
    let hop = browser.sign_in(&app.base, &username, "pw").await;
    assert_eq!(hop.response.status(), StatusCode::SEE_OTHER);
    let names = browser.cookie_names(&app.base);
    let chunks: Vec<_> = names
        .iter()
        .filter(|n| n.starts_with("logto_") && n.contains('.'))
        .collect();
    assert!(chunks.len() >= 2, "the session is split: {names:?}");
    for header in hop.response.headers().get_all(header::SET_COOKIE) {
        assert!(header.len() < 4096, "every cookie fits a browser's limit");
    }
    let (status, profile) = browser.json(&app.url("/api/profile")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(profile["claims"]["name"].as_str().map(str::len), Some(2500));

    let response = browser.sign_out(&app.base).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let left: Vec<_> = browser
        .cookie_names(&app.base)
        .into_iter()
        .filter(|n| n.starts_with("logto_"))
        .collect();
    assert!(left.is_empty(), "every chunk is cleared: {left:?}");
}

#[tokio::test]
async fn a_session_beyond_the_cookie_budget_is_refused_at_sign_in_not_lost_later() {
    let app = TestApp::start("too-large").await;
    let username = format!("huge-{}", app.client_id);
    provider()
        .add_user(json!({
            "username": username,
            "password": "pw",
            "sub": format!("user_{username}"),
            "claims": { "name": "N ".repeat(3000) },
        }))
        .await;
    let browser = Browser::new();
    let hop = browser.sign_in(&app.base, &username, "pw").await;
    assert_eq!(hop.response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let page = hop.response.text().await.unwrap();
    assert!(page.contains("too large"), "{page}");
    let names = browser.cookie_names(&app.base);
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("logto_") && !n.contains("_signin")),
        "no session cookie: {names:?}"
    );
}

#[tokio::test]
async fn session_cookies_are_http_only_lax_and_scoped_to_the_site() {
    let app = TestApp::start("attrs").await;
    let browser = Browser::new();
    let hop = browser.sign_in_demo(&app.base).await;
    let set: Vec<_> = hop
        .response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = set
        .iter()
        .find(|c| c.starts_with("logto_") && !c.contains("_signin"))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=1209600"] {
        assert!(session.contains(attribute), "{attribute} in {session}");
    }
    assert!(!session.contains("Secure"), "no Secure on an http base URL");
    assert_eq!(hop.response.headers()[header::CACHE_CONTROL], "no-store");
}
