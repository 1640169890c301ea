//! `logto::testing` itself: what the in-process issuer covers (refreshes that succeed
//! and fail, store mode, back-channel logout, organization-scoped tokens, the
//! redirect to sign-in, another issuer's tokens, a real socket), on the test app of
//! `support.rs`.

use std::time::Duration;

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use logto::{MemoryStore, testing::TestAuth};
use serde_json::Value;
use tower::ServiceExt;

use crate::{
    support::{self, RESOURCE},
    testing_quickstart::send,
};

type Auth = support::TestAuth;

#[logto::protected(config = Auth, scope = "read")]
async fn orders() -> &'static str {
    "[]"
}

fn token(cookie: &str) -> axum::http::request::Builder {
    Request::get(format!("/api/token?resource={RESOURCE}")).header(header::COOKIE, cookie)
}

#[tokio::test]
async fn expired_tokens_are_refreshed_until_the_grant_ends() {
    let auth = TestAuth::new::<Auth>();
    let app = support::app(&auth.logto());
    let session = auth
        .session(&auth.user("user_alice"))
        .access_token(RESOURCE, ["read"])
        .token_lifetime(Duration::from_secs(600))
        .sign_in()
        .await;
    assert_eq!(
        auth.refresh_requests(),
        1,
        "the token was fetched at sign-in"
    );
    let (status, first) = send(&app, token(session.cookie())).await;
    assert_eq!(
        (status, auth.refresh_requests()),
        (StatusCode::OK, 1),
        "from the cookie"
    );

    auth.advance(Duration::from_secs(3600));
    let (status, second) = send(&app, token(session.cookie())).await;
    // Two refreshes: the session's (its ID token expired too), then the API token's.
    assert_eq!(
        (status, auth.refresh_requests()),
        (StatusCode::OK, 3),
        "{second}"
    );
    assert_ne!(first["access_token"], second["access_token"]);
    assert_eq!(second["scopes"], serde_json::json!(["read"]));

    // The next refresh (another request with the old cookie) is refused: signed out.
    let ended = auth.session(&auth.user("user_bob")).sign_in().await;
    auth.end_grant(&ended);
    auth.advance(Duration::from_secs(7200));
    let (status, body) = send(&app, token(ended.cookie())).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    assert_eq!(auth.refresh_failures(), 1);
}

#[tokio::test]
async fn store_mode_sessions_and_their_back_channel_logout() {
    let store = MemoryStore::default();
    let auth = TestAuth::with_builder::<Auth>(|builder| {
        builder
            .session_store(store)
            .backchannel_logout(logto::BackchannelLogout::new().path("/logout-hook"))
    });
    let app = support::app(&auth.logto());
    let session = auth.session(&auth.user("user_alice")).sign_in().await;
    assert!(
        session.cookie().len() < 200,
        "an id, not the session: {}",
        session.cookie()
    );
    let (status, body) = send(
        &app,
        Request::get("/").header(header::COOKIE, session.cookie()),
    )
    .await;
    assert_eq!(
        (status, body["sub"].as_str()),
        (StatusCode::OK, Some("user_alice"))
    );

    assert_eq!(auth.backchannel_logout(&session).await, StatusCode::OK);
    let (_, body) = send(
        &app,
        Request::get("/").header(header::COOKIE, session.cookie()),
    )
    .await;
    assert_eq!(body["authenticated"], false);
}

#[tokio::test]
async fn organization_scoped_session_tokens_carry_the_organization() {
    let auth = TestAuth::new::<Auth>();
    let app = support::app(&auth.logto());
    let alice = auth.user("user_alice").organization("org_acme");
    let cookie = auth
        .session(&alice)
        .organization_access_token(RESOURCE, "org_acme", ["read"])
        .cookie()
        .await;
    let path = format!("/api/token?resource={RESOURCE}&organization_id=org_acme");
    let (status, body) = send(&app, Request::get(path).header(header::COOKIE, &cookie)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["organization_id"].as_str(), body["scopes"].clone()),
        (Some("org_acme"), serde_json::json!(["read"]))
    );
    let jwt = support::jwt_claims(body["access_token"].as_str().unwrap());
    assert_eq!(
        (jwt["aud"].as_str(), jwt["organization_id"].as_str()),
        (Some(RESOURCE), Some("org_acme"))
    );
    assert_eq!(
        auth.refresh_requests(),
        1,
        "from the cookie, fetched at sign-in"
    );
}

#[tokio::test]
async fn signed_out_pages_redirect_to_sign_in_and_signed_in_ones_render() {
    let auth = TestAuth::new::<Auth>();
    let app = support::app(&auth.logto());
    let response = app
        .clone()
        .oneshot(Request::get("/page").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    assert_eq!(location, "/sign-in?post_redirect_uri=%2Fpage");
    let cookie = auth.session(&auth.user("user_alice")).cookie().await;
    let request = Request::get("/page")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    let body = app.oneshot(request).await.unwrap().into_body();
    assert_eq!(
        axum::body::to_bytes(body, 1024).await.unwrap(),
        "Hello, user_alice"
    );
}

#[tokio::test]
async fn a_client_accepts_its_own_issuer_only() {
    let (auth, other) = (TestAuth::new::<Auth>(), TestAuth::new::<Auth>());
    let app = support::app(&auth.logto());
    let alice = auth.user("user_alice");
    let foreign = other.session(&alice).cookie().await;
    let (_, body) = send(&app, Request::get("/").header(header::COOKIE, foreign)).await;
    assert_eq!(body["authenticated"], false, "another client's cookie");
    let foreign = other.access_token(&alice, RESOURCE, ["read"]).bearer();
    let guarded = Router::new()
        .route("/api/orders", axum::routing::get(orders))
        .layer(auth.logto().layer());
    let (status, _) = send(
        &guarded,
        Request::get("/api/orders").header(header::AUTHORIZATION, foreign),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "another issuer's token");
    assert!(auth.issuer().starts_with("http://127.0.0.1:") && auth.issuer() != other.issuer());
}

#[tokio::test]
async fn the_same_session_works_over_a_real_socket() {
    let auth = TestAuth::new::<Auth>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    support::serve(listener, support::app(&auth.logto()));
    let cookie = auth.session(&auth.user("user_alice")).cookie().await;
    let body: Value = reqwest::Client::new()
        .get(format!("{base}/"))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["sub"], "user_alice");
}
