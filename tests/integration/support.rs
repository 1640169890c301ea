//! The harness of this binary: one test provider for the whole binary and an app per
//! test (each with its own client id, so counts never mix). The provider's process,
//! the HTTP browser and the test clock are `logto_test_support`'s, shared with the
//! examples.

use std::sync::OnceLock;

use axum::{
    Json, Router,
    extract::Query,
    response::{IntoResponse, Response},
    routing::get,
};
use logto::{
    Context, Logto, LogtoBuilder, RedirectToSignIn, Rejection, TokenRequest, claims::IdTokenClaims,
};
use logto_test_support::{Idp, TestClock, idp, unique_id};
use serde::Deserialize;
use serde_json::{Value, json};

/// The provider shared by every test of this binary.
pub fn provider() -> &'static Idp {
    static IDP: OnceLock<Idp> = OnceLock::new();
    IDP.get_or_init(|| Idp::start().unwrap_or_else(|e| panic!("{e}")))
}

pub const SECRET: &str = "a-cookie-secret-of-at-least-32-characters";
pub const RESOURCE: &str = "https://shopping.example.com/api";

/// What the test apps request.
pub struct TestAuth;
impl logto::Config for TestAuth {
    const SCOPES: &'static [&'static str] = &[
        "email",
        "urn:logto:scope:organizations",
        "read",
        "write",
        "read:members",
        "invite:members",
    ];
    const RESOURCES: &'static [&'static str] = &[RESOURCE];
}

/// An app under test, served on 127.0.0.1.
pub struct TestApp {
    pub base: String,
    pub client_id: String,
    pub clock: TestClock,
}

impl TestApp {
    /// Registers a client at the provider and serves the test app with it.
    pub async fn start(name: &str) -> Self {
        Self::start_with(name, json!({}), |b| b).await
    }

    /// As [`start`](Self::start), with extra client settings (merged into the
    /// registration) and builder changes.
    pub async fn start_with(
        name: &str,
        client_extra: Value,
        configure: impl FnOnce(LogtoBuilder) -> LogtoBuilder,
    ) -> Self {
        Self::start_configured::<TestAuth>(name, client_extra, configure).await
    }

    /// As [`start_with`](Self::start_with), with another compile-time config.
    pub async fn start_configured<C: logto::Config>(
        name: &str,
        client_extra: Value,
        configure: impl FnOnce(LogtoBuilder) -> LogtoBuilder,
    ) -> Self {
        let idp = provider();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let client_id = unique_id(name);
        let mut registration = idp::client(&client_id, "test-secret", &base);
        if let (Some(target), Some(extra)) =
            (registration.as_object_mut(), client_extra.as_object())
        {
            target.extend(extra.clone());
        }
        idp.register_client(registration).await;
        let builder = Logto::builder::<C>()
            .endpoint(&idp.endpoint)
            .app_id(&client_id)
            .app_secret("test-secret")
            .base_url(&base)
            .cookie_secret(SECRET);
        let clock = TestClock::default();
        let logto = configure(builder.clock(clock.clone())).build().unwrap();
        serve(listener, app(&logto));
        Self {
            base,
            client_id,
            clock,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

pub fn serve(listener: tokio::net::TcpListener, app: Router) {
    tokio::spawn(async move { axum::serve(listener, app).await });
}

/// The routes the tests drive.
pub fn app(logto: &Logto) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/api/profile", get(profile))
        .route("/page", get(page))
        .route("/orders", get(|| async { "orders" }))
        .route("/api/token", get(token))
        .merge(logto.routes())
        .layer(logto.layer())
}

async fn home(ctx: Context) -> Json<Value> {
    Json(json!({
        "authenticated": ctx.is_authenticated(),
        "sub": ctx.claims().map(|c| c.sub().to_owned()),
    }))
}

async fn profile(ctx: Context) -> Response {
    match ctx.id_token_claims() {
        Some(claims) => Json(json!({ "claims": claims })).into_response(),
        None => Rejection::SignedOut.into_response(),
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    resource: Option<String>,
    organization_id: Option<String>,
    #[serde(default)]
    force_refresh: bool,
}

/// Any token the session can get, as JSON.
async fn token(ctx: Context, Query(query): Query<TokenQuery>) -> Response {
    let request = match (query.resource, query.organization_id) {
        (Some(resource), organization) => {
            let request = TokenRequest::resource(resource);
            match organization {
                Some(organization) => request.organization_id(organization),
                None => request,
            }
        }
        (None, Some(organization)) => TokenRequest::organization(organization),
        (None, None) => {
            return (
                reqwest::StatusCode::BAD_REQUEST,
                "resource or organization_id",
            )
                .into_response();
        }
    };
    match ctx.token(&request.force_refresh(query.force_refresh)).await {
        Ok(token) => Json(json!({
            "access_token": token.as_str(),
            "scopes": token.scopes(),
            "resource": token.resource(),
            "organization_id": token.organization_id(),
        }))
        .into_response(),
        Err(error) => error.into_response(),
    }
}

async fn page(RedirectToSignIn(claims): RedirectToSignIn<IdTokenClaims>) -> String {
    format!("Hello, {}", claims.sub())
}

/// The payload of a JWT, unverified (the tests read what the provider minted).
pub fn jwt_claims(jwt: &str) -> Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The header of a JWT.
pub fn jwt_header(jwt: &str) -> Value {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jwt.split('.').next().unwrap())
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
