//! `logto::testing` cannot drift from the real flow: where the provider is not the
//! subject (claims mapping, the guards' 401/403 matrix, userinfo counts), the same
//! assertions run against the provider of `tests/idp/` (signed in through its login
//! form) and against the in-process `TestAuth`, on the same router. Each test prints
//! how long each side took (`--nocapture`).

use std::time::Instant;

use axum::{
    Json, Router,
    body::Body,
    extract::Path,
    http::{Request, StatusCode, header},
    routing::get,
};
use logto::{AccessToken, Claims, Logto, OrganizationData, OrganizationRole, UserScope};
use logto_test_support::{Browser, idp, idp::count, unique_id};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{RESOURCE, SECRET, provider, serve};

#[logto::config(
    scopes = [UserScope::Email, UserScope::Organizations, UserScope::CustomData, "read", "write", "read:members"],
    resources = ["https://shopping.example.com/api"],
    claims = [IdUser, InfoUser],
)]
pub struct ParityAuth;

#[derive(Claims, Debug)]
#[claims(config = ParityAuth)]
pub struct IdUser {
    pub sub: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub organizations: Vec<String>,
    pub organization_roles: Vec<OrganizationRole>,
}

#[derive(Claims, Debug)]
#[claims(config = ParityAuth)]
pub struct InfoUser {
    pub sub: String,
    pub custom_data: Option<Value>,
    pub organization_data: Vec<OrganizationData>,
}

async fn id_claims(user: IdUser) -> Json<Value> {
    Json(json!({
        "sub": user.sub, "name": user.name, "email": user.email,
        "email_verified": user.email_verified, "organizations": user.organizations,
        "organization_roles": user.organization_roles.iter()
            .map(|r| format!("{}/{}", r.organization_id, r.role)).collect::<Vec<_>>(),
    }))
}

async fn info_claims(user: InfoUser) -> Json<Value> {
    Json(json!({
        "sub": user.sub, "custom_data": user.custom_data,
        "organizations": user.organization_data.iter().map(|o| o.id.clone()).collect::<Vec<_>>(),
    }))
}

#[logto::protected(config = ParityAuth, scope = "read")]
async fn read(token: AccessToken) -> Json<Value> {
    Json(json!({ "scopes": token.scopes() }))
}

#[logto::protected(config = ParityAuth, scope = "write")]
async fn write() -> &'static str {
    "written"
}

#[logto::protected(config = ParityAuth, scope = "read", bearer_only)]
async fn api_read() -> &'static str {
    "api"
}

#[logto::protected(config = ParityAuth, organization = "org_id", scope = "read:members")]
async fn members(Path(org_id): Path<String>) -> String {
    org_id
}

async fn token(ctx: logto::Context) -> Result<String, logto::TokenError> {
    Ok(ctx.access_token(RESOURCE).await?.as_str().to_owned())
}

fn router(logto: &Logto) -> Router {
    Router::new()
        .route("/claims", get(id_claims))
        .route("/userinfo", get(info_claims))
        .route("/read", get(read))
        .route("/write", get(write))
        .route("/api/read", get(api_read))
        .route("/orgs/{org_id}/members", get(members))
        .route("/token", get(token))
        .merge(logto.routes())
        .layer(logto.layer())
}

/// Alice: a name, a verified email, `custom_data`, `read` on the API (the provider's
/// role `reader`), `admin` of `org_acme`.
struct Side {
    name: &'static str,
    app: Router,
    sub: String,
    cookie: String,
    userinfo: Box<dyn Fn() -> futures_util::future::BoxFuture<'static, u64>>,
    /// Keeps the in-process issuer alive.
    _auth: Option<std::sync::Arc<logto::testing::TestAuth>>,
}

/// The provider of `tests/idp/`: a client, a user, a sign-in through its login form.
async fn real_provider() -> Side {
    let idp = provider();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let client_id = unique_id("parity");
    idp.register_client(idp::client(&client_id, "test-secret", &base))
        .await;
    let username = unique_id("alice");
    let sub = format!("user_{username}");
    idp.add_user(json!({
        "username": username, "password": "pw", "sub": sub,
        "claims": {"name": "Alice", "email": "alice@example.com", "email_verified": true,
                   "custom_data": {"plan": "pro"}},
        "roles": ["reader"], "organizations": {"org_acme": ["admin"]},
    }))
    .await;
    let logto = Logto::builder::<ParityAuth>()
        .endpoint(&idp.endpoint)
        .app_id(&client_id)
        .app_secret("test-secret")
        .base_url(&base)
        .cookie_secret(SECRET)
        .build()
        .unwrap();
    let app = router(&logto);
    serve(listener, app.clone());
    let browser = Browser::new();
    let hop = browser.sign_in(&base, &username, "pw").await;
    assert_eq!(hop.response.status(), StatusCode::SEE_OTHER);
    let cookie = browser.cookie_header(&base);
    Side {
        name: "tests/idp",
        app,
        sub,
        cookie,
        userinfo: Box::new(move || {
            let client_id = client_id.clone();
            Box::pin(async move { count(&provider().counts(&client_id).await, &["userinfo"]) })
        }),
        _auth: None,
    }
}

/// `TestAuth`: the same user, in a few lines.
async fn in_process() -> Side {
    let auth = logto::testing::TestAuth::new::<ParityAuth>();
    let alice = auth
        .user("user_alice")
        .name("Alice")
        .email("alice@example.com")
        .custom_data(json!({"plan": "pro"}))
        .organization_role("org_acme", "admin");
    let cookie = auth
        .session(&alice)
        .access_token(RESOURCE, ["read"])
        .organization_token("org_acme", ["read:members", "invite:members"])
        .cookie()
        .await;
    let app = router(&auth.logto());
    let counter = std::sync::Arc::new(auth);
    let counts = counter.clone();
    Side {
        name: "TestAuth",
        app,
        sub: "user_alice".into(),
        cookie,
        userinfo: Box::new(move || {
            let n = counts.userinfo_requests() as u64;
            Box::pin(async move { n })
        }),
        _auth: Some(counter),
    }
}

async fn call(
    app: &Router,
    path: &str,
    headers: &[(header::HeaderName, &str)],
) -> (StatusCode, String, Value) {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let body = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    (status, challenge, body)
}

/// A request header.
type Header<'a> = (header::HeaderName, &'a str);

async fn claims_and_userinfo_counts(side: &Side) {
    let cookie = [(header::COOKIE, side.cookie.as_str())];
    let (status, _, claims) = call(&side.app, "/claims", &cookie).await;
    assert_eq!(status, StatusCode::OK, "{}: {claims}", side.name);
    assert_eq!(
        claims,
        json!({
            "sub": side.sub, "name": "Alice", "email": "alice@example.com",
            "email_verified": true, "organizations": ["org_acme"],
            "organization_roles": ["org_acme/admin"],
        }),
        "{}",
        side.name
    );
    assert_eq!(
        (side.userinfo)().await,
        0,
        "{}: ID-token claims need no userinfo",
        side.name
    );
    let (status, _, info) = call(&side.app, "/userinfo", &cookie).await;
    assert_eq!(status, StatusCode::OK, "{}: {info}", side.name);
    assert_eq!(
        info,
        json!({"sub": side.sub, "custom_data": {"plan": "pro"}, "organizations": ["org_acme"]}),
        "{}",
        side.name
    );
    assert_eq!((side.userinfo)().await, 1, "{}", side.name);
    // The request sends no new cookie, so the second read asks userinfo once more.
    let (_, _, again) = call(&side.app, "/userinfo", &cookie).await;
    assert_eq!(again, info, "{}", side.name);
    assert_eq!((side.userinfo)().await, 2, "{}", side.name);
    let (status, _, _) = call(&side.app, "/claims", &[]).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "{}: signed out",
        side.name
    );
}

async fn guard_matrix(side: &Side) {
    let cookie = [(header::COOKIE, side.cookie.as_str())];
    let (_, _, token) = call(&side.app, "/token", &cookie).await;
    let token = token.as_str().unwrap().to_owned();
    let bearer = format!("Bearer {token}");
    let bearer = [(header::AUTHORIZATION, bearer.as_str())];
    let cases: [(&str, &[Header], StatusCode, &str); 12] = [
        ("/read", &[], StatusCode::UNAUTHORIZED, "Bearer"),
        ("/read", &cookie, StatusCode::OK, ""),
        ("/read", &bearer, StatusCode::OK, ""),
        (
            "/write",
            &cookie,
            StatusCode::FORBIDDEN,
            "insufficient_scope",
        ),
        (
            "/write",
            &bearer,
            StatusCode::FORBIDDEN,
            "insufficient_scope",
        ),
        ("/api/read", &cookie, StatusCode::UNAUTHORIZED, "Bearer"),
        ("/api/read", &bearer, StatusCode::OK, ""),
        (
            "/api/read",
            &[(header::AUTHORIZATION, "Bearer not-a-jwt")],
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
        ("/orgs/org_acme/members", &cookie, StatusCode::OK, ""),
        (
            "/orgs/org_acme/members",
            &[],
            StatusCode::UNAUTHORIZED,
            "Bearer",
        ),
        (
            "/orgs/org_acme/members",
            &bearer,
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
        (
            "/orgs/org_globex/members",
            &cookie,
            StatusCode::FORBIDDEN,
            "",
        ),
    ];
    for (path, headers, status, challenge) in cases {
        let (got, www, body) = call(&side.app, path, headers).await;
        assert_eq!(got, status, "{}: {path} {headers:?}: {body}", side.name);
        assert!(
            www.contains(challenge),
            "{}: {path}: `{www}` lacks `{challenge}`",
            side.name
        );
    }
    let (_, _, read) = call(&side.app, "/read", &cookie).await;
    assert_eq!(read, json!({"scopes": ["read"]}), "{}", side.name);
}

#[tokio::test]
async fn claims_and_userinfo_counts_are_the_same_on_both_issuers() {
    let started = Instant::now();
    claims_and_userinfo_counts(&real_provider().await).await;
    let real = started.elapsed();
    let started = Instant::now();
    claims_and_userinfo_counts(&in_process().await).await;
    eprintln!(
        "claims + userinfo: tests/idp {real:?}, TestAuth {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_guard_matrix_is_the_same_on_both_issuers() {
    let started = Instant::now();
    guard_matrix(&real_provider().await).await;
    let real = started.elapsed();
    let started = Instant::now();
    guard_matrix(&in_process().await).await;
    eprintln!(
        "guard matrix: tests/idp {real:?}, TestAuth {:?}",
        started.elapsed()
    );
}
