//! The guide's "test your application" checkpoint in a real browser: headless Debian
//! Chromium, driven through chromedriver, clicks through the quickstart example (the
//! real binary, `target/<profile>/examples/quickstart`) against the test provider.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian's `chromium` and
//! `chromium-driver`; `scripts/setup` installs them). Without them the tests fail and
//! say how to install them. On failure, a screenshot and the HTML of each tab and the
//! app's output are saved under `target/e2e-failures/`. With `LOGTO_E2E_SCREENSHOTS=1`,
//! the pages passed on the way are saved under `target/e2e-screenshots/`.

mod harness;

use anyhow::Context;
use base64::Engine;
use logto_test_support::idp::count;
use serde_json::Value;

use crate::support::provider;
use harness::{Browser, Quickstart, Step, ensure};

const RESOURCE: &str = "https://shopping.example.com/api";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_signs_in_reads_claims_gets_a_token_calls_the_api_and_signs_out() {
    let app = Quickstart::start("e2e-flow")
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    harness::run("sign-in-flow", &app, |browser| sign_in_flow(browser, &app)).await;
}

async fn sign_in_flow(browser: Browser, app: &Quickstart) -> Step {
    let endpoint = provider().endpoint.clone();
    let home = app.url("/");

    // Signed out: a Sign In button, nobody greeted.
    browser.goto(&home).await?;
    browser.wait_for("#sign-in").await?;
    ensure(!browser.is_present("#greeting").await?, || {
        "a greeting while signed out".into()
    })?;
    browser.snapshot("01-home-signed-out").await?;

    // Sign In leads to the provider's login form.
    browser.click("#sign-in").await?;
    browser.wait_for_at(&endpoint, "form#login").await?;
    browser.snapshot("02-provider-login").await?;
    browser
        .submit_login(&endpoint, "demo", "demo-password")
        .await?;

    // Back home, signed in, with the claims.
    let greeting = browser
        .wait_for_at(&home, "#greeting")
        .await?
        .text()
        .await
        .context("reading #greeting")?;
    ensure(greeting == "Hello, user_demo", || {
        format!("greeting: {greeting:?}")
    })?;
    ensure(browser.url().await? == home, || {
        "the callback did not land on the home page".into()
    })?;
    let claims = browser.claims_table().await?;
    ensure(claims["email"] == "demo@example.com", || {
        format!("no email in the claims table: {claims}")
    })?;
    ensure(claims["sub"] == "user_demo", || {
        format!("claims table: {claims}")
    })?;
    browser.snapshot("03-home-signed-in").await?;

    // The access-token action: a token for the configured resource.
    browser.click("#access-token").await?;
    browser
        .wait_for_at(&app.url("/api/access-token"), "pre")
        .await?;
    let token = browser.page_json().await?;
    browser.snapshot("04-access-token").await?;
    ensure(token["resource"] == RESOURCE, || {
        format!("token page: {token}")
    })?;
    let access_token = token["access_token"].as_str().unwrap_or_default();
    let audience = jwt_payload(access_token).map(|claims| claims["aud"].clone());
    ensure(audience == Some(Value::from(RESOURCE)), || {
        format!("the access token is not a JWT for {RESOURCE}: {token}")
    })?;

    // The userinfo card: claims only the userinfo endpoint has.
    browser.client.back().await.context("going back")?;
    let userinfo = browser.table("#userinfo").await?;
    ensure(
        userinfo["custom_data"]
            .as_str()
            .is_some_and(|data| data.contains("\"plan\":\"pro\"")),
        || format!("userinfo card: {userinfo}"),
    )?;
    ensure(
        userinfo["organization_data"]
            .as_str()
            .is_some_and(|data| data.contains("Acme Corporation")),
        || format!("userinfo card: {userinfo}"),
    )?;

    // The guarded route with the session, then from the page's script with a bearer
    // token from the token route and no cookies.
    browser.click("#orders").await?;
    browser.wait_for_at(&app.url("/api/orders"), "pre").await?;
    let orders = browser.page_json().await?;
    browser.snapshot("05-orders").await?;
    ensure(orders["orders"][0]["id"] == "order_1001", || {
        format!("/api/orders: {orders}")
    })?;
    browser.client.back().await.context("going back")?;
    browser.wait_for_at(&home, "#call-orders").await?;
    let (status, result) = call_orders(&browser).await?;
    browser.snapshot("06-orders-from-the-browser").await?;
    ensure(status == "200" && result.contains("order_1002"), || {
        format!("the page's script got {status}: {result}")
    })?;

    // Sign Out: through the provider's end-session page and home again.
    browser.wait_for_at(&home, "#sign-out").await?;
    browser.click("#sign-out").await?;
    browser.wait_for_at(&home, "#sign-in").await?;
    ensure(browser.url().await? == home, || {
        "sign-out did not come back to the home page".into()
    })?;
    ensure(!browser.is_present("#greeting").await?, || {
        "still greeted after signing out".into()
    })?;
    browser.snapshot("07-home-after-sign-out").await?;

    // The API no longer shows the claims.
    let (status, body) = browser.fetch_json("/api/profile").await?;
    ensure(status == 401 && body["error"] == "unauthorized", || {
        format!("/api/profile after sign-out: {status} {body}")
    })?;
    browser.goto(&app.url("/api/profile")).await?;
    let shown = browser.page_json().await?;
    ensure(
        shown.get("claims").is_none() && shown["error"].is_string(),
        || format!("/api/profile shows {shown}"),
    )?;

    // The provider's session ended too: Sign In shows its login form again.
    browser.goto(&home).await?;
    browser.click("#sign-in").await?;
    browser.wait_for_at(&endpoint, "form#login").await?;
    let counts = provider().counts(&app.client_id).await;
    ensure(
        count(&counts, &["end_session"]) >= 1 && count(&counts, &["login_page"]) == 2,
        || format!("provider counts: {counts}"),
    )?;

    // A user with no role and no organization: no organization action, and the
    // guarded route refuses both the session and the page's bearer token with 403.
    browser
        .submit_login(&endpoint, "guest", "guest-password")
        .await?;
    let greeting = browser
        .wait_for_at(&home, "#greeting")
        .await?
        .text()
        .await
        .context("reading #greeting")?;
    ensure(greeting == "Hello, user_guest", || {
        format!("greeting: {greeting:?}")
    })?;
    ensure(browser.is_present("#no-organizations").await?, || {
        "no word about organizations for a user without any".into()
    })?;
    ensure(!browser.is_present(".organization-token").await?, || {
        "an organization action for a user without organizations".into()
    })?;
    let (status, result) = call_orders(&browser).await?;
    browser.snapshot("08-guest-orders-from-the-browser").await?;
    ensure(
        status == "403" && result.contains("insufficient_scope"),
        || format!("the guest's script got {status}: {result}"),
    )?;
    browser.click("#orders").await?;
    browser.wait_for_at(&app.url("/api/orders"), "pre").await?;
    let refused = browser.page_json().await?;
    ensure(
        refused["error"] == "insufficient_scope" && refused["scope"] == "read",
        || format!("/api/orders for the guest: {refused}"),
    )?;
    Ok(())
}

/// Clicks the home page's "Call /api/orders from the browser" and returns the status
/// and the text its script shows.
async fn call_orders(browser: &Browser) -> Step<(String, String)> {
    browser.click("#call-orders").await?;
    let status = browser
        .wait_for_attribute("#orders-result", "data-status")
        .await?;
    let result = browser.text("#orders-result").await?;
    Ok((status, result))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_sign_in_at_once_and_both_complete() {
    let app = Quickstart::start("e2e-tabs")
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    harness::run("two-tabs", &app, |browser| two_tabs(browser, &app)).await;
}

async fn two_tabs(browser: Browser, app: &Quickstart) -> Step {
    let endpoint = provider().endpoint.clone();
    let home = app.url("/");
    let client = &browser.client;

    // Both tabs start signing in before either finishes.
    let first = client.window().await.context("the first tab")?;
    browser.goto(&home).await?;
    browser.click("#sign-in").await?;
    browser.wait_for_at(&endpoint, "form#login").await?;
    let second = client
        .new_window(true)
        .await
        .context("opening a second tab")?
        .handle;
    client
        .switch_to_window(second.clone())
        .await
        .context("switching to the second tab")?;
    browser.goto(&home).await?;
    browser.click("#sign-in").await?;
    browser.wait_for_at(&endpoint, "form#login").await?;

    // The first finishes, then the second: both land on the app signed in.
    client
        .switch_to_window(first.clone())
        .await
        .context("switching to the first tab")?;
    browser
        .submit_login(&endpoint, "demo", "demo-password")
        .await?;
    let greeting = browser
        .wait_for_at(&home, "#greeting")
        .await?
        .text()
        .await
        .context("reading #greeting")?;
    ensure(greeting == "Hello, user_demo", || {
        format!("first tab: {greeting:?}")
    })?;

    client
        .switch_to_window(second)
        .await
        .context("switching to the second tab")?;
    browser
        .submit_login(&endpoint, "demo", "demo-password")
        .await?;
    let greeting = browser
        .wait_for_at(&home, "#greeting")
        .await?
        .text()
        .await
        .context("reading #greeting")?;
    ensure(greeting == "Hello, user_demo", || {
        format!("second tab: {greeting:?}")
    })?;

    // Still signed in in the first one.
    client
        .switch_to_window(first)
        .await
        .context("switching to the first tab")?;
    browser
        .client
        .refresh()
        .await
        .context("reloading the first tab")?;
    browser.wait_for_at(&home, "#greeting").await?;
    let counts = provider().counts(&app.client_id).await;
    ensure(
        count(&counts, &["grants", "authorization_code"]) == 2,
        || format!("provider counts: {counts}"),
    )?;
    Ok(())
}

/// The payload of a JWT, unverified; `None` when it is not one.
fn jwt_payload(jwt: &str) -> Option<Value> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}
