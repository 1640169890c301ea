//! The harness: one test provider for the whole binary, an app per test (each with its
//! own client id, so counts never mix), and a cookie-keeping HTTP "browser".

use std::{
    sync::{
        Arc, OnceLock,
        atomic::{AtomicI64, AtomicUsize, Ordering},
    },
    time::{Duration, SystemTime},
};

use axum::{
    Json, Router,
    extract::Query,
    response::{IntoResponse, Response},
    routing::get,
};
use logto::{
    AuthRejection, Context, Logto, LogtoBuilder, RedirectToSignIn, TokenRequest,
    claims::IdTokenClaims,
};
use reqwest::{StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};

#[path = "../support/idp.rs"]
pub mod idp;
pub use idp::Idp;

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

/// A client id no other test of this run uses.
pub fn unique_client_id(name: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{name}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A clock the test moves forward, so tokens expire without sleeping.
#[derive(Clone, Default)]
pub struct TestClock(Arc<AtomicI64>);

impl TestClock {
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl logto::Clock for TestClock {
    fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_secs(self.0.load(Ordering::SeqCst).max(0) as u64)
    }
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
        let client_id = unique_client_id(name);
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
        None => AuthRejection::SignedOut.into_response(),
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

/// A cookie-keeping client that follows redirects one hop at a time.
pub struct Browser {
    pub http: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
}

pub struct Hop {
    pub url: String,
    pub response: reqwest::Response,
}

impl Browser {
    pub fn new() -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Self { http, jar }
    }

    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.http.get(url).send().await.unwrap()
    }

    /// Follows redirects from `response` (at `url`) until an answer that is not one,
    /// or until the next hop would leave for a URL `stop` accepts.
    pub async fn follow_until(
        &self,
        url: &str,
        mut response: reqwest::Response,
        stop: impl Fn(&str) -> bool,
    ) -> Hop {
        let mut url = url.to_owned();
        for _ in 0..20 {
            if !response.status().is_redirection() {
                break;
            }
            let location = response.headers()[header::LOCATION]
                .to_str()
                .unwrap()
                .to_owned();
            let next = reqwest::Url::parse(&url)
                .unwrap()
                .join(&location)
                .unwrap()
                .to_string();
            if stop(&next) {
                return Hop {
                    url: next,
                    response,
                };
            }
            url = next;
            response = self.get(&url).await;
        }
        Hop { url, response }
    }

    pub async fn follow(&self, url: &str) -> Hop {
        let response = self.get(url).await;
        self.follow_until(url, response, |_| false).await
    }

    /// From a sign-in URL to the provider's login form; returns the form's page.
    pub async fn open_login_form(&self, sign_in_url: &str) -> Hop {
        let hop = self.follow(sign_in_url).await;
        assert_eq!(hop.response.status(), StatusCode::OK, "at {}", hop.url);
        hop
    }

    /// Submits the login form of `page` and follows until the app's callback, which is
    /// returned unvisited.
    pub async fn submit_login(
        &self,
        page: Hop,
        username: &str,
        password: &str,
        app_base: &str,
    ) -> String {
        let html = page.response.text().await.unwrap();
        let action = form_action(&html, "login").expect("the provider shows its login form");
        let action = reqwest::Url::parse(&page.url)
            .unwrap()
            .join(&action)
            .unwrap()
            .to_string();
        let response = self
            .http
            .post(&action)
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .unwrap();
        let hop = self
            .follow_until(&action, response, |next| next.starts_with(app_base))
            .await;
        assert!(
            hop.url.starts_with(app_base),
            "expected a redirect to the app, got {} ({})",
            hop.url,
            hop.response.status()
        );
        hop.url
    }

    /// Signs in through the provider's form; returns the app's answer to the callback.
    pub async fn sign_in(&self, app: &TestApp, username: &str, password: &str) -> Hop {
        let form = self.open_login_form(&app.url("/sign-in")).await;
        let callback = self.submit_login(form, username, password, &app.base).await;
        let response = self.get(&callback).await;
        Hop {
            url: callback,
            response,
        }
    }

    pub async fn sign_in_demo(&self, app: &TestApp) -> Hop {
        let hop = self.sign_in(app, "demo", "demo-password").await;
        assert_eq!(
            hop.response.status(),
            StatusCode::SEE_OTHER,
            "callback answered {}",
            hop.response.status()
        );
        hop
    }

    /// Posts the app's sign-out form, as a same-origin page does.
    pub async fn sign_out(&self, app: &TestApp) -> reqwest::Response {
        self.http
            .post(app.url("/sign-out"))
            .header(header::ORIGIN, &app.base)
            .send()
            .await
            .unwrap()
    }

    pub async fn json(&self, url: &str) -> (StatusCode, Value) {
        let response = self.get(url).await;
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The names of the cookies the browser would send to `url`.
    pub fn cookie_names(&self, url: &str) -> Vec<String> {
        use reqwest::cookie::CookieStore;
        let Some(header) = self.jar.cookies(&url.parse().unwrap()) else {
            return Vec::new();
        };
        header
            .to_str()
            .unwrap()
            .split("; ")
            .filter_map(|pair| pair.split_once('=').map(|(n, _)| n.to_owned()))
            .collect()
    }
}

/// The `action` of the form with `id`, HTML-unescaped.
pub fn form_action(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let form_start = html[..start].rfind("<form")?;
    let tag_end = form_start + html[form_start..].find('>')?;
    let tag = &html[form_start..tag_end];
    let action = tag.split("action=\"").nth(1)?.split('"').next()?;
    Some(action.replace("&amp;", "&"))
}

/// The hidden inputs of a form, as (name, value).
pub fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    html.split("<input")
        .skip(1)
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| {
            let name = tag.split("name=\"").nth(1)?.split('"').next()?;
            let value = tag.split("value=\"").nth(1)?.split('"').next()?;
            Some((name.to_owned(), value.to_owned()))
        })
        .collect()
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

/// A count from the provider's statistics, 0 when absent.
pub fn count(counts: &Value, path: &[&str]) -> u64 {
    path.iter()
        .fold(counts, |v, key| &v[*key])
        .as_u64()
        .unwrap_or(0)
}
