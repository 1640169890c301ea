//! The quickstart's own router, served in-process: the guide's routes answer as the
//! issues specify, signed in and out.

#[path = "../../examples/support/app.rs"]
pub(crate) mod app;

use logto_test_support::{Browser, idp, unique_id};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::{SECRET, provider, serve};

async fn start() -> (String, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let client_id = unique_id("quickstart");
    provider()
        .register_client(idp::client(&client_id, "test-secret", &base))
        .await;
    let logto = logto::Logto::builder::<app::Auth>()
        .endpoint(&provider().endpoint)
        .app_id(&client_id)
        .app_secret("test-secret")
        .base_url(&base)
        .cookie_secret(SECRET)
        .build()
        .unwrap();
    serve(listener, app::router(&logto));
    (base, client_id)
}

#[tokio::test]
async fn the_quickstart_routes() {
    let (base, _) = start().await;
    let browser = Browser::new();
    let url = |path: &str| format!("{base}{path}");

    for path in [
        "/api/profile",
        "/api/access-token",
        "/api/organization-token?organization_id=org_acme",
    ] {
        let (status, body) = browser.json(&url(path)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
        assert_eq!(body["error"], "unauthorized", "{path}");
    }
    let home = browser.get(&url("/")).await.text().await.unwrap();
    assert!(
        home.contains("id=\"sign-in\""),
        "signed out, the home page offers Sign In"
    );

    let form = browser.open_login_form(&url("/sign-in")).await;
    let callback = browser
        .submit_login(form, "demo", "demo-password", &base)
        .await;
    assert_eq!(browser.get(&callback).await.status(), StatusCode::SEE_OTHER);

    let home = browser.get(&url("/")).await.text().await.unwrap();
    assert!(
        home.contains("Hello, user_demo") && home.contains("demo@example.com"),
        "{home}"
    );
    let (status, profile) = browser.json(&url("/api/profile")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(profile["claims"]["sub"], "user_demo");
    assert_eq!(
        profile["claims"]["organization_roles"],
        json!(["org_acme:admin", "org_globex:member"])
    );

    let (status, token) = browser.json(&url("/api/access-token")).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["resource"], "https://shopping.example.com/api");
    assert_eq!(token["scopes"], json!(["read"]));
    let (status, forced) = browser
        .json(&url("/api/access-token?force_refresh=true"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(
        forced["access_token"], token["access_token"],
        "a forced refresh gets a new token"
    );

    let (status, body) = browser.json(&url("/api/organization-token")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = browser
        .json(&url("/api/organization-token?organization_id=org_initech"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = browser
        .json(&url("/api/organization-token?organization_id=org_acme"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["organization_id"], "org_acme");
    assert_eq!(
        body["scopes"],
        json!(["read:members"]),
        "only what the quickstart requests"
    );
}
