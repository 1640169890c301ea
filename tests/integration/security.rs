//! Attacks on an app built with the SDK, each answered: redirects that leave the
//! origin, cookies a sibling host could plant, a refresh token written back after it
//! was consumed, a session that outgrows what proxies accept.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use logto::{
    MemoryStore, SessionStore,
    store::{Expect, LockToken, Record, StoreFuture},
};
use logto_test_support::{Browser, idp::count};
use reqwest::{StatusCode, header};
use serde_json::json;

use crate::support::{RESOURCE, TestApp, provider};

/// Signs in with `target` as `post_redirect_uri` and returns where the callback sends
/// the browser.
async fn landing_after_sign_in(app: &TestApp, target: &str) -> String {
    let browser = Browser::new();
    let target: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
    let form = browser
        .open_login_form(&app.url(&format!("/sign-in?post_redirect_uri={target}")))
        .await;
    let callback = browser
        .submit_login(form, "demo", "demo-password", &app.base)
        .await;
    let response = browser.get(&callback).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn no_post_sign_in_target_leaves_the_origin() {
    let app = TestApp::start("open-redirect").await;
    assert_eq!(
        landing_after_sign_in(&app, "/orders?id=1").await,
        "/orders?id=1",
        "a path of the app is kept"
    );
    for evil in [
        "/.//evil.example",
        "/a/..//evil.example",
        &format!("{}//evil.example/x", app.base),
        "/\\evil.example",
        "/\t/evil.example",
        "https://evil.example/",
    ] {
        let location = landing_after_sign_in(&app, evil).await;
        assert_eq!(location, "/", "{evil:?} landed on {location:?}");
    }
}

#[tokio::test]
async fn secure_cookies_carry_the_host_prefix() {
    let app = TestApp::start_with("host-prefix", json!({}), |b| b.cookie_secure(true)).await;
    let response = Browser::new().get(&app.url("/sign-in")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookies: Vec<&str> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(!cookies.is_empty());
    for cookie in cookies {
        assert!(cookie.starts_with("__Host-logto_"), "{cookie}");
        assert!(
            cookie.contains("; Path=/;") && cookie.contains("; Secure"),
            "{cookie}"
        );
        assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    }
}

/// A memory store that, right before the refresh lock holder's save, lets "another
/// request of the same session" save (its first userinfo fetch, say): the holder's
/// compare-and-set then fails and it merges with what was saved meanwhile.
struct SaveInBetween {
    inner: MemoryStore,
    locked: AtomicBool,
    interleaved: AtomicUsize,
}

impl SessionStore for SaveInBetween {
    fn load<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Record>> {
        self.inner.load(id)
    }

    fn save<'a>(
        &'a self,
        id: &'a str,
        data: &'a [u8],
        ttl: Duration,
        expect: Expect,
    ) -> StoreFuture<'a, Option<u64>> {
        Box::pin(async move {
            if matches!(expect, Expect::Version(_))
                && self.locked.swap(false, Ordering::SeqCst)
                && let Some(record) = self.inner.load(id).await?
            {
                self.inner
                    .save(id, &record.data, ttl, Expect::Version(record.version))
                    .await?;
                self.interleaved.fetch_add(1, Ordering::SeqCst);
            }
            self.inner.save(id, data, ttl, expect).await
        })
    }

    fn delete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        self.inner.delete(id)
    }

    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Option<LockToken>> {
        Box::pin(async move {
            let token = self.inner.try_lock(key, ttl).await?;
            self.locked.store(token.is_some(), Ordering::SeqCst);
            Ok(token)
        })
    }

    fn unlock<'a>(&'a self, key: &'a str, token: &'a LockToken) -> StoreFuture<'a, ()> {
        self.inner.unlock(key, token)
    }
}

#[tokio::test]
async fn a_save_during_a_refresh_never_writes_back_the_consumed_refresh_token() {
    let store = Arc::new(SaveInBetween {
        inner: MemoryStore::new(100),
        locked: AtomicBool::new(false),
        interleaved: AtomicUsize::new(0),
    });
    let app = TestApp::start_with("save-in-between", json!({"ttl": {"access_token": 120}}), {
        let store = store.clone();
        move |b| b.session_store(store)
    })
    .await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let url = app.url(&format!("/api/token?resource={RESOURCE}"));
    let (status, first) = browser.json(&url).await;
    assert_eq!(status, StatusCode::OK, "{first}");

    // Each round refreshes under the lock, with a save in between; the provider rotates
    // refresh tokens and revokes the grant when a consumed one comes back.
    let mut previous = first["access_token"].clone();
    let mut interleaved = 0;
    for round in 1..=3 {
        app.clock.advance(110);
        let (status, body) = browser.json(&url).await;
        assert_eq!(status, StatusCode::OK, "round {round}: {body}");
        assert_ne!(body["access_token"], previous, "round {round} refreshed");
        previous = body["access_token"].clone();
        // One save in between per refresh under the lock (the ID token's and the
        // resource token's, when both are due).
        let now = store.interleaved.load(Ordering::SeqCst);
        assert!(now > interleaved, "round {round} saved in between");
        interleaved = now;
    }
    let counts = provider().counts(&app.client_id).await;
    assert!(
        count(&counts, &["grants", "refresh_token"]) >= 3,
        "{counts}"
    );
}

fn our_cookie_bytes(browser: &Browser, app: &TestApp) -> usize {
    browser
        .cookie_header(&app.base)
        .split("; ")
        .map(str::len)
        .sum()
}

#[tokio::test]
async fn cookie_sessions_stay_within_the_budget_evicting_the_oldest_organization_token() {
    let app = TestApp::start("cookie-budget").await;
    // Access tokens of about 1.8 KB each in the cookie (a claim of 1 000 bytes that no
    // packing shortens): one resource and three organizations cannot all fit.
    provider()
        .tamper(
            &app.client_id,
            json!({"access_token_claims": {"pad": "x ".repeat(500)}}),
        )
        .await;
    let browser = Browser::new();
    let hop = browser.sign_in(&app.base, "admin", "admin-password").await;
    assert_eq!(hop.response.status(), StatusCode::SEE_OTHER);
    let (status, _) = browser
        .json(&app.url(&format!("/api/token?resource={RESOURCE}")))
        .await;
    assert_eq!(status, StatusCode::OK);
    // Fetched in this order, one second apart: initech is the oldest.
    for org in ["org_initech", "org_globex", "org_acme"] {
        app.clock.advance(1);
        let (status, body) = browser
            .json(&app.url(&format!("/api/token?organization_id={org}")))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let bytes = our_cookie_bytes(&browser, &app);
        assert!(bytes <= 7000, "{bytes} bytes of cookies after {org}");
    }
    let (status, _) = browser.json(&app.url("/api/profile")).await;
    assert_eq!(status, StatusCode::OK, "the session itself is intact");

    let grants = || async {
        count(
            &provider().counts(&app.client_id).await,
            &["grants", "refresh_token"],
        )
    };
    let before = grants().await;
    let (status, _) = browser
        .json(&app.url("/api/token?organization_id=org_acme"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(grants().await, before, "the newest token was kept");
    let (status, _) = browser
        .json(&app.url("/api/token?organization_id=org_initech"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        grants().await,
        before + 1,
        "the oldest was evicted and fetched again"
    );
}

#[logto::protected(redirect)]
async fn nested_guarded_page() -> &'static str {
    "guarded"
}

async fn nested_claims_page(
    logto::RedirectToSignIn(claims): logto::RedirectToSignIn<logto::IdTokenClaims>,
) -> String {
    claims.sub().to_owned()
}

/// Under `Router::nest`, a signed-out page sends the browser to sign in and back to
/// its whole path, prefix included, whether a guard or the extractor refused it (the
/// extractor used to lose the prefix).
#[tokio::test]
async fn a_nested_page_comes_back_to_its_whole_path() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // No request reaches the provider: the pages refuse before any.
    let logto = logto::Logto::builder::<crate::support::TestAuth>()
        .endpoint("http://127.0.0.1:9")
        .app_id("nested")
        .app_secret("test-secret")
        .base_url(&base)
        .cookie_secret(crate::support::SECRET)
        .build()
        .unwrap();
    let pages = axum::Router::new()
        .route("/guarded", axum::routing::get(nested_guarded_page))
        .route("/claims", axum::routing::get(nested_claims_page));
    let app = axum::Router::new()
        .nest("/shop", pages)
        .merge(logto.routes())
        .layer(logto.layer());
    crate::support::serve(listener, app);
    let browser = Browser::new();
    for page in ["/shop/guarded?tab=2", "/shop/claims?tab=2"] {
        let response = browser.get(&format!("{base}{page}")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{page}");
        let back: String = url::form_urlencoded::byte_serialize(page.as_bytes()).collect();
        assert_eq!(
            response.headers()[header::LOCATION],
            format!("/sign-in?post_redirect_uri={back}").as_str(),
            "{page}"
        );
    }
}
