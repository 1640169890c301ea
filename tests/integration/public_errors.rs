//! What a client is told when the provider or the store fails: the status says who
//! failed, the body says what happened, and neither the provider's URL, a transport
//! error, the provider's own words nor the store's message ever reaches it. A refusal
//! of the provider is the client's concern only where it is mapped on purpose.

use std::time::Duration;

use logto_test_support::Browser;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{RESOURCE, TestApp, provider};

/// Distinctive words the tampered provider sends, which must never be repeated.
const PROVIDER_WORDS: &str = "PROVIDER-WORDS-6c1d";

/// Text no error body may contain.
fn leaks(body: &str) -> Vec<String> {
    let endpoint = provider().endpoint.clone();
    [
        endpoint.as_str(),
        "127.0.0.2",
        "http://",
        "https://",
        PROVIDER_WORDS,
        "os error",
        "error sending request",
    ]
    .into_iter()
    .filter(|secret| body.contains(secret))
    .map(str::to_owned)
    .collect()
}

fn assert_no_leaks(what: &str, body: &str) {
    let found = leaks(body);
    assert!(found.is_empty(), "{what}: the body shows {found:?}: {body}");
}

fn force_refresh_url(app: &TestApp) -> String {
    app.url(&format!(
        "/api/token?resource={RESOURCE}&force_refresh=true"
    ))
}

async fn get_text(browser: &Browser, url: &str) -> (StatusCode, String) {
    let response = browser.get(url).await;
    (response.status(), response.text().await.unwrap_or_default())
}

fn refusal(code: &str) -> Value {
    let body = json!({
        "error": code,
        "error_description": format!("{PROVIDER_WORDS}: client authentication failed"),
        "error_uri": format!("{}/docs/{PROVIDER_WORDS}", provider().endpoint),
    });
    json!({ "token_error_body": body.to_string() })
}

#[tokio::test]
async fn token_refusals_not_mapped_on_purpose_are_502() {
    let app = TestApp::start("refusals").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;

    for code in [
        "invalid_client",
        "mac_error",
        "invalid_target",
        "invalid_request",
    ] {
        provider().tamper(&app.client_id, refusal(code)).await;
        let (status, body) = get_text(&browser, &force_refresh_url(&app)).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "`{code}`: {body}");
        let value: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        assert_eq!(value["error"], "provider_error", "`{code}`: {body}");
        assert!(
            !body.contains(code),
            "the provider's code is not ours: {body}"
        );
        assert_no_leaks(code, &body);
    }

    // Nothing was consumed: the session goes on once the provider answers again.
    provider().tamper(&app.client_id, json!({})).await;
    let (status, body) = get_text(&browser, &force_refresh_url(&app)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Mapped on purpose: an expired or revoked refresh token signs the user out.
    provider()
        .tamper(&app.client_id, refusal("invalid_grant"))
        .await;
    let (status, body) = get_text(&browser, &force_refresh_url(&app)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_no_leaks("invalid_grant", &body);
    let (status, _) = browser.json(&app.url("/api/profile")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out");
}

/// Signs in up to the callback, which is returned unvisited.
async fn callback_url(browser: &Browser, app: &TestApp) -> String {
    let form = browser.open_login_form(&app.url("/sign-in")).await;
    browser
        .submit_login(form, "demo", "demo-password", &app.base)
        .await
}

#[tokio::test]
async fn a_refused_code_exchange_is_502_unless_the_code_is_spent() {
    let app = TestApp::start("exchange-refused").await;

    let browser = Browser::new();
    let callback = callback_url(&browser, &app).await;
    provider()
        .tamper(&app.client_id, refusal("invalid_client"))
        .await;
    let (status, page) = get_text(&browser, &callback).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{page}");
    assert!(page.contains("refused the request"), "{page}");
    assert_no_leaks("invalid_client at the callback", &page);

    // An expired or consumed code: the user signs in again (400, not the provider's).
    provider().tamper(&app.client_id, json!({})).await;
    let browser = Browser::new();
    let callback = callback_url(&browser, &app).await;
    provider()
        .tamper(&app.client_id, refusal("invalid_grant"))
        .await;
    let (status, page) = get_text(&browser, &callback).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("sign in again"), "{page}");
    assert_no_leaks("invalid_grant at the callback", &page);
}

#[tokio::test]
async fn a_stalled_or_garbled_token_endpoint_is_named_not_shown() {
    let app = TestApp::start_with("stall-json", json!({}), |b| {
        b.http_timeout(Duration::from_millis(800))
    })
    .await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;

    provider()
        .tamper(&app.client_id, json!({"stall_token_endpoint": true}))
        .await;
    let (status, body) = get_text(&browser, &force_refresh_url(&app)).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    assert!(body.contains("did not answer in time"), "{body}");
    assert_no_leaks("stalled", &body);

    provider()
        .tamper(
            &app.client_id,
            json!({"token_response_body": format!("<html>{PROVIDER_WORDS}</html>")}),
        )
        .await;
    let (status, body) = get_text(&browser, &force_refresh_url(&app)).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert!(body.contains("invalid answer"), "{body}");
    assert_no_leaks("garbled", &body);
}

#[tokio::test]
async fn a_garbled_callback_page_names_the_failure_only() {
    let app = TestApp::start("garbled-page").await;
    let browser = Browser::new();
    let callback = callback_url(&browser, &app).await;
    provider()
        .tamper(
            &app.client_id,
            json!({"id_token_claims": {"iss": format!("{}/{PROVIDER_WORDS}", provider().endpoint)}}),
        )
        .await;
    let (status, page) = get_text(&browser, &callback).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{page}");
    assert!(page.contains("ID token is invalid"), "{page}");
    assert_no_leaks("foreign issuer", &page);
}
