//! Shared pieces of the benchmarks: an issuer with a key we hold (criterion), and an
//! app with the same small JSON handler guarded three ways (wrk and callgrind).
//!
//! See `BENCHMARKS.md` at the root for the commands and the figures.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::{Json, Router, extract::Query, routing::get};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use logto::{AccessToken, Context, Logto, TokenRequest};
use p384::pkcs8::EncodePrivateKey;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The API resource of the quickstart and of the bundled provider.
pub const RESOURCE: &str = "https://shopping.example.com/api";

/// The app's compile-time config.
#[logto::config(
    scopes = ["read", "write"],
    resources = ["https://shopping.example.com/api"],
    claims = [User, UserInfo],
)]
pub struct Shop;

/// Claims from the ID token.
#[derive(logto::Claims)]
#[claims(config = Shop)]
pub struct User {
    pub sub: String,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// A claim only the userinfo endpoint has: fetched once per session, then cached in it.
#[derive(logto::Claims)]
#[claims(config = Shop)]
pub struct UserInfo {
    pub sub: String,
    pub custom_data: Option<Value>,
}

/// The answer of every benchmarked handler, guarded or not.
pub fn products() -> Json<Value> {
    Json(json!({ "products": [{ "id": 1, "name": "Rust in Action" }] }))
}

async fn unguarded() -> Json<Value> {
    products()
}

/// The session guard (a bearer token would be judged instead, if sent).
#[logto::protected(config = Shop, scope = "read")]
async fn session() -> Json<Value> {
    products()
}

/// The API guard.
#[logto::protected(config = Shop, scope = "read", bearer_only)]
async fn bearer() -> Json<Value> {
    products()
}

/// A handler taking a claims type.
async fn claims(_user: User) -> Json<Value> {
    products()
}

/// A handler taking `Context` of a claims type.
async fn context(ctx: Context<User>) -> Json<Value> {
    debug_assert!(ctx.is_authenticated());
    products()
}

/// A handler taking a userinfo claims type (cached in the session).
async fn userinfo(_info: UserInfo) -> Json<Value> {
    products()
}

/// A handler getting the session's (cached) access token.
async fn access_token(ctx: Context) -> Result<Json<Value>, logto::TokenError> {
    ctx.access_token(RESOURCE).await?;
    Ok(products())
}

#[derive(Deserialize)]
struct TokenQuery {
    resource: String,
}

async fn token(ctx: Context, Query(query): Query<TokenQuery>) -> Result<String, logto::TokenError> {
    let token: AccessToken = ctx.token(&TokenRequest::resource(query.resource)).await?;
    Ok(token.as_str().to_owned())
}

/// The routes that answer [`products`], the same JSON: `/unguarded` takes nothing of
/// the SDK, the others a guard or an extractor each.
pub const ROUTES: [&str; 7] = [
    "/unguarded",
    "/session",
    "/bearer",
    "/claims",
    "/context",
    "/userinfo",
    "/access_token",
];

/// The [`ROUTES`]; `/token` hands out the session's access token; the sign-in routes
/// complete the app.
pub fn app(logto: &Logto) -> Router {
    Router::new()
        .route("/unguarded", get(unguarded))
        .route("/session", get(session))
        .route("/bearer", get(bearer))
        .route("/claims", get(claims))
        .route("/context", get(context))
        .route("/userinfo", get(userinfo))
        .route("/access_token", get(access_token))
        .route("/token", get(token))
        .merge(logto.routes())
        .layer(logto.layer())
}

/// What `guard_server` leaves for the other benchmark programs: how to rebuild the same
/// client, and a signed-in session and its access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Setup {
    pub endpoint: String,
    pub app_id: String,
    pub app_secret: String,
    pub base_url: String,
    pub cookie_secret: String,
    /// The `Cookie` header of the signed-in session.
    pub cookie: String,
    /// The session's access token for [`RESOURCE`] (scope `read`).
    pub token: String,
}

impl Setup {
    /// Where `guard_server` writes it.
    pub fn path() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target")
            .join("bench-setup.json")
    }

    fn builder(&self) -> logto::LogtoBuilder {
        Logto::builder::<Shop>()
            .endpoint(&self.endpoint)
            .app_id(&self.app_id)
            .app_secret(&self.app_secret)
            .base_url(&self.base_url)
            .cookie_secret(&self.cookie_secret)
    }

    /// The client `guard_server` built, with cookie sessions.
    pub fn logto(&self) -> Logto {
        self.builder()
            .build()
            .expect("the setup's settings are valid")
    }

    /// The client with sessions in a store: `memory`, `redis` (`REDIS_URL`, default
    /// the local one) or `postgres` (`DATABASE_URL`, default the local `test`).
    pub async fn logto_with_store(&self, store: &str) -> Result<Logto, String> {
        let prefix = format!("logto_bench_{}", std::process::id());
        let builder = match store {
            "memory" => self
                .builder()
                .session_store(logto::MemoryStore::new(10_000)),
            "redis" => {
                let url =
                    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
                let store = logto::RedisStore::connect(&url, format!("{prefix}:"))
                    .await
                    .map_err(|e| e.to_string())?;
                self.builder().session_store(store)
            }
            "postgres" => {
                let url = std::env::var("DATABASE_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
                let store = logto::PostgresStore::connect(&url, &prefix)
                    .await
                    .map_err(|e| e.to_string())?;
                self.builder().session_store(store)
            }
            other => return Err(format!("STORE={other}: memory, redis or postgres")),
        };
        builder.build().map_err(|e| e.to_string())
    }
}

/// Signs `username` in at the app on `base` through the provider's login form, as a
/// browser would, and gets the session's access token for [`RESOURCE`]; returns the
/// app's `Cookie` header (with that token in the session) and the token.
pub async fn sign_in(
    base: &str,
    username: &str,
    password: &str,
) -> Result<(String, String), String> {
    let browser = logto_test_support::Browser::new();
    let callback = browser.sign_in(base, username, password).await;
    if callback.response.status() != reqwest::StatusCode::SEE_OTHER {
        return Err(format!(
            "the callback answered {}",
            callback.response.status()
        ));
    }
    // Through the same cookie jar: the refreshed session comes back in `Set-Cookie`,
    // and the old cookie's refresh token is spent.
    let token = browser
        .get(&format!("{base}/token?resource={RESOURCE}"))
        .await;
    if !token.status().is_success() {
        return Err(format!("/token answered {}", token.status()));
    }
    let token = token.text().await.map_err(|e| e.to_string())?;
    // The userinfo answer cached in the session, as after a first visit.
    let userinfo = browser.get(&format!("{base}/userinfo")).await;
    if !userinfo.status().is_success() {
        return Err(format!("/userinfo answered {}", userinfo.status()));
    }
    let cookie = browser.cookie_header(base);
    if cookie.is_empty() {
        return Err("no session cookie".into());
    }
    Ok((cookie, token))
}

/// An issuer on 127.0.0.1 whose signing key the benchmark holds, and tokens it signs.
pub struct LocalIssuer {
    pub issuer: String,
    pub jwks: Value,
    key: EncodingKey,
}

impl LocalIssuer {
    /// Serves discovery and the JWKS of a fresh P-384 key.
    pub async fn start() -> Self {
        let secret = p384::SecretKey::random(&mut rand::rngs::OsRng);
        let der = secret.to_pkcs8_der().expect("a fresh key encodes");
        let mut jwk: Value =
            serde_json::from_str(&secret.public_key().to_jwk_string()).expect("a JWK");
        jwk["kid"] = json!("bench-key");
        jwk["alg"] = json!("ES384");
        jwk["use"] = json!("sig");
        let jwks = json!({ "keys": [jwk] });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let issuer = format!("http://{}/oidc", listener.local_addr().expect("an address"));
        let discovery = json!({ "issuer": issuer, "jwks_uri": format!("{issuer}/jwks") });
        let served = jwks.clone();
        let app = Router::new()
            .route(
                "/oidc/.well-known/openid-configuration",
                get(move || async move { Json(discovery) }),
            )
            .route("/oidc/jwks", get(move || async move { Json(served) }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            issuer,
            jwks,
            key: EncodingKey::from_ec_der(der.as_bytes()),
        }
    }

    /// The endpoint (`issuer` without `/oidc`).
    pub fn endpoint(&self) -> &str {
        self.issuer.trim_end_matches("/oidc")
    }

    /// An access token as Logto signs them: ES384, `typ: at+jwt`, an hour long.
    pub fn token(&self, scope: &str) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let claims = json!({
            "iss": self.issuer, "sub": "user_demo", "aud": RESOURCE, "client_id": "bench",
            "scope": scope, "iat": now, "exp": now + 3600, "jti": format!("{}", rand::random::<u64>()),
        });
        let mut header = Header::new(Algorithm::ES384);
        header.typ = Some("at+jwt".into());
        header.kid = Some("bench-key".into());
        jsonwebtoken::encode(&header, &claims, &self.key).expect("signing works")
    }
}
