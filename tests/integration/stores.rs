//! External session stores: one behavioural suite for every store, then the stores
//! behind apps: small cookies, fixation, sign-out, a store that goes down and comes
//! back, and two app processes sharing one store and one session.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use futures_util::future::join_all;
use logto::{MemoryStore, PostgresStore, RedisStore, SessionStore, store::Expect};
use logto_test_support::{Browser, free_port, idp, idp::count, unique_id};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{RESOURCE, SECRET, TestApp, provider};

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

async fn redis_store(url: &str) -> RedisStore {
    RedisStore::connect(url, format!("{}:", unique_id("logto_test_redis")))
        .await
        .unwrap_or_else(|e| {
            panic!("Redis at {url}: {e}. Start it (redis-server --port 6379) or set REDIS_URL.")
        })
}

async fn postgres_store(url: &str) -> PostgresStore {
    PostgresStore::connect(url, &unique_id("logto_test_pg"))
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {url}: {e}. Start it (pg_ctlcluster 15 main start) or set DATABASE_URL."))
}

/// What every store promises.
pub(crate) async fn contract(store: &dyn SessionStore) {
    assert_eq!(store.load("a").await.unwrap(), None);
    assert_eq!(
        store
            .save("a", b"one", Duration::from_secs(60), Expect::Absent)
            .await
            .unwrap(),
        Some(1)
    );
    assert_eq!(
        store
            .save("a", b"two", Duration::from_secs(60), Expect::Absent)
            .await
            .unwrap(),
        None,
        "no overwrite of a live session"
    );
    let record = store.load("a").await.unwrap().unwrap();
    assert_eq!((record.data.as_slice(), record.version), (&b"one"[..], 1));
    assert_eq!(
        store
            .save("a", b"two", Duration::from_secs(60), Expect::Version(1))
            .await
            .unwrap(),
        Some(2)
    );
    assert_eq!(
        store
            .save("a", b"old", Duration::from_secs(60), Expect::Version(1))
            .await
            .unwrap(),
        None,
        "compare-and-set refuses a stale version"
    );
    assert_eq!(store.load("a").await.unwrap().unwrap().data, b"two");
    store.delete("a").await.unwrap();
    assert_eq!(store.load("a").await.unwrap(), None);

    store
        .save("short", b"x", Duration::from_millis(300), Expect::Absent)
        .await
        .unwrap();
    assert!(store.load("short").await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(store.load("short").await.unwrap(), None, "expired");
    assert!(
        store
            .save("short", b"y", Duration::from_secs(60), Expect::Absent)
            .await
            .unwrap()
            .is_some(),
        "an expired id is free again"
    );

    let held = store
        .try_lock("l", Duration::from_secs(60))
        .await
        .unwrap()
        .expect("a free lock");
    assert_eq!(
        store.try_lock("l", Duration::from_secs(60)).await.unwrap(),
        None,
        "held"
    );
    store
        .unlock("l", &logto::store::LockToken("not-the-holder".into()))
        .await
        .unwrap();
    assert_eq!(
        store.try_lock("l", Duration::from_secs(60)).await.unwrap(),
        None,
        "only the holder unlocks"
    );
    store.unlock("l", &held).await.unwrap();
    assert!(
        store
            .try_lock("l", Duration::from_millis(300))
            .await
            .unwrap()
            .is_some()
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        store
            .try_lock("l", Duration::from_secs(60))
            .await
            .unwrap()
            .is_some(),
        "a lock expires"
    );
}

#[tokio::test]
async fn memory_store_contract() {
    contract(&MemoryStore::new(100)).await;
}

#[tokio::test]
async fn redis_store_contract() {
    contract(&redis_store(&redis_url()).await).await;
}

#[tokio::test]
async fn postgres_store_contract() {
    contract(&postgres_store(&database_url()).await).await;
}

/// The ids left in a table of the PostgreSQL store, expired or not.
async fn pg_ids(db: &mut sqlx::PgConnection, schema: &str, table: &str, key: &str) -> Vec<String> {
    sqlx::query_scalar(&format!(
        "SELECT {key} FROM \"{schema}\".{table} ORDER BY {key}"
    ))
    .fetch_all(db)
    .await
    .unwrap()
}

async fn pg_side_connection() -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(&database_url()).await.unwrap()
}

/// Polls until `table` holds exactly `expected`, for at most 5 s.
async fn pg_wait_for(
    db: &mut sqlx::PgConnection,
    schema: &str,
    (table, key): (&str, &str),
    expected: &[&str],
) {
    let mut ids = Vec::new();
    for _ in 0..50 {
        ids = pg_ids(db, schema, table, key).await;
        if ids == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{table} still holds {ids:?}, expected {expected:?}");
}

const SESSIONS: (&str, &str) = ("logto_sessions", "id");
const LOCKS: (&str, &str) = ("logto_session_locks", "key");

#[tokio::test]
async fn postgres_sweeps_expired_sessions_and_locks_without_any_save() {
    let schema = unique_id("logto_test_pg_sweep");
    let store = PostgresStore::connect_with_sweep_interval(
        &database_url(),
        &schema,
        Duration::from_millis(100),
    )
    .await
    .unwrap();
    let ttl = Duration::from_secs(600);
    store.save("live", b"x", ttl, Expect::Absent).await.unwrap();
    store
        .save("stale", b"x", Duration::from_millis(1), Expect::Absent)
        .await
        .unwrap();
    assert!(store.try_lock("live", ttl).await.unwrap().is_some());
    assert!(
        store
            .try_lock("stale", Duration::from_millis(1))
            .await
            .unwrap()
            .is_some()
    );
    let mut db = pg_side_connection().await;

    // No save, load or lock from here on: only the background task can delete.
    pg_wait_for(&mut db, &schema, SESSIONS, &["live"]).await;
    pg_wait_for(&mut db, &schema, LOCKS, &["live"]).await;

    // Rows left behind by another process go too.
    sqlx::query(&format!(
        "INSERT INTO \"{schema}\".logto_session_locks VALUES ('crashed', 't', now() - interval '1 hour')"
    ))
    .execute(&mut db)
    .await
    .unwrap();
    pg_wait_for(&mut db, &schema, LOCKS, &["live"]).await;

    // The task is the store's: dropped with it, it sweeps no more.
    drop(store);
    tokio::time::sleep(Duration::from_millis(100)).await;
    sqlx::query(&format!(
        "INSERT INTO \"{schema}\".logto_sessions VALUES ('after', 'x', 1, now() - interval '1 hour')"
    ))
    .execute(&mut db)
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        pg_ids(&mut db, &schema, SESSIONS.0, SESSIONS.1).await,
        ["after", "live"]
    );
}

#[tokio::test]
async fn postgres_saves_never_wait_for_the_sweep() {
    use sqlx::Connection;
    let schema = unique_id("logto_test_pg_nowait");
    // A sweep as often as possible: were it on the request path, every save would meet it.
    let store = PostgresStore::connect_with_sweep_interval(
        &database_url(),
        &schema,
        Duration::from_millis(10),
    )
    .await
    .unwrap();
    let mut db = pg_side_connection().await;
    // Rows that expire in a moment (before, the sweep leaves them alone), then held by
    // another transaction: a DELETE of them waits until it ends.
    for statement in [
        format!(
            "INSERT INTO \"{schema}\".logto_sessions VALUES ('held', 'x', 1, now() + interval '500 milliseconds')"
        ),
        format!(
            "INSERT INTO \"{schema}\".logto_session_locks VALUES ('held', 't', now() + interval '500 milliseconds')"
        ),
    ] {
        sqlx::query(&statement).execute(&mut db).await.unwrap();
    }
    let mut holder = pg_side_connection().await;
    let mut tx = holder.begin().await.unwrap();
    for (table, key) in [SESSIONS, LOCKS] {
        let held: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT {key} FROM \"{schema}\".{table} WHERE {key} = 'held' FOR UPDATE"
        ))
        .fetch_all(&mut *tx)
        .await
        .unwrap();
        assert_eq!(held, ["held"], "{table}.held");
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let expired: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM \"{schema}\".logto_sessions WHERE id = 'held' AND expires_at < now()"
    ))
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(
        expired, 1,
        "the held row has expired, and the sweep could not take it"
    );

    for i in 0..100 {
        let id = format!("s{i}");
        let saved = tokio::time::timeout(
            Duration::from_secs(3),
            store.save(&id, b"x", Duration::from_secs(600), Expect::Absent),
        )
        .await
        .unwrap_or_else(|_| panic!("save {i} waited for a DELETE of expired rows"));
        assert_eq!(saved.unwrap(), Some(1));
        let locked = tokio::time::timeout(
            Duration::from_secs(3),
            store.try_lock(&id, Duration::from_secs(600)),
        )
        .await
        .unwrap_or_else(|_| panic!("lock {i} waited for a DELETE of expired rows"));
        assert!(locked.unwrap().is_some());
    }

    // The sweep skipped the held rows, and takes them once they are free.
    tx.rollback().await.unwrap();
    let mut live: Vec<String> = (0..100).map(|i| format!("s{i}")).collect();
    live.sort();
    let live: Vec<&str> = live.iter().map(String::as_str).collect();
    pg_wait_for(&mut db, &schema, SESSIONS, &live).await;
    pg_wait_for(&mut db, &schema, LOCKS, &live).await;
}

#[tokio::test]
async fn the_memory_store_is_bounded() {
    let store = MemoryStore::new(2);
    for id in ["a", "b", "c"] {
        store
            .save(id, b"x", Duration::from_secs(60), Expect::Absent)
            .await
            .unwrap();
    }
    assert_eq!(store.len(), 2);
    assert!(store.load("c").await.unwrap().is_some(), "the newest stays");
}

pub(crate) async fn profile_status(base: &str, cookie: &str) -> StatusCode {
    reqwest::Client::new()
        .get(format!("{base}/api/profile"))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .status()
}

/// Sign-in, small cookie, new id at every sign-in, sign-out deletes, one refresh for a
/// burst: the same for every store.
async fn app_suite(name: &str, store: Arc<dyn SessionStore>) {
    let app = TestApp::start_with(name, json!({"ttl": {"access_token": 120}}), {
        let store = store.clone();
        move |b| b.session_store(store)
    })
    .await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let first = browser.cookie_header(&app.base);
    assert!(
        first.len() < 200,
        "the cookie holds only a sealed id: {} bytes",
        first.len()
    );
    assert_eq!(profile_status(&app.base, &first).await, StatusCode::OK);

    // A new sign-in in the same browser gets a new id; the old one is gone.
    let form = browser.follow(&app.url("/sign-in")).await;
    let callback = form.url.clone();
    assert!(
        callback.starts_with(&app.base),
        "the provider's session skips its form: {callback}"
    );
    let second = browser.cookie_header(&app.base);
    assert_ne!(first, second, "a sign-in renews the session id");
    assert_eq!(
        profile_status(&app.base, &first).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(profile_status(&app.base, &second).await, StatusCode::OK);

    // A burst of requests with a stale token refreshes once.
    let (_, token) = browser
        .json(&app.url(&format!("/api/token?resource={RESOURCE}")))
        .await;
    assert!(token["access_token"].is_string(), "{token}");
    let before = count(
        &provider().counts(&app.client_id).await,
        &["grants", "refresh_token"],
    );
    app.clock.advance(70);
    let url = app.url(&format!("/api/token?resource={RESOURCE}"));
    let answers = join_all((0..20).map(|_| {
        let (url, cookie) = (url.clone(), second.clone());
        async move {
            reqwest::Client::new()
                .get(&url)
                .header(header::COOKIE, cookie)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    }))
    .await;
    assert!(
        answers
            .iter()
            .all(|a| a["access_token"] == answers[0]["access_token"]
                && a["access_token"].is_string()),
        "{answers:?}"
    );
    assert_ne!(answers[0]["access_token"], token["access_token"]);
    assert_eq!(
        count(
            &provider().counts(&app.client_id).await,
            &["grants", "refresh_token"]
        ),
        before + 1
    );

    // Sign-out deletes the stored session: the cookie's id leads nowhere.
    let response = browser.sign_out(&app.base).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        profile_status(&app.base, &second).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn sessions_in_memory() {
    let store = Arc::new(MemoryStore::new(1000));
    app_suite("mem-app", store.clone()).await;
    assert!(store.is_empty(), "sign-out and renewal left nothing behind");
}

#[tokio::test]
async fn sessions_in_redis() {
    app_suite("redis-app", Arc::new(redis_store(&redis_url()).await)).await;
}

#[tokio::test]
async fn sessions_in_postgres() {
    app_suite("pg-app", Arc::new(postgres_store(&database_url()).await)).await;
}

/// A TCP proxy the test can cut: while cut, it drops what it forwards and accepts new
/// connections without answering, as a hung server would.
struct Proxy {
    port: u16,
    cut: Arc<AtomicBool>,
    generation: Arc<AtomicUsize>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let generation = Arc::new(AtomicUsize::new(0));
        let (c, g) = (cut.clone(), generation.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let (cut, generation, target) = (c.clone(), g.clone(), target.clone());
                tokio::spawn(async move {
                    if cut.load(Ordering::SeqCst) {
                        // Hold it, unanswered, until the test ends.
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        return;
                    }
                    let born = generation.load(Ordering::SeqCst);
                    let Ok(mut server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let copy = tokio::io::copy_bidirectional(&mut client, &mut server);
                    tokio::pin!(copy);
                    loop {
                        tokio::select! {
                            _ = &mut copy => return,
                            _ = tokio::time::sleep(Duration::from_millis(20)) => {
                                if generation.load(Ordering::SeqCst) != born { return; }
                            }
                        }
                    }
                });
            }
        });
        Self {
            port,
            cut,
            generation,
        }
    }

    /// Cuts every connection and waits until the forwarding tasks have noticed.
    async fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

async fn down_then_back(name: &str, store: Arc<dyn SessionStore>, proxy: &Proxy) {
    let app = TestApp::start_with(name, json!({}), {
        let store = store.clone();
        move |b| {
            b.session_store(store)
                .store_timeout(Duration::from_millis(500))
        }
    })
    .await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let cookie = browser.cookie_header(&app.base);
    assert_eq!(profile_status(&app.base, &cookie).await, StatusCode::OK);

    proxy.cut().await;
    let started = std::time::Instant::now();
    let response = reqwest::Client::new()
        .get(app.url("/api/profile"))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "session_store_unavailable", "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a timeout, not a hang"
    );

    proxy.restore();
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        status = profile_status(&app.base, &cookie).await;
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status,
        StatusCode::OK,
        "the session is intact once the store is back"
    );
}

#[tokio::test]
async fn redis_down_then_back() {
    let target = redis_url()
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_owned();
    let proxy = Proxy::start(target).await;
    let store = redis_store(&format!("redis://127.0.0.1:{}", proxy.port)).await;
    down_then_back("redis-down", Arc::new(store), &proxy).await;
}

#[tokio::test]
async fn postgres_down_then_back() {
    let url = reqwest::Url::parse(&database_url()).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let proxy = Proxy::start(target).await;
    let mut through = url.clone();
    through.set_host(Some("127.0.0.1")).unwrap();
    through.set_port(Some(proxy.port)).unwrap();
    let store = postgres_store(through.as_str()).await;
    down_then_back("pg-down", Arc::new(store), &proxy).await;
}

/// A TCP proxy the test can close for good: its port then refuses connections and
/// every forwarded connection is dropped, as a stopped server's would be.
struct ClosableProxy {
    port: u16,
    tasks: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl ClosableProxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let tasks = Arc::new(std::sync::Mutex::new(Vec::new()));
        let forwarders = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let forward = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                forwarders.lock().unwrap().push(forward.abort_handle());
            }
        });
        tasks.lock().unwrap().push(accept.abort_handle());
        Self { port, tasks }
    }

    async fn close(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_stopped_store_is_503_without_its_messages() {
    let target = redis_url()
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_owned();
    let proxy = ClosableProxy::start(target).await;
    let store: Arc<dyn SessionStore> =
        Arc::new(redis_store(&format!("redis://127.0.0.1:{}", proxy.port)).await);
    let app = TestApp::start_with("store-gone", json!({}), {
        let store = store.clone();
        move |b| {
            b.session_store(store)
                .store_timeout(Duration::from_millis(1500))
                .token_route(true)
        }
    })
    .await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let cookie = browser.cookie_header(&app.base);
    assert_eq!(profile_status(&app.base, &cookie).await, StatusCode::OK);

    proxy.close().await;
    // The raw error the store's client reports, for the comparison below.
    let raw = store.load("any").await.expect_err("the store is gone");
    let raw = raw.to_string();
    // What the app's log shows names the store; the bodies below never do.
    assert!(
        raw.contains(&format!("redis://127.0.0.1:{}", proxy.port)),
        "{raw}"
    );
    for path in [
        "/api/profile",
        "/api/token?resource=https://shopping.example.com/api",
        "/logto/token?resource=https://shopping.example.com/api",
    ] {
        let response = reqwest::Client::new()
            .get(app.url(path))
            .header(header::COOKIE, &cookie)
            // The token route's same-origin header; the other routes ignore it.
            .header("x-logto-token", "1")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        let body = response.text().await.unwrap();
        let value: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(value["error"], "session_store_unavailable", "{body}");
        assert!(
            [
                "the session store is unavailable: try again later",
                "the session store did not answer in time: try again later",
            ]
            .contains(&value["error_description"].as_str().unwrap_or_default()),
            "{body}"
        );
        let port = format!(":{}", proxy.port);
        for secret in [
            port.as_str(),
            "127.0.0.1",
            "os error",
            "redis",
            raw.as_str(),
        ] {
            assert!(
                !body.contains(secret),
                "{path}: the body shows `{secret}`: {body}"
            );
        }
    }
    // Sign-out needs the store too: its page does not show the store's words either.
    let response = reqwest::Client::new()
        .post(app.url("/sign-out"))
        .header(header::ORIGIN, &app.base)
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = response.text().await.unwrap();
    assert!(
        !body.contains(raw.as_str()) && !body.contains("os error"),
        "{body}"
    );
}

#[tokio::test]
async fn a_store_that_cannot_be_reached_at_startup_is_named_without_its_password() {
    // A port nothing listens on: the connection is refused at once.
    let port = free_port().unwrap();
    let redis = RedisStore::connect(&format!("redis://:s3cret-pw@127.0.0.1:{port}/0"), "x:")
        .await
        .expect_err("nothing listens there");
    let postgres = PostgresStore::connect(
        &format!("postgres://app:s3cret-pw@127.0.0.1:{port}/db?password=s3cret-pw"),
        "public",
    )
    .await
    .expect_err("nothing listens there");
    for (error, address) in [
        (redis, format!("redis://127.0.0.1:{port}/0")),
        (postgres, format!("postgres://app@127.0.0.1:{port}/db")),
    ] {
        let shown = error.to_string();
        assert!(
            matches!(error, logto::StoreError::Connect { .. }),
            "{error:?}"
        );
        assert!(
            shown.starts_with(&format!(
                "cannot connect to the session store at {address}: "
            )),
            "{shown}"
        );
        assert!(!shown.contains("s3cret-pw"), "{shown}");
        assert!(!format!("{error:?}").contains("s3cret-pw"), "{error:?}");
        let public = error.public_message();
        assert_eq!(public.code(), "session_store_unavailable");
        assert!(!public.description().contains("127.0.0.1"), "{public:?}");
    }
}

/// An instance of an example app, a separate OS process.
struct Instance(std::process::Child);

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn spawn_instance(example: &'static str, port: u16, env: &[(&str, String)]) -> Instance {
    let binary = crate::examples::binary(example)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut command = std::process::Command::new(binary);
    command
        .env("PORT", port.to_string())
        .stdout(std::process::Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    let instance = Instance(command.spawn().unwrap());
    for _ in 0..100 {
        if reqwest::get(format!("http://127.0.0.1:{port}/"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return instance;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{example} did not start on port {port}");
}

/// Two processes, one store, one session: a burst split across both refreshes once.
pub(crate) async fn across_instances(
    example: &'static str,
    store_env: Vec<(&'static str, String)>,
) {
    let (port_a, port_b) = (free_port().unwrap(), free_port().unwrap());
    let base = format!("http://127.0.0.1:{port_a}");
    let client_id = unique_id(&format!("logto_test_{example}"));
    // Tokens of 10 s: stale after 5 s (the leeway is at most half the lifetime), which
    // leaves the burst below 5 s to finish on a loaded machine before the refreshed
    // token is stale in turn.
    let mut registration = idp::client(&client_id, "test-secret", &base);
    registration["ttl"] = json!({"access_token": 10});
    provider().register_client(registration).await;
    let mut env = vec![
        ("LOGTO_ENDPOINT", provider().endpoint.clone()),
        ("LOGTO_APP_ID", client_id.clone()),
        ("LOGTO_APP_SECRET", "test-secret".into()),
        ("LOGTO_BASE_URL", base.clone()),
        ("LOGTO_COOKIE_SECRET", SECRET.into()),
    ];
    env.extend(store_env);
    let _a = spawn_instance(example, port_a, &env).await;
    let _b = spawn_instance(example, port_b, &env).await;

    let browser = Browser::new();
    let form = browser.open_login_form(&format!("{base}/sign-in")).await;
    let callback = browser
        .submit_login(form, "demo", "demo-password", &base)
        .await;
    assert_eq!(browser.get(&callback).await.status(), StatusCode::SEE_OTHER);
    let cookie = browser.cookie_header(&base);
    let token_url = |port: u16| format!("http://127.0.0.1:{port}/api/access-token");
    let first: Value = reqwest::Client::new()
        .get(token_url(port_a))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(first["access_token"].is_string(), "{first}");
    let refreshes = || async {
        count(
            &provider().counts(&client_id).await,
            &["grants", "refresh_token"],
        )
    };
    assert_eq!(refreshes().await, 1);

    tokio::time::sleep(Duration::from_millis(5300)).await;
    let answers = join_all((0..40).map(|i| {
        let (url, cookie) = (
            token_url(if i % 2 == 0 { port_a } else { port_b }),
            cookie.clone(),
        );
        async move {
            let response = reqwest::Client::new()
                .get(&url)
                .header(header::COOKIE, cookie)
                .send()
                .await
                .unwrap();
            (
                response.status(),
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    }))
    .await;
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
        assert_eq!(body["access_token"], answers[0].1["access_token"]);
    }
    assert_ne!(answers[0].1["access_token"], first["access_token"]);
    assert_eq!(
        refreshes().await,
        2,
        "exactly one refresh across both instances"
    );
    let counts = provider().counts(&client_id).await;
    assert_eq!(
        count(&counts, &["grants", "refresh_token_error"]),
        0,
        "{counts}"
    );

    // The session still works on both.
    for port in [port_a, port_b] {
        let response = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/api/profile"))
            .header(header::COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn two_instances_share_a_redis_session() {
    across_instances(
        "redis_session",
        vec![
            ("REDIS_URL", redis_url()),
            ("REDIS_PREFIX", format!("{}:", unique_id("logto_test_x"))),
        ],
    )
    .await;
}

#[tokio::test]
async fn two_instances_share_a_postgres_session() {
    across_instances(
        "postgres_session",
        vec![
            ("DATABASE_URL", database_url()),
            ("DATABASE_SCHEMA", unique_id("logto_test_x")),
        ],
    )
    .await;
}

/// The figures of issue 15 with the bundled provider's tokens: bytes per session of a
/// user (admin) with one resource token and two, then three, organization tokens, in
/// the cookie (`name=value` pairs) and in a store's record. Run with `--nocapture` to
/// see them: `cargo test --test integration stores::session_size -- --nocapture`.
#[tokio::test]
async fn session_size_with_one_resource_and_organizations() {
    async fn fill(app: &TestApp, browser: &Browser, organizations: &[&str]) {
        for org in organizations {
            let (status, body) = browser
                .json(&app.url(&format!("/api/token?organization_id={org}")))
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    }
    async fn sign_in(app: &TestApp) -> Browser {
        let browser = Browser::new();
        let hop = browser.sign_in(&app.base, "admin", "admin-password").await;
        assert_eq!(hop.response.status(), StatusCode::SEE_OTHER);
        let (status, _) = browser
            .json(&app.url(&format!("/api/token?resource={RESOURCE}")))
            .await;
        assert_eq!(status, StatusCode::OK);
        browser
    }
    let cookie_app = TestApp::start("size-cookie").await;
    let browser = sign_in(&cookie_app).await;
    let mut cookie_bytes = Vec::new();
    for orgs in [&["org_acme", "org_globex"][..], &["org_initech"]] {
        fill(&cookie_app, &browser, orgs).await;
        let header = browser.cookie_header(&cookie_app.base);
        cookie_bytes.push((
            header.split("; ").map(str::len).sum::<usize>(),
            header.split("; ").count(),
        ));
    }

    let store = Arc::new(MemoryStore::new(10));
    let store_app = TestApp::start_with("size-store", json!({}), {
        let store = store.clone();
        move |b| b.session_store(store)
    })
    .await;
    let browser = sign_in(&store_app).await;
    let mut stored_bytes = Vec::new();
    for orgs in [&["org_acme", "org_globex"][..], &["org_initech"]] {
        fill(&store_app, &browser, orgs).await;
        stored_bytes.push(store.bytes());
    }
    let id_cookie_bytes = browser.cookie_header(&store_app.base).len();
    for (i, orgs) in [2, 3].iter().enumerate() {
        let (bytes, cookies) = cookie_bytes[i];
        println!(
            "session size, 1 resource + {orgs} organizations: cookie mode {bytes} B in {cookies} cookie(s); \
             store mode {} B stored + {id_cookie_bytes} B of cookie",
            stored_bytes[i]
        );
    }
    assert!(id_cookie_bytes < 200, "{id_cookie_bytes}");
    assert_eq!(
        cookie_bytes[0].1, 1,
        "one cookie for 1 resource + 2 organizations"
    );
    assert!(cookie_bytes[0].0 <= 3800, "{:?}", cookie_bytes);
    assert!(stored_bytes[1] <= 2200, "{:?}", stored_bytes);
    assert!(
        cookie_bytes[1].0 > stored_bytes[1],
        "the cookie carries the same session, in base64url: {cookie_bytes:?} {stored_bytes:?}"
    );
}
