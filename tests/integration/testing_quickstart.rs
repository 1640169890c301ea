//! The quickstart's router tested with `logto::testing`, written as an app's author
//! would write the tests of their own app: no provider, no browser, `oneshot`.

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use logto::testing::TestAuth;
use logto_examples::app::{self, Auth};
use serde_json::{Value, json};
use tower::ServiceExt;

const API: &str = "https://shopping.example.com/api";

/// The app as `examples/quickstart.rs` builds it, on a client that trusts `auth`.
fn start() -> (TestAuth, Router) {
    let auth = TestAuth::with_builder::<Auth>(app::configure);
    let app = app::router(&auth.logto());
    (auth, app)
}

/// One request through the app's router: status and JSON body.
pub(crate) async fn send(
    app: &Router,
    request: axum::http::request::Builder,
) -> (StatusCode, Value) {
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// `GET path` with the session's cookie.
async fn get(app: &Router, path: &str, cookie: &str) -> (StatusCode, Value) {
    send(app, Request::get(path).header(header::COOKIE, cookie)).await
}

#[tokio::test]
async fn signed_out_the_api_answers_401() {
    let (_auth, app) = start();
    for path in ["/api/profile", "/api/userinfo", "/api/orders"] {
        let (status, body) = send(&app, Request::get(path)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(body["error"], "unauthorized", "{path}");
    }
}

#[tokio::test]
async fn the_profile_shows_the_id_token_claims_without_userinfo() {
    let (auth, app) = start();
    let alice = auth
        .user("user_alice")
        .email("alice@example.com")
        .organization_role("org_acme", "admin");
    let cookie = auth.session(&alice).cookie().await;
    let (status, body) = get(&app, "/api/profile", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["claims"]["email"], "alice@example.com");
    assert_eq!(body["claims"]["organizations"], json!(["org_acme"]));
    assert_eq!(auth.userinfo_requests(), 0);
}

#[tokio::test]
async fn userinfo_serves_custom_data() {
    let (auth, app) = start();
    let alice = auth.user("user_alice").custom_data(json!({"plan": "pro"}));
    let cookie = auth.session(&alice).cookie().await;
    let (status, body) = get(&app, "/api/userinfo", &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["claims"]["custom_data"], json!({"plan": "pro"}));
    assert_eq!(auth.userinfo_requests(), 1);
}

#[tokio::test]
async fn orders_need_the_read_scope() {
    let (auth, app) = start();
    let alice = auth.user("user_alice");
    let reader = auth.session(&alice).access_token(API, ["read"]);
    let reader = reader.cookie().await;
    let writer = auth.session(&alice).access_token(API, ["write"]);
    let writer = writer.cookie().await;
    let (status, _) = get(&app, "/api/orders", &reader).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(&app, "/api/orders", &writer).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The guard read each session's token from its cookie: one fetch each, at sign-in.
    assert_eq!(auth.refresh_requests(), 2);
}

#[tokio::test]
async fn bearer_tokens_expired_early_or_for_another_api_are_refused() {
    let (auth, app) = start();
    let alice = auth.user("user_alice");
    let read = || auth.access_token(&alice, API, ["read"]);
    let (ok, refused) = (StatusCode::OK, StatusCode::UNAUTHORIZED);
    for (token, status) in [
        (read(), ok),
        (read().expires_in(60), ok),
        (
            auth.access_token(&alice, API, ["write"]),
            StatusCode::FORBIDDEN,
        ),
        (read().expired(), refused),
        (read().not_before(3600), refused),
        (read().audience("https://other.example.com"), refused),
        (read().issuer("https://evil.example.com/oidc"), refused),
        (read().organization_id("org_acme"), refused),
    ] {
        let request = Request::get("/api/orders").header(header::AUTHORIZATION, token.bearer());
        assert_eq!(send(&app, request).await.0, status, "{token:?}");
    }
}

#[tokio::test]
async fn organization_tokens_for_members_only() {
    let (auth, app) = start();
    let alice = auth
        .user("user_alice")
        .organization_role("org_acme", "admin");
    let session = auth
        .session(&alice)
        .organization_token("org_acme", ["read:members"]);
    let cookie = session.cookie().await;
    let path = "/api/organization-token?organization_id=";
    let (status, body) = get(&app, &format!("{path}org_acme"), &cookie).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["scopes"], json!(["read:members"]));
    let (status, body) = get(&app, &format!("{path}org_globex"), &cookie).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "access_denied");
}

#[tokio::test]
async fn the_token_route_hands_the_sessions_token_to_the_page() {
    let (auth, app) = start();
    let alice = auth.user("user_alice");
    let cookie = auth
        .session(&alice)
        .access_token(API, ["read"])
        .cookie()
        .await;
    let request = Request::get(format!("/logto/token?resource={API}"))
        .header(header::COOKIE, cookie)
        .header("x-logto-token", "1");
    let (status, body) = send(&app, request).await;
    assert_eq!(
        (status, &body["scopes"]),
        (StatusCode::OK, &json!(["read"]))
    );
    let bearer = format!("Bearer {}", body["access_token"].as_str().unwrap());
    let orders = Request::get("/api/orders").header(header::AUTHORIZATION, bearer);
    assert_eq!(send(&app, orders).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_back_channel_logout_ends_the_session() {
    let (auth, app) = start();
    let session = auth.session(&auth.user("user_alice")).sign_in().await;
    let (status, _) = get(&app, "/api/profile", session.cookie()).await;
    assert_eq!(status, StatusCode::OK);
    let logout = auth.backchannel_logout_request(&session);
    let response = app.clone().oneshot(logout).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (status, _) = get(&app, "/api/profile", session.cookie()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
