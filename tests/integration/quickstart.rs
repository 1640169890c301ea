//! The quickstart's own router, served in-process: the guide's routes answer as the
//! issues specify, signed in and out.

pub(crate) use logto_examples::app;

use logto_test_support::{Browser, idp, unique_id};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::support::{SECRET, jwt_claims, provider, serve};

async fn start() -> (String, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let client_id = unique_id("quickstart");
    provider()
        .register_client(idp::client(&client_id, "test-secret", &base))
        .await;
    // As examples/quickstart.rs builds it (`app::configure`: the token route on).
    let logto = app::configure(logto::Logto::builder::<app::Auth>())
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

/// `/api/userinfo` and the userinfo card: the claims only the userinfo endpoint has.
#[tokio::test]
async fn userinfo_in_its_card_and_as_json() {
    let (base, _) = start().await;
    let browser = Browser::new();
    let url = |path: &str| format!("{base}{path}");

    let (status, body) = browser.json(&url("/api/userinfo")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "unauthorized");

    browser.sign_in_demo(&base).await;
    let (status, body) = browser.json(&url("/api/userinfo")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let claims = &body["claims"];
    assert_eq!(claims["sub"], "user_demo");
    assert_eq!(claims["custom_data"], json!({"plan": "pro", "seats": 3}));
    assert_eq!(claims["identities"]["github"]["userId"], "42");
    assert_eq!(
        claims["organization_data"],
        json!([
            {"id": "org_acme", "name": "Acme", "description": "Acme Corporation"},
            {"id": "org_globex", "name": "Globex", "description": null},
        ])
    );
    let home = browser.get(&url("/")).await.text().await.unwrap();
    let card = home
        .split("id=\"userinfo\"")
        .nth(1)
        .expect("a userinfo table")
        .split("</table>")
        .next()
        .unwrap();
    assert!(
        card.contains("custom_data") && card.contains("&quot;plan&quot;:&quot;pro&quot;"),
        "{card}"
    );
    assert!(card.contains("organization_data") && card.contains("Acme Corporation"));
}

/// The organization actions name only the user's organizations (issue 12, item 10):
/// none for a user without, one per membership otherwise, never `org_acme` by default.
#[tokio::test]
async fn organization_actions_only_for_the_users_organizations() {
    let (base, _) = start().await;
    let url = |path: &str| format!("{base}{path}");

    let demo = Browser::new();
    demo.sign_in_demo(&base).await;
    let home = demo.get(&url("/")).await.text().await.unwrap();
    for organization in ["org_acme", "org_globex"] {
        assert!(
            home.contains(&format!(
                "href=\"/api/organization-token?organization_id={organization}\""
            )),
            "{organization}: {home}"
        );
    }
    assert!(!home.contains("org_initech") && !home.contains("no-organizations"));

    let guest = Browser::new();
    let hop = guest.sign_in(&base, "guest", "guest-password").await;
    assert_eq!(hop.response.status(), StatusCode::SEE_OTHER);
    let home = guest.get(&url("/")).await.text().await.unwrap();
    assert!(home.contains("Hello, user_guest"), "{home}");
    assert!(home.contains("id=\"no-organizations\""), "{home}");
    assert!(
        !home.contains("organization-token") && !home.contains("org_acme"),
        "{home}"
    );
}

async fn orders(browser: &Browser, url: &str, bearer: Option<&str>) -> (StatusCode, String, Value) {
    let mut request = browser.http.get(url);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (
        status,
        challenge,
        response.json().await.unwrap_or(Value::Null),
    )
}

/// `/api/orders`, the guide's guarded route: 401 signed out, the orders for a session
/// or a bearer token with `read`, 403 `insufficient_scope` (RFC 6750) for a user
/// without a role, whose access token has no `scope` claim at all.
#[tokio::test]
async fn orders_are_guarded_by_the_read_scope() {
    let (base, _) = start().await;
    let url = format!("{base}/api/orders");

    let anonymous = Browser::new();
    let (status, challenge, body) = orders(&anonymous, &url, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(challenge, "Bearer");
    assert_eq!(body["error"], "unauthorized");

    let demo = Browser::new();
    demo.sign_in_demo(&base).await;
    let (status, _, body) = orders(&demo, &url, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["orders"][0]["id"], "order_1001");
    let (_, token) = demo.json(&format!("{base}/api/access-token")).await;
    let demo_token = token["access_token"].as_str().unwrap().to_owned();
    // The bearer alone, as the home page's script sends it.
    let (status, _, body) = orders(&Browser::new(), &url, Some(&demo_token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["orders"][1]["id"], "order_1002");

    let guest = Browser::new();
    let hop = guest.sign_in(&base, "guest", "guest-password").await;
    assert_eq!(hop.response.status(), StatusCode::SEE_OTHER);
    let (status, token) = guest.json(&format!("{base}/api/access-token")).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(token["scopes"], json!([]));
    let guest_token = token["access_token"].as_str().unwrap().to_owned();
    let claims = jwt_claims(&guest_token);
    assert_eq!(claims["aud"], "https://shopping.example.com/api");
    assert!(
        claims.get("scope").is_none(),
        "no scope claim at all, as on Logto: {claims}"
    );
    for (who, bearer) in [("session", None), ("bearer", Some(guest_token.as_str()))] {
        let browser = if bearer.is_some() { &anonymous } else { &guest };
        let (status, challenge, body) = orders(browser, &url, bearer).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {body}");
        assert_eq!(
            challenge, "Bearer error=\"insufficient_scope\", scope=\"read\"",
            "{who}"
        );
        assert_eq!(body["error"], "insufficient_scope", "{who}");
        assert_eq!(body["scope"], "read", "{who}");
        assert!(body.get("orders").is_none());
    }
}
