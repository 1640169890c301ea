//! The token route (`GET /logto/token`) against the real provider: every answer, and
//! what an attacker would try (a cross-site request, a CORS preflight, a cached copy,
//! a resource that is a prefix of a configured one, organization ids with odd
//! characters, headers in another case or sent twice).

use logto::MemoryStore;
use logto_test_support::{Browser, idp::count};
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};

use crate::support::{RESOURCE, TestApp, jwt_claims, provider};

const ROUTE: &str = "/logto/token";

async fn app(name: &str) -> TestApp {
    TestApp::start_with(name, json!({}), |b| b.token_route(true)).await
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
    text: String,
}

/// A request to `path` from `browser` (its cookies) with `headers`.
async fn send(browser: &Browser, method: Method, url: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = browser.http.request(method, url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
        text,
    }
}

/// `GET <route>?<query>` as the app's own script sends it, plus `extra` headers.
async fn get(browser: &Browser, app: &TestApp, query: &str, extra: &[(&str, &str)]) -> Answer {
    let mut headers = vec![("X-Logto-Token", "1")];
    headers.extend_from_slice(extra);
    send(
        browser,
        Method::GET,
        &app.url(&format!("{ROUTE}?{query}")),
        &headers,
    )
    .await
}

/// Every answer: `no-store`, never a redirect, never the provider's address.
fn assert_plain(answer: &Answer, what: &str) {
    assert_eq!(
        answer.headers.get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-store"[..]),
        "{what}: {:?}",
        answer.headers
    );
    assert_eq!(
        answer.headers["x-content-type-options"], "nosniff",
        "{what}"
    );
    assert!(answer.headers.get("location").is_none(), "{what}");
    assert!(
        !answer.text.contains(&provider().endpoint) && !answer.text.contains("127.0.0.2"),
        "{what}: {}",
        answer.text
    );
    assert!(
        answer.headers.get("access-control-allow-origin").is_none(),
        "{what}"
    );
}

fn assert_refused(answer: &Answer, status: StatusCode, code: &str, what: &str) {
    assert_plain(answer, what);
    assert_eq!(answer.status, status, "{what}: {}", answer.text);
    assert_eq!(answer.body["error"], code, "{what}: {}", answer.text);
    assert!(answer.body["error_description"].is_string(), "{what}");
    assert!(answer.body.get("access_token").is_none(), "{what}");
}

async fn refreshes(app: &TestApp) -> u64 {
    count(
        &provider().counts(&app.client_id).await,
        &["grants", "refresh_token"],
    )
}

async fn organization_requests(app: &TestApp) -> u64 {
    let counts = provider().counts(&app.client_id).await;
    count(&counts, &["grants", "organization_token"])
        + count(&counts, &["grants", "organization_token_error"])
}

#[tokio::test]
async fn signed_in_it_serves_the_sessions_tokens_through_the_same_cache() {
    let app = app("token-route").await;
    let browser = Browser::new();
    let query = format!("resource={RESOURCE}");

    let answer = get(&browser, &app, &query, &[]).await;
    assert_refused(
        &answer,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "signed out",
    );

    browser.sign_in_demo(&app.base).await;
    let before = refreshes(&app).await;
    let answer = get(&browser, &app, &query, &[]).await;
    assert_plain(&answer, "signed in");
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let body = &answer.body;
    assert_eq!(
        body.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["access_token", "expires_at", "scopes"]
    );
    assert_eq!(body["scopes"], json!(["read"]));
    let token = body["access_token"].as_str().unwrap().to_owned();
    let claims = jwt_claims(&token);
    assert_eq!(claims["aud"], RESOURCE);
    assert_eq!(claims["sub"], "user_demo");
    // Seconds since the epoch: the app's clock plus `expires_in`, the token's `exp`
    // within the second the two were taken in.
    let skew = body["expires_at"].as_i64().unwrap() - claims["exp"].as_i64().unwrap();
    assert!(skew.abs() <= 2, "{body} {claims}");
    assert_eq!(
        refreshes(&app).await,
        before + 1,
        "one refresh for the token"
    );
    assert!(
        answer.headers.get("set-cookie").is_some(),
        "the refreshed session is written back"
    );

    // The same cache as ctx.token: the handler and the route see one token, and
    // neither asks the provider again.
    let again = get(&browser, &app, &query, &[("sec-fetch-site", "same-origin")]).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["access_token"], token.as_str());
    let (status, handler) = browser
        .json(&app.url(&format!("/api/token?resource={RESOURCE}")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(handler["access_token"], token.as_str());
    assert_eq!(refreshes(&app).await, before + 1);

    // The origin's own fetch: `Origin` equal to the base URL, header names in any case.
    let ours = get(
        &browser,
        &app,
        &query,
        &[
            ("ORIGIN", app.base.as_str()),
            ("Sec-Fetch-Site", "same-origin"),
        ],
    )
    .await;
    assert_eq!(ours.status, StatusCode::OK, "{}", ours.text);
    let lower = send(
        &browser,
        Method::GET,
        &app.url(&format!("{ROUTE}?{query}")),
        &[("x-logto-token", "1")],
    )
    .await;
    assert_eq!(lower.status, StatusCode::OK, "{}", lower.text);

    // Organizations: alone, the organization token; with a resource, the resource's
    // token for that organization.
    let org = get(&browser, &app, "organization_id=org_acme", &[]).await;
    assert_eq!(org.status, StatusCode::OK, "{}", org.text);
    let claims = jwt_claims(org.body["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], "urn:logto:organization:org_acme");
    assert_eq!(
        org.body["scopes"],
        json!(["read:members", "invite:members"])
    );
    let both = get(
        &browser,
        &app,
        &format!("{query}&organization_id=org_globex"),
        &[],
    )
    .await;
    assert_eq!(both.status, StatusCode::OK, "{}", both.text);
    let claims = jwt_claims(both.body["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], RESOURCE);
    assert_eq!(claims["organization_id"], "org_globex");

    // A user with no role: a token without scopes, still served.
    let guest = Browser::new();
    let hop = guest.sign_in(&app.base, "guest", "guest-password").await;
    assert_eq!(hop.response.status(), StatusCode::SEE_OTHER);
    let answer = get(&guest, &app, &query, &[]).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["scopes"], json!([]));

    // Signed out again: 401, never a redirect to sign-in.
    browser.sign_out(&app.base).await;
    let answer = get(&browser, &app, &query, &[]).await;
    assert_refused(
        &answer,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "after sign-out",
    );
}

#[tokio::test]
async fn concurrent_calls_share_one_refresh() {
    let app = app("token-route-flight").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let before = refreshes(&app).await;
    let query = format!("resource={RESOURCE}");
    let answers =
        futures_util::future::join_all((0..6).map(|_| get(&browser, &app, &query, &[]))).await;
    let tokens: Vec<&Value> = answers.iter().map(|a| &a.body["access_token"]).collect();
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    }
    assert!(tokens.iter().all(|t| *t == tokens[0]), "{tokens:?}");
    assert_eq!(
        refreshes(&app).await,
        before + 1,
        "one refresh for six calls"
    );
}

/// What a page of another site can make a browser send, and what it cannot but an
/// attacker might try anyway: all 403 before the session is read.
#[tokio::test]
async fn cross_site_requests_are_refused() {
    let app = app("token-route-csrf").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let before = refreshes(&app).await;
    let url = app.url(&format!("{ROUTE}?resource={RESOURCE}"));
    let base = app.base.as_str();
    let trailing = format!("{base}/");
    let https = base.replace("http://", "https://");
    let sibling = format!("{base}.evil.example");

    // A cross-site form, link, image or script: no custom header.
    for (what, headers) in [
        ("no header", vec![]),
        (
            "a form post's headers",
            vec![
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "cross-site"),
            ],
        ),
        ("navigation", vec![("sec-fetch-site", "none")]),
        ("X-Logto-Token: 0", vec![("x-logto-token", "0")]),
        ("X-Logto-Token: true", vec![("x-logto-token", "true")]),
        (
            "X-Logto-Token twice",
            vec![("x-logto-token", "1"), ("X-Logto-Token", "1")],
        ),
    ] {
        let answer = send(&browser, Method::GET, &url, &headers).await;
        assert_refused(&answer, StatusCode::FORBIDDEN, "access_denied", what);
    }
    // With the header (a cross-origin fetch whose preflight was somehow granted, or a
    // tool): the browser's metadata and origin must be ours.
    for (what, headers) in [
        ("same-site", vec![("sec-fetch-site", "same-site")]),
        ("cross-site", vec![("sec-fetch-site", "cross-site")]),
        ("none", vec![("sec-fetch-site", "none")]),
        (
            "Sec-Fetch-Site twice",
            vec![
                ("sec-fetch-site", "same-origin"),
                ("sec-fetch-site", "cross-site"),
            ],
        ),
        ("another origin", vec![("origin", "https://evil.example")]),
        ("a sibling's origin", vec![("origin", sibling.as_str())]),
        ("https", vec![("origin", https.as_str())]),
        ("null origin", vec![("origin", "null")]),
        ("origin with a slash", vec![("origin", trailing.as_str())]),
        (
            "Origin twice",
            vec![("origin", base), ("origin", "https://evil.example")],
        ),
    ] {
        let mut headers = headers;
        headers.push(("x-logto-token", "1"));
        let answer = send(&browser, Method::GET, &url, &headers).await;
        assert_refused(&answer, StatusCode::FORBIDDEN, "access_denied", what);
    }
    // A CORS preflight gets no grant, and other methods nothing either.
    let preflight = send(
        &browser,
        Method::OPTIONS,
        &url,
        &[
            ("origin", "https://evil.example"),
            ("access-control-request-method", "GET"),
            ("access-control-request-headers", "x-logto-token"),
        ],
    )
    .await;
    assert_refused(
        &preflight,
        StatusCode::METHOD_NOT_ALLOWED,
        "invalid_request",
        "preflight",
    );
    for method in [Method::POST, Method::HEAD, Method::PUT] {
        let answer = send(&browser, method.clone(), &url, &[("x-logto-token", "1")]).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(answer.headers["allow"], "GET", "{method}");
        assert_plain(&answer, method.as_str());
    }
    assert_eq!(
        refreshes(&app).await,
        before,
        "nothing reached the provider"
    );
}

/// Only the config's resources, exactly; only plain organization ids; the provider's
/// refusal of an organization is 403 and leaves the session working.
#[tokio::test]
async fn only_configured_resources_and_real_organizations() {
    let app = app("token-route-input").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let before = refreshes(&app).await;

    for query in [
        "",
        "resource=",
        "other=1",
        "resource=https://shopping.example.com/ap",
        "resource=https://shopping.example.com/api/",
        "resource=https://shopping.example.com/api?x",
        "resource=https%3A%2F%2Fshopping.example.com%2Fapi%2F..%2Fapi",
        "resource=HTTPS://SHOPPING.EXAMPLE.COM/API",
        // Known to the provider, not requested by this app.
        "resource=https://store.example.com/api",
        "resource=urn:logto:resource:organizations",
        "resource=https://shopping.example.com/api&resource=https://store.example.com/api",
        "organization_id=org_acme&organization_id=org_globex",
        "organization_id=",
        "organization_id=org%20acme",
        "organization_id=org_acme%23x",
        "organization_id=org_acme%26resource%3Dx",
        "organization_id=..%2F..%2Fadmin",
        "organization_id=org%0D%0Aacme",
        "organization_id=%F0%9F%A6%80",
    ] {
        let answer = get(&browser, &app, query, &[]).await;
        assert_refused(&answer, StatusCode::BAD_REQUEST, "invalid_request", query);
    }
    let long = format!("organization_id={}", "a".repeat(129));
    let answer = get(&browser, &app, &long, &[]).await;
    assert_refused(&answer, StatusCode::BAD_REQUEST, "invalid_request", "long");
    assert_eq!(
        refreshes(&app).await,
        before,
        "nothing reached the provider"
    );

    // Percent-encoded, the configured resource is itself; a cache-buster is ignored.
    let encoded = get(
        &browser,
        &app,
        "resource=https%3A%2F%2Fshopping.example.com%2Fapi&_=1700000000",
        &[],
    )
    .await;
    assert_eq!(encoded.status, StatusCode::OK, "{}", encoded.text);

    let organizations = organization_requests(&app).await;
    let refused = get(&browser, &app, "organization_id=org_initech", &[]).await;
    assert_refused(
        &refused,
        StatusCode::FORBIDDEN,
        "access_denied",
        "not a member",
    );
    let unknown = get(&browser, &app, "organization_id=org_nope", &[]).await;
    assert_refused(
        &unknown,
        StatusCode::FORBIDDEN,
        "access_denied",
        "no such organization",
    );
    assert_eq!(organization_requests(&app).await, organizations + 2);
    let member = get(&browser, &app, "organization_id=org_acme", &[]).await;
    assert_eq!(member.status, StatusCode::OK, "{}", member.text);
}

#[tokio::test]
async fn off_by_default_at_its_own_path_when_moved_and_with_a_store() {
    let off = TestApp::start("token-route-off").await;
    let browser = Browser::new();
    browser.sign_in_demo(&off.base).await;
    let answer = get(&browser, &off, &format!("resource={RESOURCE}"), &[]).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);

    let moved = TestApp::start_with("token-route-moved", json!({}), |b| {
        b.token_route(true)
            .token_route_path("/auth/token")
            .session_store(MemoryStore::new(100))
    })
    .await;
    let browser = Browser::new();
    browser.sign_in_demo(&moved.base).await;
    let answer = get(&browser, &moved, &format!("resource={RESOURCE}"), &[]).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "the default path");
    let answer = send(
        &browser,
        Method::GET,
        &moved.url(&format!("/auth/token?resource={RESOURCE}")),
        &[("x-logto-token", "1")],
    )
    .await;
    assert_plain(&answer, "moved");
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["scopes"], json!(["read"]));
}

/// The provider failing is 502 with the SDK's words only; a grant revoked at the
/// provider ends the session: 401, and signed out from then on.
#[tokio::test]
async fn provider_failures_and_ended_sessions() {
    let app = app("token-route-failures").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let query = format!("resource={RESOURCE}");

    provider()
        .tamper(
            &app.client_id,
            json!({ "token_error_body": r#"{"error":"invalid_client","error_description":"secret mismatch at http://10.0.0.7/internal"}"# }),
        )
        .await;
    let answer = get(&browser, &app, &query, &[]).await;
    assert_refused(
        &answer,
        StatusCode::BAD_GATEWAY,
        "provider_error",
        "invalid_client",
    );
    assert!(
        !answer.text.contains("10.0.0.7") && !answer.text.contains("invalid_client"),
        "{}",
        answer.text
    );
    provider().tamper(&app.client_id, json!({})).await;
    let answer = get(&browser, &app, &query, &[]).await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "the session survived: {}",
        answer.text
    );

    provider().revoke_grants(&app.client_id).await;
    let forced = get(&browser, &app, "organization_id=org_acme", &[]).await;
    assert_refused(
        &forced,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "grant revoked",
    );
    let (status, home) = browser.json(&app.url("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(home["authenticated"], false, "{home}");
}
