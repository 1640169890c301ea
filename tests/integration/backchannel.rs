//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0) against the test
//! provider, which posts logout tokens to the app when its session ends: cookie
//! sessions on one instance and on two sharing a revocation store, store sessions on
//! two instances over Redis and PostgreSQL, and bad tokens that must change nothing.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::{Router, routing::get};
use logto::{
    BackchannelLogout, Guard, LogoutTarget, Logto, LogtoBuilder, MemoryStore, PostgresStore,
    RedisStore, Revocation, SessionStore,
    store::{Expect, LockToken, Record, StoreFuture},
};
use logto_test_support::{Browser, form_action, hidden_inputs, idp, unique_id};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::support::{SECRET, TestAuth, app, provider, serve};

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Instances of one app (one client id), each on its own port; the provider posts
/// logout tokens to the first.
struct Apps {
    client_id: String,
    bases: Vec<String>,
}

impl Apps {
    fn logout_url(&self) -> String {
        format!("{}/backchannel-logout", self.bases[0])
    }
}

/// Starts `count` instances; `configure` gets each one's builder.
async fn start(name: &str, count: usize, configure: impl Fn(LogtoBuilder) -> LogtoBuilder) -> Apps {
    let mut listeners = Vec::new();
    for _ in 0..count {
        listeners.push(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap());
    }
    let bases: Vec<String> = listeners
        .iter()
        .map(|l| format!("http://{}", l.local_addr().unwrap()))
        .collect();
    let client_id = unique_id(name);
    let mut client = idp::client(&client_id, "test-secret", &bases[0]);
    client["redirect_uris"] = json!(
        bases
            .iter()
            .map(|b| format!("{b}/callback"))
            .collect::<Vec<_>>()
    );
    client["backchannel_logout_uri"] = json!(format!("{}/backchannel-logout", bases[0]));
    client["backchannel_logout_session_required"] = json!(true);
    provider().register_client(client).await;
    for (listener, base) in listeners.into_iter().zip(&bases) {
        let builder = Logto::builder::<TestAuth>()
            .endpoint(&provider().endpoint)
            .app_id(&client_id)
            .app_secret("test-secret")
            .base_url(base)
            .cookie_secret(SECRET);
        let logto = configure(builder).build().unwrap();
        serve(listener, routes(&logto));
    }
    Apps { client_id, bases }
}

/// The test app's routes, and a session guard whose verdicts are cached.
fn routes(logto: &Logto) -> Router {
    Router::new()
        .route("/guarded", get(|| async { "guarded" }))
        .route_layer(logto.guard(Guard::new()).unwrap())
        .layer(logto.layer())
        .merge(app(logto))
}

fn options() -> BackchannelLogout {
    BackchannelLogout::new()
}

async fn status(browser: &Browser, url: &str) -> StatusCode {
    browser.get(url).await.status()
}

/// The `sid` and `sub` of the session's ID token.
async fn ids(browser: &Browser, base: &str) -> (String, String) {
    let (status, body) = browser.json(&format!("{base}/api/profile")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let claims = &body["claims"];
    let sid = claims["sid"].as_str().expect("the ID token has a sid");
    (sid.to_owned(), claims["sub"].as_str().unwrap().to_owned())
}

/// Ends the browser's provider session as Logto's sign-out page does: end-session,
/// then its confirmation form. The provider posts the logout token before it answers.
async fn end_provider_session(browser: &Browser, apps: &Apps) {
    let url = format!(
        "{}?client_id={}&post_logout_redirect_uri={}/",
        provider().issuer() + "/session/end",
        apps.client_id,
        apps.bases[0]
    );
    let html = browser.get(&url).await.text().await.unwrap();
    let action = form_action(&html, "logout").expect("the provider's logout form");
    let response = browser
        .http
        .post(&action)
        .form(&hidden_inputs(&html))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

/// A logout token for this client, signed by the provider's real key.
fn claims(apps: &Apps, sid: Option<&str>, sub: Option<&str>) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut claims = json!({
        "iss": provider().issuer(),
        "aud": apps.client_id,
        "iat": now,
        "exp": now + 120,
        "jti": unique_id("jti"),
        "events": { EVENT: {} },
    });
    if let Some(sid) = sid {
        claims["sid"] = json!(sid);
    }
    if let Some(sub) = sub {
        claims["sub"] = json!(sub);
    }
    claims
}

async fn sign(claims: &Value) -> String {
    provider()
        .sign(claims.clone(), json!({ "typ": "logout+jwt" }))
        .await
}

/// Posts `token` as the provider does; the status and the JSON body.
async fn post_token(url: &str, token: &str) -> (StatusCode, Option<String>, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .form(&[("logout_token", token)])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let cache = response
        .headers()
        .get(header::CACHE_CONTROL)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.unwrap_or(Value::Null);
    (status, cache, body)
}

/// Waits (polling, at most 5 s) until `url` answers `expected`.
async fn eventually(browser: &Browser, url: &str, expected: StatusCode) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let got = status(browser, url).await;
        if got == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{url} still answers {got} after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn ending_the_provider_session_signs_the_app_out() {
    let apps = start("bcl-cookie", 1, |b| b.backchannel_logout(options())).await;
    let base = &apps.bases[0];
    let browser = Browser::new();
    browser.sign_in_demo(base).await;
    let guarded = format!("{base}/guarded");
    // Twice: the second is answered from the guard's verdict cache.
    assert_eq!(status(&browser, &guarded).await, StatusCode::OK);
    assert_eq!(status(&browser, &guarded).await, StatusCode::OK);

    end_provider_session(&browser, &apps).await;

    assert_eq!(status(&browser, &guarded).await, StatusCode::UNAUTHORIZED);
    let (status, _) = browser.json(&format!("{base}/api/profile")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the session is gone");
    // Signing in again is a new provider session, not logged out.
    browser.sign_in_demo(base).await;
    assert_eq!(self::status(&browser, &guarded).await, StatusCode::OK);
}

#[tokio::test]
async fn bad_logout_tokens_are_400_and_sign_nobody_out() {
    let apps = start("bcl-bad", 1, |b| b.backchannel_logout(options())).await;
    let base = &apps.bases[0];
    let browser = Browser::new();
    browser.sign_in_demo(base).await;
    let (sid, sub) = ids(&browser, base).await;
    let url = apps.logout_url();
    let good = claims(&apps, Some(&sid), Some(&sub));

    let change = |f: &dyn Fn(&mut Value)| {
        let mut claims = good.clone();
        claims["jti"] = json!(unique_id("jti"));
        f(&mut claims);
        claims
    };
    let mut bad: Vec<(&str, String)> = Vec::new();
    let real = sign(&good).await;
    // Forged: the provider's signature over another payload.
    let mut parts: Vec<String> = real.split('.').map(str::to_owned).collect();
    let forged = change(&|c| c["sub"] = json!("someone-else"));
    parts[1] = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        forged.to_string(),
    );
    bad.push(("forged", parts.join(".")));
    bad.push((
        "expired",
        sign(&change(&|c| {
            c["iat"] = json!(c["iat"].as_u64().unwrap() - 300);
            c["exp"] = json!(c["iat"].as_u64().unwrap() + 60);
        }))
        .await,
    ));
    bad.push((
        "too old",
        sign(&change(&|c| {
            c["iat"] = json!(c["iat"].as_u64().unwrap() - 700)
        }))
        .await,
    ));
    bad.push((
        "wrong iss",
        sign(&change(&|c| c["iss"] = json!("http://127.0.0.9/oidc"))).await,
    ));
    bad.push((
        "wrong aud",
        sign(&change(&|c| c["aud"] = json!("another-client"))).await,
    ));
    bad.push(("nonce", sign(&change(&|c| c["nonce"] = json!("n"))).await));
    bad.push((
        "no events",
        sign(&change(&|c| {
            c.as_object_mut().unwrap().remove("events");
        }))
        .await,
    ));
    bad.push((
        "no sub nor sid",
        sign(&change(&|c| {
            let c = c.as_object_mut().unwrap();
            c.remove("sub");
            c.remove("sid");
        }))
        .await,
    ));
    bad.push((
        "an ID token's typ",
        provider()
            .sign(change(&|_| {}), json!({ "typ": "JWT" }))
            .await,
    ));
    bad.push(("garbage", "not-a-jwt".into()));
    for (what, token) in &bad {
        let (status, cache, body) = post_token(&url, token).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
        assert_eq!(body["error"], "invalid_request", "{what}");
        assert_eq!(cache.as_deref(), Some("no-store"), "{what}");
        assert_eq!(
            self::status(&browser, &format!("{base}/guarded")).await,
            StatusCode::OK,
            "{what} signed the user out"
        );
    }
    // No token, or not a form.
    let response = reqwest::Client::new()
        .post(&url)
        .json(&json!({ "logout_token": real }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // Replayed: a good token for another provider session, twice.
    let other = sign(&claims(&apps, Some("another-sid"), Some(&sub))).await;
    assert_eq!(post_token(&url, &other).await.0, StatusCode::OK);
    let (status, cache, body) = post_token(&url, &other).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "replayed: {body}");
    assert_eq!(cache.as_deref(), Some("no-store"));
    assert_eq!(
        self::status(&browser, &format!("{base}/guarded")).await,
        StatusCode::OK
    );

    // The good one, signed by the provider, ends the session.
    let (status, cache, _) = post_token(&url, &real).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cache.as_deref(), Some("no-store"));
    assert_eq!(
        self::status(&browser, &format!("{base}/guarded")).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_logout_by_user_ends_the_sessions_of_that_moment_never_a_later_one() {
    let store = Arc::new(MemoryStore::default());
    let apps = start("bcl-sub", 1, |b| {
        b.session_store(store.clone()).backchannel_logout(options())
    })
    .await;
    let base = &apps.bases[0];
    let (first, second) = (Browser::new(), Browser::new());
    first.sign_in_demo(base).await;
    second.sign_in_demo(base).await;
    let (_, sub) = ids(&first, base).await;
    let token = sign(&claims(&apps, None, Some(&sub))).await;
    assert_eq!(
        post_token(&apps.logout_url(), &token).await.0,
        StatusCode::OK
    );
    let guarded = format!("{base}/guarded");
    assert_eq!(status(&first, &guarded).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(&second, &guarded).await, StatusCode::UNAUTHORIZED);
    assert!(store.is_empty(), "both sessions deleted");
    let later = Browser::new();
    later.sign_in_demo(base).await;
    assert_eq!(status(&later, &guarded).await, StatusCode::OK);

    // Cookie sessions: the same, by the revocation list and the sign-in time.
    let apps = start("bcl-sub-cookie", 1, |b| b.backchannel_logout(options())).await;
    let base = &apps.bases[0];
    let early = Browser::new();
    early.sign_in_demo(base).await;
    let token = sign(&claims(&apps, None, Some(&sub))).await;
    assert_eq!(
        post_token(&apps.logout_url(), &token).await.0,
        StatusCode::OK
    );
    let guarded = format!("{base}/guarded");
    assert_eq!(status(&early, &guarded).await, StatusCode::UNAUTHORIZED);
    let later = Browser::new();
    later.sign_in_demo(base).await;
    assert_eq!(status(&later, &guarded).await, StatusCode::OK);
}

/// Two instances of an app on one shared store: a logout delivered to one is seen by
/// both.
async fn two_instances_forget(name: &str, configure: impl Fn(LogtoBuilder) -> LogtoBuilder) {
    let apps = start(name, 2, configure).await;
    let browser = Browser::new();
    browser.sign_in_demo(&apps.bases[0]).await;
    // The cookie jar sends the host's cookies to either port: one session, two
    // instances.
    for base in &apps.bases {
        assert_eq!(
            status(&browser, &format!("{base}/guarded")).await,
            StatusCode::OK
        );
    }
    end_provider_session(&browser, &apps).await;
    for base in &apps.bases {
        eventually(
            &browser,
            &format!("{base}/guarded"),
            StatusCode::UNAUTHORIZED,
        )
        .await;
        let (status, _) = browser.json(&format!("{base}/api/profile")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // A token one instance took is a replay at the other: the jti is in the store.
    let token = sign(&claims(&apps, Some("another-sid"), None)).await;
    let urls: Vec<String> = apps
        .bases
        .iter()
        .map(|b| format!("{b}/backchannel-logout"))
        .collect();
    assert_eq!(post_token(&urls[0], &token).await.0, StatusCode::OK);
    assert_eq!(
        post_token(&urls[1], &token).await.0,
        StatusCode::BAD_REQUEST
    );
}

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Two connections to Redis under one prefix, one for each app instance.
async fn two_redis_stores(prefix: &str) -> std::sync::Mutex<Vec<RedisStore>> {
    let mut stores = Vec::new();
    for _ in 0..2 {
        stores.push(RedisStore::connect(&redis_url(), prefix).await.unwrap());
    }
    std::sync::Mutex::new(stores)
}

#[tokio::test]
async fn two_instances_on_redis_both_forget_the_session() {
    let prefix = format!("{}:", unique_id("logto_test_bcl"));
    let stores = two_redis_stores(&prefix).await;
    two_instances_forget("bcl-redis", |b| {
        let store = stores.lock().unwrap().pop().unwrap();
        b.session_store(store).backchannel_logout(options())
    })
    .await;
}

#[tokio::test]
async fn two_instances_on_postgres_both_forget_the_session() {
    let schema = unique_id("logto_test_bcl");
    let mut stores = Vec::new();
    for _ in 0..2 {
        stores.push(
            PostgresStore::connect(&database_url(), &schema)
                .await
                .unwrap(),
        );
    }
    let stores = std::sync::Mutex::new(stores);
    two_instances_forget("bcl-pg", |b| {
        let store = stores.lock().unwrap().pop().unwrap();
        b.session_store(store).backchannel_logout(options())
    })
    .await;
}

#[tokio::test]
async fn two_cookie_instances_sharing_a_revocation_store_both_forget_the_session() {
    let prefix = format!("{}:", unique_id("logto_test_bcl_rev"));
    let stores = two_redis_stores(&prefix).await;
    two_instances_forget("bcl-revocations", |b| {
        let store = stores.lock().unwrap().pop().unwrap();
        b.backchannel_logout(
            options()
                .revocation_store(store)
                .poll_interval(Duration::from_millis(100)),
        )
    })
    .await;
}

#[tokio::test]
async fn the_route_is_opt_in_and_its_path_configurable() {
    let apps = start("bcl-off", 1, |b| b).await;
    let token = sign(&claims(&apps, Some("sid"), None)).await;
    let (status, _, _) = post_token(&apps.logout_url(), &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not mounted unless enabled");

    let apps = start("bcl-path", 1, |b| {
        b.backchannel_logout(options().path("/auth/logout-token"))
    })
    .await;
    let url = format!("{}/auth/logout-token", apps.bases[0]);
    assert_eq!(
        post_token(&url, &token).await.0,
        StatusCode::BAD_REQUEST,
        "another client's token"
    );
    let token = sign(&claims(&apps, Some("sid"), None)).await;
    assert_eq!(post_token(&url, &token).await.0, StatusCode::OK);

    // A store without the index cannot be used with it: said at startup.
    let error = Logto::builder::<TestAuth>()
        .endpoint(&provider().endpoint)
        .app_id("app")
        .app_secret("secret")
        .base_url("http://127.0.0.1:1")
        .cookie_secret(SECRET)
        .session_store(NoIndex(MemoryStore::default()))
        .backchannel_logout(options())
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("backchannel_logout"), "{error}");
}

/// A store written before back-channel logout: the trait's new methods are defaults.
struct NoIndex(MemoryStore);

impl SessionStore for NoIndex {
    fn load<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Record>> {
        self.0.load(id)
    }

    fn save<'a>(
        &'a self,
        id: &'a str,
        data: &'a [u8],
        ttl: Duration,
        expect: Expect,
    ) -> StoreFuture<'a, Option<u64>> {
        self.0.save(id, data, ttl, expect)
    }

    fn delete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        self.0.delete(id)
    }

    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Option<LockToken>> {
        self.0.try_lock(key, ttl)
    }

    fn unlock<'a>(&'a self, key: &'a str, token: &'a LockToken) -> StoreFuture<'a, ()> {
        self.0.unlock(key, token)
    }
}

#[tokio::test]
async fn the_quickstart_enables_it() {
    use crate::quickstart::app as quickstart;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let client_id = unique_id("bcl-quickstart");
    let mut client = idp::client(&client_id, "test-secret", &base);
    client["backchannel_logout_uri"] = json!(format!("{base}/backchannel-logout"));
    client["backchannel_logout_session_required"] = json!(true);
    provider().register_client(client).await;
    let logto = quickstart::configure(Logto::builder::<quickstart::Auth>())
        .endpoint(&provider().endpoint)
        .app_id(&client_id)
        .app_secret("test-secret")
        .base_url(&base)
        .cookie_secret(SECRET)
        .build()
        .unwrap();
    assert_eq!(logto.backchannel_logout_path(), Some("/backchannel-logout"));
    serve(listener, quickstart::router(&logto));
    let browser = Browser::new();
    browser.sign_in_demo(&base).await;
    let profile = format!("{base}/api/profile");
    assert_eq!(status(&browser, &profile).await, StatusCode::OK);
    let apps = Apps {
        client_id,
        bases: vec![base.clone()],
    };
    end_provider_session(&browser, &apps).await;
    assert_eq!(status(&browser, &profile).await, StatusCode::UNAUTHORIZED);
}

/// What every store of this crate promises back-channel logout.
async fn index_contract(store: &dyn SessionStore) {
    let ttl = Duration::from_secs(60);
    let id = |name: &str| unique_id(name);
    let (user, other_user) = (id("sub"), id("sub"));
    let (sid_a, sid_b) = (id("sid"), id("sid"));
    let (a, b, c) = (id("a"), id("b"), id("c"));
    for (session, sid, sub) in [
        (&a, Some(&sid_a), &user),
        (&b, Some(&sid_b), &user),
        (&c, None, &other_user),
    ] {
        assert_eq!(
            store
                .save(session, b"x", ttl, Expect::Absent)
                .await
                .unwrap(),
            Some(1)
        );
        store
            .index_session(session, sid.map(String::as_str), sub, ttl)
            .await
            .unwrap();
    }
    assert!(store.supports_backchannel_logout());
    let by_sid = LogoutTarget::Sid(sid_a.clone());
    assert_eq!(store.end_sessions(&by_sid).await.unwrap(), 1);
    assert_eq!(store.load(&a).await.unwrap(), None);
    assert!(
        store.load(&b).await.unwrap().is_some(),
        "another provider session"
    );
    assert_eq!(store.end_sessions(&by_sid).await.unwrap(), 0, "once");
    let by_user = LogoutTarget::Subject {
        sub: user.clone(),
        at: 0,
    };
    assert_eq!(store.end_sessions(&by_user).await.unwrap(), 1);
    assert_eq!(store.load(&b).await.unwrap(), None);
    assert!(store.load(&c).await.unwrap().is_some(), "another user");
    // A sign-in after the logout is not ended by it.
    let d = id("d");
    store.save(&d, b"x", ttl, Expect::Absent).await.unwrap();
    store.index_session(&d, None, &user, ttl).await.unwrap();
    assert!(store.load(&d).await.unwrap().is_some());

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let live = Revocation {
        target: by_sid.clone(),
        until: now + 60,
    };
    let longer = Revocation {
        until: now + 120,
        ..live.clone()
    };
    let user_revocation = Revocation {
        target: LogoutTarget::Subject {
            sub: user.clone(),
            at: 1_700_000_000_123,
        },
        until: now + 60,
    };
    let expired = Revocation {
        target: LogoutTarget::Sid(id("old")),
        until: now - 1,
    };
    for revocation in [&live, &longer, &live, &user_revocation, &expired] {
        store.add_revocation(revocation).await.unwrap();
    }
    let mut listed = store.revocations().await.unwrap();
    listed.sort_by_key(|r| r.until);
    assert_eq!(
        listed,
        vec![user_revocation, longer],
        "the longest of a target, none expired"
    );
}

#[tokio::test]
async fn every_store_keeps_the_index_and_the_revocations() {
    index_contract(&MemoryStore::default()).await;
    let prefix = format!("{}:", unique_id("logto_test_bcl_contract"));
    index_contract(&RedisStore::connect(&redis_url(), prefix).await.unwrap()).await;
    let schema = unique_id("logto_test_bcl_contract");
    index_contract(
        &PostgresStore::connect(&database_url(), &schema)
            .await
            .unwrap(),
    )
    .await;
}

/// A store whose back-channel logout calls fail while `down`.
#[derive(Default)]
struct Flaky {
    store: MemoryStore,
    down: AtomicBool,
}

impl Flaky {
    /// `call()` unless the store is down. A closure: `MemoryStore` does its work when
    /// called, not when polled.
    fn unless_down<'a, T: Send + 'a>(
        &self,
        call: impl FnOnce() -> StoreFuture<'a, T>,
    ) -> StoreFuture<'a, T> {
        if self.down.load(Ordering::SeqCst) {
            Box::pin(std::future::ready(Err(logto::StoreError::Unavailable(
                "connection refused by db.internal:6379".into(),
            ))))
        } else {
            call()
        }
    }
}

impl SessionStore for Flaky {
    fn load<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Record>> {
        self.store.load(id)
    }

    fn save<'a>(
        &'a self,
        id: &'a str,
        data: &'a [u8],
        ttl: Duration,
        expect: Expect,
    ) -> StoreFuture<'a, Option<u64>> {
        self.store.save(id, data, ttl, expect)
    }

    fn delete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        self.store.delete(id)
    }

    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Option<LockToken>> {
        self.store.try_lock(key, ttl)
    }

    fn unlock<'a>(&'a self, key: &'a str, token: &'a LockToken) -> StoreFuture<'a, ()> {
        self.store.unlock(key, token)
    }

    fn supports_backchannel_logout(&self) -> bool {
        true
    }

    fn index_session<'a>(
        &'a self,
        id: &'a str,
        sid: Option<&'a str>,
        sub: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        self.store.index_session(id, sid, sub, ttl)
    }

    fn end_sessions<'a>(&'a self, target: &'a LogoutTarget) -> StoreFuture<'a, u64> {
        self.unless_down(|| self.store.end_sessions(target))
    }

    fn add_revocation<'a>(&'a self, revocation: &'a Revocation) -> StoreFuture<'a, ()> {
        self.unless_down(|| self.store.add_revocation(revocation))
    }

    fn revocations(&self) -> StoreFuture<'_, Vec<Revocation>> {
        self.unless_down(|| self.store.revocations())
    }
}

#[tokio::test]
async fn a_store_that_fails_is_503_and_the_providers_retry_goes_through() {
    let store = Arc::new(Flaky::default());
    let apps = start("bcl-503", 1, |b| {
        b.session_store(store.clone()).backchannel_logout(options())
    })
    .await;
    let base = &apps.bases[0];
    let browser = Browser::new();
    browser.sign_in_demo(base).await;
    let (sid, sub) = ids(&browser, base).await;
    let token = sign(&claims(&apps, Some(&sid), Some(&sub))).await;
    store.down.store(true, Ordering::SeqCst);
    let (status, cache, body) = post_token(&apps.logout_url(), &token).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"], "session_store_unavailable");
    assert!(!body.to_string().contains("db.internal"), "{body}");
    assert_eq!(cache.as_deref(), Some("no-store"));
    let guarded = format!("{base}/guarded");
    assert_eq!(self::status(&browser, &guarded).await, StatusCode::OK);
    // The provider sends the same token again: not a replay, since it was not taken.
    store.down.store(false, Ordering::SeqCst);
    assert_eq!(
        post_token(&apps.logout_url(), &token).await.0,
        StatusCode::OK
    );
    assert_eq!(
        self::status(&browser, &guarded).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_revocation_store_that_fails_is_503_and_the_retry_reaches_every_instance() {
    let store = Arc::new(Flaky::default());
    let apps = start("bcl-503-cookie", 2, |b| {
        b.backchannel_logout(
            options()
                .revocation_store(store.clone())
                .poll_interval(Duration::from_millis(100)),
        )
    })
    .await;
    let browser = Browser::new();
    browser.sign_in_demo(&apps.bases[0]).await;
    let (sid, sub) = ids(&browser, &apps.bases[0]).await;
    let token = sign(&claims(&apps, Some(&sid), Some(&sub))).await;
    store.down.store(true, Ordering::SeqCst);
    let (status, _, body) = post_token(&apps.logout_url(), &token).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(!body.to_string().contains("db.internal"), "{body}");
    store.down.store(false, Ordering::SeqCst);
    assert_eq!(
        post_token(&apps.logout_url(), &token).await.0,
        StatusCode::OK
    );
    for base in &apps.bases {
        eventually(
            &browser,
            &format!("{base}/guarded"),
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
}
