//! A provider that is down, stalls or answers garbage: a clear status, never a hang.

use std::time::{Duration, Instant};

use axum::{Router, routing::get};
use logto_test_support::Browser;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{SECRET, TestApp, TestAuth, app, provider, serve};

async fn app_for_endpoint(endpoint: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let logto = logto::Logto::builder::<TestAuth>()
        .endpoint(endpoint)
        .app_id("unreachable")
        .app_secret("secret")
        .base_url(&base)
        .cookie_secret(SECRET)
        .http_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    serve(listener, app(&logto));
    base
}

#[tokio::test]
async fn a_closed_port_is_503() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let base = app_for_endpoint(&endpoint).await;
    let response = Browser::new().get(&format!("{base}/sign-in")).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let page = response.text().await.unwrap();
    assert!(page.contains("unreachable"), "{page}");
    for detail in [
        endpoint.as_str(),
        "http://",
        "os error",
        "error sending request",
    ] {
        assert!(!page.contains(detail), "the page shows `{detail}`: {page}");
    }
}

#[tokio::test]
async fn a_provider_that_never_answers_is_504_within_the_timeout() {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut connections = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            connections.push(socket);
        }
    });
    let base = app_for_endpoint(&endpoint).await;
    let started = Instant::now();
    let response = Browser::new().get(&format!("{base}/sign-in")).await;
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "bounded by the timeout"
    );
    held.abort();
}

#[tokio::test]
async fn a_garbage_discovery_document_is_502() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    serve(
        listener,
        Router::new().route(
            "/oidc/.well-known/openid-configuration",
            get(|| async { "{\"issuer\": 42}" }),
        ),
    );
    let base = app_for_endpoint(&endpoint).await;
    let response = Browser::new().get(&format!("{base}/sign-in")).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
}

#[tokio::test]
async fn a_token_endpoint_that_stalls_is_504_and_creates_no_session() {
    let app = TestApp::start_with("stall", json!({}), |b| {
        b.http_timeout(Duration::from_millis(800))
    })
    .await;
    provider()
        .tamper(&app.client_id, json!({"stall_token_endpoint": true}))
        .await;
    let browser = Browser::new();
    let form = browser.open_login_form(&app.url("/sign-in")).await;
    let callback = browser
        .submit_login(form, "demo", "demo-password", &app.base)
        .await;
    let response = browser.get(&callback).await;
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    let (status, _) = browser.json(&app.url("/api/profile")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
