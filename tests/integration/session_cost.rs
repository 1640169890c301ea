//! What a signed-in request costs the provider and the store once the session is
//! settled: cookie sessions come from the session cache with no provider call; store
//! sessions take one store read per request (none on a public route) and no write
//! when nothing changed; a token refresh re-reads under its lock.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{Json, Router, routing::get};
use logto::{
    Context, Logto, MemoryStore, SessionStore,
    store::{Expect, LockToken, Record, StoreFuture},
};
use logto_test_support::Browser;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::support::{RESOURCE, TestApp, TestAuth, provider};

/// A real memory store that counts its round trips.
#[derive(Default)]
struct Counting {
    inner: MemoryStore,
    loads: AtomicUsize,
    saves: AtomicUsize,
    locks: AtomicUsize,
}

impl Counting {
    /// (loads, saves, locks) since the last call.
    fn take(&self) -> (usize, usize, usize) {
        (
            self.loads.swap(0, Ordering::SeqCst),
            self.saves.swap(0, Ordering::SeqCst),
            self.locks.swap(0, Ordering::SeqCst),
        )
    }
}

impl SessionStore for Counting {
    fn load<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Record>> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load(id)
    }

    fn save<'a>(
        &'a self,
        id: &'a str,
        data: &'a [u8],
        ttl: Duration,
        expect: Expect,
    ) -> StoreFuture<'a, Option<u64>> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        self.inner.save(id, data, ttl, expect)
    }

    fn delete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        self.inner.delete(id)
    }

    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Option<LockToken>> {
        self.locks.fetch_add(1, Ordering::SeqCst);
        self.inner.try_lock(key, ttl)
    }

    fn unlock<'a>(&'a self, key: &'a str, token: &'a LockToken) -> StoreFuture<'a, ()> {
        self.inner.unlock(key, token)
    }
}

#[logto::protected(config = TestAuth, scope = "read")]
async fn guarded(ctx: Context) -> Json<Value> {
    Json(json!({ "sub": ctx.claims().map(|c| c.sub().to_owned()) }))
}

/// The test app's routes, plus a guarded handler that takes `Context` too.
fn app(logto: &Logto) -> Router {
    crate::support::app(logto).merge(
        Router::new()
            .route("/guarded", get(guarded))
            .layer(logto.layer()),
    )
}

async fn get_settled(base: &str, path: &str, cookie: &str) -> Value {
    let response = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert!(
        response.headers().get(header::SET_COOKIE).is_none(),
        "{path}: a settled session changes nothing"
    );
    let body = response.text().await.unwrap();
    serde_json::from_str(&body).unwrap_or(Value::String(body))
}

#[tokio::test]
async fn a_settled_cookie_session_makes_no_provider_call() {
    let app = TestApp::start("cost-cookie").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let (status, first) = browser
        .json(&app.url(&format!("/api/token?resource={RESOURCE}")))
        .await;
    assert_eq!(status, StatusCode::OK);
    let cookie = browser.cookie_header(&app.base);
    // This client's calls (tests running beside it call the provider too).
    let before = provider().counts(&app.client_id).await;
    for _ in 0..20 {
        let home = get_settled(&app.base, "/", &cookie).await;
        assert_eq!(home["authenticated"], true);
        assert_eq!(home["sub"], "user_demo");
        let profile = get_settled(&app.base, "/api/profile", &cookie).await;
        assert_eq!(profile["claims"]["sub"], "user_demo");
        let token = get_settled(
            &app.base,
            &format!("/api/token?resource={RESOURCE}"),
            &cookie,
        )
        .await;
        assert_eq!(
            token["access_token"], first["access_token"],
            "the cached token"
        );
        assert_eq!(
            get_settled(&app.base, "/page", &cookie).await,
            "Hello, user_demo"
        );
    }
    let after = provider().counts(&app.client_id).await;
    assert_eq!(before, after, "no provider call on the steady path");
}

#[tokio::test]
async fn a_store_session_costs_one_read_per_request_and_no_write() {
    let store = Arc::new(Counting::default());
    let base = start(&store, "cost-store").await;
    let browser = Browser::new();
    browser.sign_in_demo(&base).await;
    let (status, first) = browser
        .json(&format!("{base}/api/token?resource={RESOURCE}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let cookie = browser.cookie_header(&base);
    store.take();

    assert_eq!(get_settled(&base, "/orders", &cookie).await, "orders");
    assert_eq!(store.take(), (0, 0, 0), "a public route reads nothing");
    for (path, what) in [
        ("/", "Context"),
        ("/api/profile", "Context's ID token claims"),
        ("/guarded", "a session guard with a scope, then Context"),
        ("/page", "a claims extractor"),
    ] {
        get_settled(&base, path, &cookie).await;
        assert_eq!(store.take(), (1, 0, 0), "{what}: one read, no write");
    }
    let token = get_settled(&base, &format!("/api/token?resource={RESOURCE}"), &cookie).await;
    assert_eq!(token["access_token"], first["access_token"]);
    assert_eq!(store.take(), (1, 0, 0), "a cached access token: one read");

    // A refresh: the first read, the read again under the lock, the save.
    let (status, refreshed) = browser
        .json(&format!(
            "{base}/api/token?resource={RESOURCE}&force_refresh=true"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_ne!(refreshed["access_token"], first["access_token"]);
    let (loads, saves, locks) = store.take();
    assert_eq!((loads, locks), (2, 1), "a refresh re-reads under its lock");
    assert!(
        (1..=2).contains(&saves),
        "{saves} saves (one, or two on a conflict)"
    );
}

/// The test app with `/guarded`, its sessions in `store`.
async fn start(store: &Arc<Counting>, name: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let client_id = logto_test_support::unique_id(name);
    provider()
        .register_client(logto_test_support::idp::client(
            &client_id,
            "test-secret",
            &base,
        ))
        .await;
    let logto = Logto::builder::<TestAuth>()
        .endpoint(&provider().endpoint)
        .app_id(&client_id)
        .app_secret("test-secret")
        .base_url(&base)
        .cookie_secret(crate::support::SECRET)
        .session_store(store.clone())
        .build()
        .unwrap();
    crate::support::serve(listener, app(&logto));
    base
}
