//! Callbacks that must be refused, each with its exact status, and never a session.

use logto_test_support::{Browser, idp::count};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, provider};

fn has_session(browser: &Browser, app: &TestApp) -> bool {
    let name = format!(
        "logto_{}",
        app.client_id.replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_',
            "_"
        )
    );
    browser
        .cookie_names(&app.base)
        .iter()
        .any(|n| *n == name || n.starts_with(&format!("{name}.")))
}

/// Signs in up to the callback, which is returned unvisited.
async fn callback_url(browser: &Browser, app: &TestApp) -> String {
    let form = browser.open_login_form(&app.url("/sign-in")).await;
    browser
        .submit_login(form, "demo", "demo-password", &app.base)
        .await
}

fn with_param(url: &str, name: &str, value: Option<&str>) -> String {
    let mut url = reqwest::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != name)
        .collect();
    {
        let mut query = url.query_pairs_mut();
        query.clear();
        for (k, v) in &pairs {
            query.append_pair(k, v);
        }
        if let Some(value) = value {
            query.append_pair(name, value);
        }
    }
    url.to_string()
}

async fn assert_refused(
    browser: &Browser,
    app: &TestApp,
    url: &str,
    status: StatusCode,
    reason: &str,
) {
    let response = browser.get(url).await;
    assert_eq!(response.status(), status, "{url}");
    let page = response.text().await.unwrap();
    assert!(
        page.contains(reason),
        "the page says why ({reason}): {page}"
    );
    assert!(
        !page.contains(&provider().endpoint) && !page.contains("http://"),
        "the details are the log's, not the page's: {page}"
    );
    assert!(
        !has_session(browser, app),
        "no session after a refused callback"
    );
}

#[tokio::test]
async fn state_missing_mismatched_or_replayed_is_400() {
    let app = TestApp::start("state").await;
    let browser = Browser::new();
    let callback = callback_url(&browser, &app).await;

    assert_refused(
        &browser,
        &app,
        &with_param(&callback, "state", None),
        StatusCode::BAD_REQUEST,
        "no <code>state</code>",
    )
    .await;
    assert_refused(
        &browser,
        &app,
        &with_param(&callback, "state", Some("forged")),
        StatusCode::BAD_REQUEST,
        "No sign-in in progress",
    )
    .await;

    // The real one still works once, then never again, in this browser or another.
    let response = browser.get(&callback).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(has_session(&browser, &app));
    let response = browser.get(&callback).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let attacker = Browser::new();
    assert_refused(
        &attacker,
        &app,
        &callback,
        StatusCode::BAD_REQUEST,
        "No sign-in in progress",
    )
    .await;
    let counts = provider().counts(&app.client_id).await;
    assert_eq!(
        count(&counts, &["grants", "authorization_code"]),
        1,
        "a refused callback never reaches the token endpoint"
    );
}

#[tokio::test]
async fn provider_error_missing_code_and_foreign_issuer_are_400() {
    let app = TestApp::start("cb-errors").await;
    // A fresh browser each time: the provider's own session would skip its form.
    let browser = Browser::new();
    let callback = callback_url(&browser, &app).await;
    let denied = with_param(
        &with_param(&callback, "code", None),
        "error",
        Some("access_denied"),
    );
    let denied = with_param(&denied, "error_description", Some("the user said no"));
    assert_refused(
        &browser,
        &app,
        &denied,
        StatusCode::BAD_REQUEST,
        "cancelled or refused at the provider (<code>access_denied</code>)",
    )
    .await;
    // The description is anyone's text in a URL: the page does not repeat it.
    let page = browser.get(&denied).await.text().await.unwrap();
    assert!(!page.contains("the user said no"), "{page}");
    // The transaction was used up by the error: the real code no longer works.
    assert_eq!(
        browser.get(&callback).await.status(),
        StatusCode::BAD_REQUEST
    );

    let browser = Browser::new();
    let callback = callback_url(&browser, &app).await;
    assert_refused(
        &browser,
        &app,
        &with_param(&callback, "code", None),
        StatusCode::BAD_REQUEST,
        "no <code>code</code>",
    )
    .await;

    let browser = Browser::new();
    let callback = callback_url(&browser, &app).await;
    assert_refused(
        &browser,
        &app,
        &with_param(&callback, "iss", Some("http://evil.example/oidc")),
        StatusCode::BAD_REQUEST,
        "RFC 9207",
    )
    .await;
    let browser = Browser::new();
    let callback = callback_url(&browser, &app).await;
    assert_refused(
        &browser,
        &app,
        &with_param(&callback, "iss", None),
        StatusCode::BAD_REQUEST,
        "RFC 9207",
    )
    .await;

    let counts = provider().counts(&app.client_id).await;
    assert_eq!(
        count(&counts, &["token"]),
        0,
        "no code exchange for a refused callback: {counts}"
    );
    // Positive control: the same app signs in.
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    assert!(has_session(&browser, &app));
}

async fn tampered_sign_in(name: &str, switches: serde_json::Value, reason: &str) {
    let app = TestApp::start(name).await;
    provider().tamper(&app.client_id, switches).await;
    let browser = Browser::new();
    let callback = callback_url(&browser, &app).await;
    assert_refused(&browser, &app, &callback, StatusCode::BAD_GATEWAY, reason).await;
}

#[tokio::test]
async fn id_token_with_a_wrong_nonce_is_502() {
    tampered_sign_in(
        "nonce",
        json!({"id_token_claims": {"nonce": "evil"}}),
        "ID token is invalid",
    )
    .await;
}

#[tokio::test]
async fn id_token_for_another_audience_is_502() {
    tampered_sign_in(
        "aud",
        json!({"id_token_claims": {"aud": "someone-else"}}),
        "ID token is invalid",
    )
    .await;
}

#[tokio::test]
async fn id_token_from_another_issuer_is_502() {
    tampered_sign_in(
        "iss",
        json!({"id_token_claims": {"iss": "http://evil.example/oidc"}}),
        "ID token is invalid",
    )
    .await;
}

#[tokio::test]
async fn expired_id_token_is_502() {
    tampered_sign_in(
        "exp",
        json!({"id_token_claims": {"exp": 1_000_000_000}}),
        "ID token is invalid",
    )
    .await;
}

#[tokio::test]
async fn id_token_signed_by_a_foreign_key_is_502() {
    tampered_sign_in(
        "foreign",
        json!({"id_token_sign_with_foreign_key": "same_kid"}),
        "ID token is invalid",
    )
    .await;
}

#[tokio::test]
async fn id_token_with_an_unknown_key_id_refetches_the_keys_once_then_is_502() {
    let before = count(&provider().global_counts().await, &["jwks"]);
    tampered_sign_in(
        "new-kid",
        json!({"id_token_sign_with_foreign_key": "new_kid"}),
        "ID token is invalid",
    )
    .await;
    let after = count(&provider().global_counts().await, &["jwks"]);
    // One fetch at discovery, one for the unknown kid (other tests may add theirs).
    assert!(
        after >= before + 2,
        "the JWKS was fetched again for the unknown kid ({before} -> {after})"
    );
}

#[tokio::test]
async fn a_malformed_token_response_is_502() {
    tampered_sign_in(
        "garbage",
        json!({"token_response_body": "<html>not json</html>"}),
        "invalid answer",
    )
    .await;
}

#[tokio::test]
async fn an_oversized_token_response_is_502_not_a_memory_hog() {
    let body = "x".repeat(2 << 20);
    tampered_sign_in(
        "huge",
        json!({"token_response_body": body}),
        "invalid answer",
    )
    .await;
}

#[tokio::test]
async fn id_token_for_another_authorized_party_is_502() {
    tampered_sign_in(
        "azp",
        json!({"id_token_claims": {"azp": "someone-else"}}),
        "ID token is invalid",
    )
    .await;
}

#[tokio::test]
async fn id_token_not_valid_yet_is_502() {
    tampered_sign_in(
        "nbf",
        json!({"id_token_claims": {"nbf": 4_102_444_800_u64}}),
        "ID token is invalid",
    )
    .await;
}

#[tokio::test]
async fn a_token_response_of_another_token_type_is_502() {
    tampered_sign_in(
        "mac",
        json!({"token_response_fields": {"token_type": "mac"}}),
        "invalid answer",
    )
    .await;
}

#[tokio::test]
async fn an_error_for_a_sign_in_nobody_started_is_not_shown() {
    let app = TestApp::start("cb-unsolicited").await;
    let browser = Browser::new();
    for query in [
        "error=access_denied&error_description=Call+evil.example+now&state=forged",
        "error=access_denied&error_description=Call+evil.example+now",
    ] {
        let response = browser.get(&app.url(&format!("/callback?{query}"))).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        let page = response.text().await.unwrap();
        assert!(!page.contains("evil.example"), "{query}: {page}");
        assert!(!page.contains("access_denied"), "{query}: {page}");
    }
    // The same error for a sign-in this browser started is the provider's to tell.
    browser.follow(&app.url("/sign-in")).await;
    let auth = provider().last_auth(&app.client_id).await;
    let state = auth["state"].as_str().expect("the provider saw a state");
    let response = browser
        .get(&app.url(&format!(
            "/callback?error=access_denied&error_description=cancelled&state={state}"
        )))
        .await;
    assert!(response.status().is_client_error());
    assert!(response.text().await.unwrap().contains("access_denied"));
}
