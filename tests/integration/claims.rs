//! Typed claims against the provider: the scopes a claims type needs are requested,
//! Logto's values arrive typed, and userinfo is called only for the types that need it.

use axum::{Json, Router, routing::get};
use logto::{Claims, OrganizationData, OrganizationRole, UnixMillis, UserScope};
use logto_test_support::{Browser, idp::count};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, provider, serve};

/// Claims from the ID token only.
#[derive(Claims, Debug)]
#[claims(config = ClaimsAuth)]
pub struct IdTokenUser {
    pub sub: String,
    pub name: Option<String>,
    pub picture: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub phone_number_verified: Option<bool>,
    pub created_at: Option<UnixMillis>,
    pub updated_at: Option<i64>,
    pub organizations: Vec<String>,
    pub organization_roles: Vec<OrganizationRole>,
}

/// Claims that need the userinfo endpoint.
#[derive(Claims, Debug)]
#[claims(config = ClaimsAuth)]
pub struct UserinfoUser {
    pub sub: String,
    pub custom_data: Option<Value>,
    pub organization_data: Vec<OrganizationData>,
}

#[logto::config(scopes = [UserScope::Phone], claims = [IdTokenUser, UserinfoUser])]
pub struct ClaimsAuth;

async fn id_token_user(user: IdTokenUser) -> Json<Value> {
    Json(json!({
        "sub": user.sub,
        "name": user.name,
        "picture": user.picture,
        "email": user.email,
        "email_verified": user.email_verified,
        "phone_number_verified": user.phone_number_verified,
        "created_at": user.created_at.map(|t| t.0),
        "created_at_year_ok": user.created_at.and_then(|t| t.as_system_time()).map(|t| {
            t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() < 4_102_444_800
        }),
        "updated_at": user.updated_at,
        "organizations": user.organizations,
        "organization_roles": user.organization_roles.iter().map(|r| json!([r.organization_id, r.role])).collect::<Vec<_>>(),
    }))
}

async fn userinfo_user(user: UserinfoUser) -> Json<Value> {
    Json(json!({
        "sub": user.sub,
        "custom_data": user.custom_data,
        "organization_data": user.organization_data.iter().map(|o| o.id.clone()).collect::<Vec<_>>(),
    }))
}

async fn optional_user(user: Option<IdTokenUser>) -> String {
    user.map_or_else(|| "nobody".to_owned(), |u| u.sub)
}

async fn start() -> TestApp {
    TestApp::start_configured::<ClaimsAuth>("claims", json!({}), |b| b).await
}

/// The test app's routes plus the claims routes, on another port of the same client.
async fn claims_routes(app: &TestApp) -> String {
    claims_routes_with(app, |b| b).await
}

/// As [`claims_routes`], with builder changes (the app's session store, say).
async fn claims_routes_with(
    app: &TestApp,
    configure: impl FnOnce(logto::LogtoBuilder) -> logto::LogtoBuilder,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let logto = configure(logto::Logto::builder::<ClaimsAuth>())
        .endpoint(&provider().endpoint)
        .app_id(&app.client_id)
        .app_secret("test-secret")
        .base_url(&app.base)
        .cookie_secret(crate::support::SECRET)
        .build()
        .unwrap();
    let router = Router::new()
        .route("/id-token", get(id_token_user))
        .route("/userinfo", get(userinfo_user))
        .route("/optional", get(optional_user))
        .merge(crate::support::app(&logto));
    serve(listener, router.layer(logto.layer()));
    base
}

/// The browser's cookies are per host, so it carries the app's session to `base` too
/// and keeps what `base` writes back (the userinfo cache).
async fn get_with(browser: &Browser, base: &str, path: &str) -> (StatusCode, Value) {
    let response = browser.get(&format!("{base}{path}")).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn the_scopes_of_the_claims_types_are_requested() {
    let app = start().await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let auth = provider().last_auth(&app.client_id).await;
    let scopes: Vec<&str> = auth["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for scope in [
        "email",
        "phone",
        "custom_data",
        "urn:logto:scope:organizations",
        "urn:logto:scope:organization_roles",
    ] {
        assert!(scopes.contains(&scope), "{scope} requested: {scopes:?}");
    }
    assert!(
        !scopes.contains(&"address") && !scopes.contains(&"identities"),
        "nothing unasked: {scopes:?}"
    );
    let resources = auth["resource"].as_array().unwrap();
    assert!(
        resources.contains(&json!("urn:logto:resource:organizations")),
        "{resources:?}"
    );
}

#[tokio::test]
async fn typed_values_and_userinfo_only_on_demand() {
    let app = start().await;
    let base = claims_routes(&app).await;
    let browser = Browser::new();
    let (status, body) = get_with(&browser, &base, "/id-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out: 401 JSON");
    assert_eq!(body["error"], "unauthorized");
    assert_eq!(get_with(&browser, &base, "/optional").await.1, "nobody");

    browser.sign_in_demo(&app.base).await;
    for _ in 0..5 {
        let (status, user) = get_with(&browser, &base, "/id-token").await;
        assert_eq!(status, StatusCode::OK, "{user}");
        assert_eq!(user["sub"], "user_demo");
        assert_eq!(user["email"], "demo@example.com");
        assert_eq!(user["email_verified"], true);
        assert_eq!(user["phone_number_verified"], false);
        assert_eq!(
            user["created_at"], 1_700_000_000_123_i64,
            "milliseconds, as Logto sends them"
        );
        assert_eq!(user["created_at_year_ok"], true);
        assert_eq!(user["updated_at"], 1_710_000_000_456_i64);
        assert_eq!(user["organizations"], json!(["org_acme", "org_globex"]));
        assert_eq!(
            user["organization_roles"],
            json!([["org_acme", "admin"], ["org_globex", "member"]])
        );
    }
    assert_eq!(get_with(&browser, &base, "/optional").await.1, "user_demo");
    assert_eq!(
        count(&provider().counts(&app.client_id).await, &["userinfo"]),
        0,
        "no field needs userinfo"
    );

    for _ in 0..5 {
        let (status, user) = get_with(&browser, &base, "/userinfo").await;
        assert_eq!(status, StatusCode::OK, "{user}");
        assert_eq!(user["custom_data"], json!({"plan": "pro", "seats": 3}));
        assert_eq!(user["organization_data"], json!(["org_acme", "org_globex"]));
    }
    assert_eq!(
        count(&provider().counts(&app.client_id).await, &["userinfo"]),
        1,
        "once per session, then cached"
    );

    // Refreshing an organization token does not refetch userinfo.
    let (status, _) = browser
        .json(&app.url("/api/token?organization_id=org_acme"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get_with(&browser, &base, "/userinfo").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        count(&provider().counts(&app.client_id).await, &["userinfo"]),
        1
    );
}

#[tokio::test]
async fn a_malformed_claim_is_a_typed_error_not_a_panic() {
    let app = start().await;
    let base = claims_routes(&app).await;
    let username = format!("odd-{}", app.client_id);
    provider()
        .add_user(json!({
            "username": username, "password": "pw", "sub": format!("user_{username}"),
            "claims": {"email": "odd@example.com", "created_at": "yesterday"},
            "organizations": [],
        }))
        .await;
    let browser = Browser::new();
    assert_eq!(
        browser
            .sign_in(&app.base, &username, "pw")
            .await
            .response
            .status(),
        StatusCode::SEE_OTHER
    );
    let (status, body) = get_with(&browser, &base, "/id-token").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(body["error"], "invalid_claims");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("created_at"),
        "{body}"
    );
}

#[tokio::test]
async fn a_refused_userinfo_token_is_refreshed_once_then_the_session_ends() {
    let app = start().await;
    let base = claims_routes(&app).await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let grants = || async {
        count(
            &provider().counts(&app.client_id).await,
            &["grants", "refresh_token"],
        )
    };

    // Refused once: the SDK refreshes the userinfo token and asks again.
    let before = grants().await;
    provider()
        .tamper(&app.client_id, json!({"userinfo_invalid_token": 1}))
        .await;
    let (status, user) = get_with(&browser, &base, "/userinfo").await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["custom_data"], json!({"plan": "pro", "seats": 3}));
    assert_eq!(
        grants().await,
        before + 1,
        "one refresh for the refused token"
    );

    // Refused for good (the grant is gone at the provider): signed out, never a 400.
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    provider()
        .tamper(&app.client_id, json!({"userinfo_invalid_token": true}))
        .await;
    let (status, body) = get_with(&browser, &base, "/userinfo").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = get_with(&browser, &base, "/id-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the session is gone");
}

#[tokio::test]
async fn a_refused_userinfo_token_is_refreshed_once_in_store_mode_too() {
    let store = std::sync::Arc::new(logto::MemoryStore::new(100));
    let app = TestApp::start_configured::<ClaimsAuth>("claims-store", json!({}), {
        let store = store.clone();
        move |b| b.session_store(store)
    })
    .await;
    let base = claims_routes_with(&app, {
        let store = store.clone();
        move |b| b.session_store(store)
    })
    .await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let before = count(
        &provider().counts(&app.client_id).await,
        &["grants", "refresh_token"],
    );
    provider()
        .tamper(&app.client_id, json!({"userinfo_invalid_token": 1}))
        .await;
    // The stored session still holds the refused token, fresh by its expiry: the
    // retry must not take it back from the store.
    let (status, user) = get_with(&browser, &base, "/userinfo").await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["custom_data"], json!({"plan": "pro", "seats": 3}));
    assert_eq!(
        count(
            &provider().counts(&app.client_id).await,
            &["grants", "refresh_token"]
        ),
        before + 1
    );
}

/// A claims type checked against its own config at compile time, extracted under a
/// client built from another that never requests its scopes: every request, signed in
/// or not, is a 500 that says nothing more, never a page of empty claims.
#[tokio::test]
async fn a_claims_type_under_a_client_of_another_config_is_refused_on_first_use() {
    async fn page(user: Option<IdTokenUser>) -> String {
        user.map(|u| u.sub).unwrap_or_default()
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // `TestAuth` requests neither `email` nor `phone`, which `IdTokenUser` needs.
    let logto = logto::Logto::builder::<crate::support::TestAuth>()
        .endpoint("http://127.0.0.1:9")
        .app_id("claims-of-another-config")
        .app_secret("test-secret")
        .base_url(&base)
        .cookie_secret(crate::support::SECRET)
        .build()
        .unwrap();
    let app = Router::new().route("/page", get(page)).layer(logto.layer());
    serve(listener, app);
    let response = Browser::new().get(&format!("{base}/page")).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "server_error", "{body}");
    assert!(!body.to_string().contains("email"), "{body}");
}
