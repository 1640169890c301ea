//! `#[logto::protected]` against the real provider: session guards (scopes from the
//! session's access token, 401 or redirect when signed out) and bearer tokens per
//! RFC 6750/9068, each refusal with its exact status and `WWW-Authenticate`.

use logto_examples::api;

use std::time::{SystemTime, UNIX_EPOCH};

use axum::{Json, Router, extract::Path, routing::get};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use logto::{AccessToken, BearerVerifier, Guard, Logto};
use logto_test_support::{Browser, Idp, TestClock, idp, unique_id};
use p384::pkcs8::EncodePrivateKey;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

// The quickstart's router, loaded once for the binary by its own test module.
use crate::quickstart::app as quickstart;
use crate::support::{
    RESOURCE, SECRET, TestApp, TestAuth, jwt_claims, jwt_header, provider, serve,
};

// The guards under test. `config = TestAuth` checks them at compile time: other test
// modules build clients with other configs, which a registered guard would fail.

#[logto::protected(config = TestAuth)]
async fn signed_in() -> &'static str {
    "signed in"
}

#[logto::protected(config = TestAuth, scope = "read")]
async fn read(token: AccessToken) -> Json<Value> {
    Json(
        json!({ "scopes": token.scopes(), "sub": token.subject(), "client_id": token.client_id() }),
    )
}

#[logto::protected(config = TestAuth, scope = "write")]
async fn write() -> &'static str {
    "written"
}

#[logto::protected(config = TestAuth, redirect)]
async fn page() -> &'static str {
    "a page"
}

#[logto::protected(config = TestAuth, scope = "read", bearer_only)]
async fn api_read(token: AccessToken) -> Json<Value> {
    Json(json!({ "scopes": token.scopes(), "resource": token.resource() }))
}

/// Opted into organization-scoped tokens: the handler sees whose they are.
#[logto::protected(config = TestAuth, scope = "read", bearer_only, allow_organization_scoped_tokens)]
async fn any_org_read(token: AccessToken) -> Json<Value> {
    Json(json!({ "scopes": token.scopes(), "organization": token.organization_id() }))
}

#[logto::protected(config = TestAuth, organization = "org_id", scope = "read:members")]
async fn members(Path(org_id): Path<String>, token: AccessToken) -> Json<Value> {
    Json(json!({ "organization": org_id, "token_organization": token.organization_id() }))
}

fn routes(logto: &Logto) -> Router {
    let layered = Router::new()
        .route("/layered/read", get(|| async { "layered" }))
        .route_layer(logto.guard(Guard::new().scope("read")).unwrap())
        .merge(
            Router::new()
                .route(
                    "/layered/any-org",
                    get(|token: AccessToken| async move {
                        token.organization_id().unwrap_or("global").to_owned()
                    }),
                )
                .route_layer(
                    logto
                        .guard(
                            Guard::new()
                                .scope("read")
                                .allow_organization_scoped_tokens(),
                        )
                        .unwrap(),
                ),
        );
    Router::new()
        .route("/guarded/signed-in", get(signed_in))
        .route("/guarded/read", get(read))
        .route("/guarded/write", get(write))
        .route("/guarded/page", get(page))
        .route("/guarded/api-read", get(api_read))
        .route("/guarded/any-org-read", get(any_org_read))
        .route("/orgs/{org_id}/members", get(members))
        .merge(layered)
        .layer(logto.layer())
        .merge(crate::support::app(logto))
}

/// An app with the guarded routes (and the support app's `/api/token`) on `idp`.
async fn start(idp: &Idp, name: &str) -> TestApp {
    start_with(idp, name, json!({})).await
}

/// As [`start`], with extra client settings (token lifetimes).
async fn start_with(idp: &Idp, name: &str, extra: Value) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let client_id = unique_id(&format!("guards-{name}"));
    let mut registration = idp::client(&client_id, "test-secret", &base);
    if let (Some(target), Some(extra)) = (registration.as_object_mut(), extra.as_object()) {
        target.extend(extra.clone());
    }
    idp.register_client(registration).await;
    let clock = TestClock::default();
    let logto = Logto::builder::<TestAuth>()
        .endpoint(&idp.endpoint)
        .app_id(&client_id)
        .app_secret("test-secret")
        .base_url(&base)
        .cookie_secret(SECRET)
        .clock(clock.clone())
        .build()
        .unwrap();
    serve(listener, routes(&logto));
    TestApp {
        base,
        client_id,
        clock,
    }
}

/// A fresh access token of the browser's session (a refresh grant each time).
async fn fresh_token(browser: &Browser, app: &TestApp, query: &str) -> String {
    let (status, body) = browser
        .json(&app.url(&format!("/api/token?{query}&force_refresh=true")))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

fn resource_query() -> String {
    format!("resource={RESOURCE}")
}

/// A token of the real provider with `claims` merged in, re-signed with its real key.
async fn tampered_token(browser: &Browser, app: &TestApp, claims: Value) -> String {
    provider()
        .tamper(&app.client_id, json!({ "access_token_claims": claims }))
        .await;
    let token = fresh_token(browser, app, &resource_query()).await;
    provider().tamper(&app.client_id, json!({})).await;
    token
}

struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    body: Value,
}

async fn call(url: &str, authorization: Option<&str>) -> Answer {
    let mut request = reqwest::Client::new().get(url);
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    answer(request.send().await.unwrap()).await
}

async fn answer(response: reqwest::Response) -> Answer {
    Answer {
        status: response.status(),
        challenge: response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned()),
        body: response.json().await.unwrap_or(Value::Null),
    }
}

async fn bearer(url: &str, token: &str) -> Answer {
    call(url, Some(&format!("Bearer {token}"))).await
}

fn assert_invalid_token(answer: &Answer, description: &str) {
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    assert_eq!(
        answer.challenge.as_deref(),
        Some(
            format!("Bearer error=\"invalid_token\", error_description=\"{description}\"").as_str()
        )
    );
    assert_eq!(answer.body["error"], "invalid_token");
}

fn assert_insufficient_scope(answer: &Answer, scope: &str) {
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert_eq!(
        answer.challenge.as_deref(),
        Some(format!("Bearer error=\"insufficient_scope\", scope=\"{scope}\"").as_str())
    );
    assert_eq!(answer.body["error"], "insufficient_scope");
    assert_eq!(answer.body["scope"], scope);
}

fn assert_no_credentials(answer: &Answer) {
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
    assert_eq!(
        answer.challenge.as_deref(),
        Some("Bearer"),
        "a bare challenge: no error code without credentials"
    );
    assert_eq!(answer.body["error"], "unauthorized");
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn session_guard_reads_the_scopes_of_the_sessions_token() {
    let app = start(provider(), "session").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;

    let (status, body) = browser.json(&app.url("/guarded/read")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scopes"], json!(["read"]));
    assert_eq!(body["sub"], "user_demo");

    // demo is a reader: the session's token has no `write`.
    let write = answer(browser.get(&app.url("/guarded/write")).await).await;
    assert_insufficient_scope(&write, "write");

    let response = browser.get(&app.url("/guarded/signed-in")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = browser.get(&app.url("/guarded/page")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = browser.get(&app.url("/layered/read")).await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// Session verdicts are cached per cookie, but never past the access token's refresh
/// time, and never for a session this process has since refreshed or revoked.
#[tokio::test]
async fn cached_session_verdicts_follow_the_clock_and_refreshes() {
    let app = start_with(
        provider(),
        "cache",
        json!({"ttl": {"access_token": 120, "id_token": 3600}}),
    )
    .await;
    let refreshes = || async {
        logto_test_support::idp::count(
            &provider().counts(&app.client_id).await,
            &["grants", "refresh_token"],
        )
    };
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let old_cookie = browser.cookie_header(&app.base);
    for _ in 0..3 {
        assert_eq!(
            browser.get(&app.url("/guarded/read")).await.status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        refreshes().await,
        1,
        "one refresh for the resource token, then cached"
    );

    // Past the token's refresh time (60 s before its 120 s expiry): refreshed again.
    app.clock.advance(70);
    let response = browser.get(&app.url("/guarded/read")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers().contains_key(header::SET_COOKIE),
        "the refreshed session is written back"
    );
    assert_eq!(refreshes().await, 2);

    // The cookie from before the refreshes still carries a spent refresh token: it is
    // caught up (no refresh sent), not answered from a stale verdict.
    let response = reqwest::Client::new()
        .get(app.url("/guarded/read"))
        .header(header::COOKIE, &old_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(refreshes().await, 2);
    let counts = provider().counts(&app.client_id).await;
    assert_eq!(
        logto_test_support::idp::count(&counts, &["grants", "refresh_token_error"]),
        0,
        "{counts}"
    );

    // Revoked at the provider: the next refresh fails and the guard answers 401.
    provider().revoke_grants(&app.client_id).await;
    app.clock.advance(70);
    assert_no_credentials(&answer(browser.get(&app.url("/guarded/read")).await).await);
}

#[tokio::test]
async fn signed_out_is_401_or_the_opted_in_redirect() {
    let app = start(provider(), "signed-out").await;
    for path in [
        "/guarded/signed-in",
        "/guarded/read",
        "/guarded/write",
        "/layered/read",
        "/orgs/org_acme/members",
    ] {
        assert_no_credentials(&call(&app.url(path), None).await);
    }
    let response = Browser::new().get(&app.url("/guarded/page?tab=2")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/sign-in?post_redirect_uri=%2Fguarded%2Fpage%3Ftab%3D2"
    );

    // The redirect comes back to the page after sign-in.
    let browser = Browser::new();
    let form = browser.open_login_form(&app.url("/guarded/page")).await;
    let callback = browser
        .submit_login(form, "demo", "demo-password", &app.base)
        .await;
    let hop = browser.follow(&callback).await;
    assert_eq!(hop.url, app.url("/guarded/page"));
    assert_eq!(hop.response.text().await.unwrap(), "a page");
}

#[tokio::test]
async fn a_valid_bearer_token_passes_and_is_judged_alone() {
    let app = start(provider(), "bearer").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let token = fresh_token(&browser, &app, &resource_query()).await;
    assert_eq!(jwt_header(&token)["alg"], "ES384");

    for path in [
        "/guarded/api-read",
        "/guarded/read",
        "/guarded/signed-in",
        "/layered/read",
    ] {
        let ok = bearer(&app.url(path), &token).await;
        assert_eq!(ok.status, StatusCode::OK, "{path}: {}", ok.body);
    }
    let ok = bearer(&app.url("/guarded/api-read"), &token).await;
    assert_eq!(ok.body, json!({ "scopes": ["read"], "resource": RESOURCE }));
    let ok = bearer(&app.url("/guarded/read"), &token).await;
    assert_eq!(
        ok.body["client_id"],
        app.client_id.as_str(),
        "the claims of the verified token"
    );
    assert_insufficient_scope(&bearer(&app.url("/guarded/write"), &token).await, "write");

    // Beside a valid session cookie, an invalid bearer token is still a 401...
    let response = browser
        .http
        .get(app.url("/guarded/read"))
        .header(header::AUTHORIZATION, "Bearer not.a.token")
        .send()
        .await
        .unwrap();
    assert_invalid_token(
        &answer(response).await,
        "not a signed JWT (the header is not base64url)",
    );
    // ...and a bearer-only guard ignores the cookie altogether.
    assert_no_credentials(&answer(browser.get(&app.url("/guarded/api-read")).await).await);
}

#[tokio::test]
async fn no_header_and_malformed_headers() {
    let app = start(provider(), "headers").await;
    let url = app.url("/guarded/api-read");
    assert_no_credentials(&call(&url, None).await);
    assert_no_credentials(&call(&url, Some("Basic dXNlcjpwYXNz")).await);
    for malformed in ["Bearer", "Bearer a b", "Bearer a,b"] {
        let answer = call(&url, Some(malformed)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{malformed}");
        let challenge = answer.challenge.unwrap();
        assert!(
            challenge.starts_with("Bearer error=\"invalid_request\", error_description=\""),
            "{challenge}"
        );
        assert_eq!(answer.body["error"], "invalid_request");
    }
}

#[tokio::test]
async fn forged_claims_signed_by_the_real_key_are_refused_one_by_one() {
    let app = start(provider(), "claims").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let url = app.url("/guarded/api-read");

    let expired = tampered_token(&browser, &app, json!({ "exp": now() - 3600 })).await;
    assert_invalid_token(&bearer(&url, &expired).await, "expired");
    let early = tampered_token(&browser, &app, json!({ "nbf": now() + 3600 })).await;
    assert_invalid_token(
        &bearer(&url, &early).await,
        "not valid yet (nbf is in the future)",
    );
    let foreign_aud = tampered_token(
        &browser,
        &app,
        json!({ "aud": "https://store.example.com/api" }),
    )
    .await;
    assert_invalid_token(
        &bearer(&url, &foreign_aud).await,
        &format!("issued for another audience (expected `{RESOURCE}`)"),
    );
    let foreign_iss =
        tampered_token(&browser, &app, json!({ "iss": "http://evil.example/oidc" })).await;
    assert_invalid_token(
        &bearer(&url, &foreign_iss).await,
        "issued by another issuer",
    );

    // `read` is a whole word: `readonly` does not carry it.
    let readonly = tampered_token(&browser, &app, json!({ "scope": "readonly" })).await;
    assert_insufficient_scope(&bearer(&url, &readonly).await, "read");
    let none = tampered_token(&browser, &app, json!({ "scope": "" })).await;
    assert_insufficient_scope(&bearer(&url, &none).await, "read");

    // Positive control: the same path with an untampered token.
    let good = fresh_token(&browser, &app, &resource_query()).await;
    assert_eq!(bearer(&url, &good).await.status, StatusCode::OK);
}

/// Re-signs the payload of `token` with `alg` and `key`, keeping its `kid`.
fn resign(token: &str, alg: Algorithm, kid: &str, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.typ = Some("at+jwt".into());
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, &jwt_claims(token), key).unwrap()
}

#[tokio::test]
async fn none_hmac_and_unknown_keys_are_refused() {
    let app = start(provider(), "algs").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let url = app.url("/guarded/api-read");
    let token = fresh_token(&browser, &app, &resource_query()).await;
    let kid = jwt_header(&token)["kid"].as_str().unwrap().to_owned();

    // alg none: the real claims, no signature.
    let header =
        URL_SAFE_NO_PAD.encode(json!({ "alg": "none", "typ": "at+jwt", "kid": kid }).to_string());
    let payload = token.split('.').nth(1).unwrap();
    assert_invalid_token(
        &bearer(&url, &format!("{header}.{payload}.")).await,
        "the algorithm `none` is not accepted (ES384, ES256, RS256 or PS256)",
    );

    // HS256 keyed with the provider's public key, as fetched from its JWKS.
    let jwks: Value = reqwest::get(format!("{}/oidc/jwks", provider().endpoint))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let public_key = jwks["keys"][0].to_string();
    let hmac = resign(
        &token,
        Algorithm::HS256,
        &kid,
        &EncodingKey::from_secret(public_key.as_bytes()),
    );
    assert_invalid_token(
        &bearer(&url, &hmac).await,
        "the algorithm `HS256` is not accepted (ES384, ES256, RS256 or PS256)",
    );

    // A fresh key the provider never published, under an unknown kid and under its kid.
    let fresh = p384::SecretKey::random(&mut rand::rngs::OsRng);
    let fresh = EncodingKey::from_ec_der(fresh.to_pkcs8_der().unwrap().as_bytes());
    let unknown = resign(&token, Algorithm::ES384, "forged-kid", &fresh);
    assert_invalid_token(
        &bearer(&url, &unknown).await,
        "signed by a key not in the provider's JWKS",
    );
    let same_kid = resign(&token, Algorithm::ES384, &kid, &fresh);
    assert_invalid_token(
        &bearer(&url, &same_kid).await,
        "the signature does not verify",
    );

    assert_eq!(
        bearer(&url, &token).await.status,
        StatusCode::OK,
        "positive control"
    );
}

/// Key rotation on a provider of its own: the shared one serves tests running in
/// parallel, which must never see their keys disappear under them.
#[tokio::test]
async fn a_rotated_key_is_fetched_for_its_unknown_kid() {
    let idp = Idp::start().unwrap();
    let app = start(&idp, "rotation").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let url = app.url("/guarded/api-read");
    let before = fresh_token(&browser, &app, &resource_query()).await;
    assert_eq!(bearer(&url, &before).await.status, StatusCode::OK);
    let jwks_before = logto_test_support::idp::count(&idp.global_counts().await, &["jwks"]);

    let new_kid = idp.rotate_keys().await;
    let after = fresh_token(&browser, &app, &resource_query()).await;
    assert_eq!(jwt_header(&after)["kid"], new_kid.as_str());
    let answer = bearer(&url, &after).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let jwks_after = logto_test_support::idp::count(&idp.global_counts().await, &["jwks"]);
    assert!(
        jwks_after > jwks_before,
        "the JWKS was fetched again for the new kid ({jwks_before} -> {jwks_after})"
    );

    // A flood of forged key ids costs the provider nothing more within the interval.
    let fresh = p384::SecretKey::random(&mut rand::rngs::OsRng);
    let fresh = EncodingKey::from_ec_der(fresh.to_pkcs8_der().unwrap().as_bytes());
    for i in 0..5 {
        let forged = resign(&after, Algorithm::ES384, &format!("forged-{i}"), &fresh);
        assert_invalid_token(
            &bearer(&url, &forged).await,
            "signed by a key not in the provider's JWKS",
        );
    }
    assert_eq!(
        logto_test_support::idp::count(&idp.global_counts().await, &["jwks"]),
        jwks_after
    );
}

#[tokio::test]
async fn organization_guards_read_the_id_from_the_path() {
    let app = start(provider(), "orgs").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;

    // Session: demo is a member of org_acme and org_globex, not of org_initech.
    let (status, body) = browser.json(&app.url("/orgs/org_acme/members")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({ "organization": "org_acme", "token_organization": "org_acme" })
    );
    let (status, body) = browser.json(&app.url("/orgs/org_initech/members")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // No organization id at all, or one Logto never issues: refused before any token
    // is looked up (an empty id must never stand for the session's global token).
    for path in [
        "/orgs//members",
        "/orgs/org%20acme/members",
        "/orgs/org%23acme/members",
    ] {
        let (status, body) = browser.json(&app.url(path)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["error"], "invalid_request", "{path}: {body}");
    }

    // Bearer: an organization token is good for its organization only.
    let token = fresh_token(&browser, &app, "organization_id=org_acme").await;
    assert_eq!(jwt_claims(&token)["aud"], "urn:logto:organization:org_acme");
    assert_eq!(
        bearer(&app.url("/orgs/org_acme/members"), &token)
            .await
            .status,
        StatusCode::OK
    );
    assert_invalid_token(
        &bearer(&app.url("/orgs/org_globex/members"), &token).await,
        "issued for another audience (expected `urn:logto:organization:org_globex`)",
    );
    // A resource token is no organization token.
    let resource_token = fresh_token(&browser, &app, &resource_query()).await;
    assert_invalid_token(
        &bearer(&app.url("/orgs/org_acme/members"), &resource_token).await,
        "issued for another audience (expected `urn:logto:organization:org_acme`)",
    );
}

/// Logto issues tokens for one resource both globally and per organization; the
/// latter's scopes are the user's roles in that organization. A guard that names no
/// organization takes global tokens only, on every API: the macro, `Guard`, the API
/// server's `BearerVerifier::layer` and `BearerVerifier::verify`.
#[tokio::test]
async fn organization_scoped_tokens_pass_only_guards_that_opt_in() {
    const REFUSED: &str =
        "the token is scoped to an organization; this endpoint accepts only global tokens";
    let app = start(provider(), "org-scoped").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let scoped = fresh_token(
        &browser,
        &app,
        &format!("resource={RESOURCE}&organization_id=org_acme"),
    )
    .await;
    let claims = jwt_claims(&scoped);
    assert_eq!(claims["aud"], RESOURCE);
    assert_eq!(claims["organization_id"], "org_acme");
    assert_eq!(claims["scope"], "read", "the scope the guards ask for");

    for path in [
        "/guarded/read",
        "/guarded/api-read",
        "/guarded/signed-in",
        "/layered/read",
    ] {
        let refused = bearer(&app.url(path), &scoped).await;
        assert_invalid_token(&refused, REFUSED);
        assert_eq!(refused.body["error_description"], REFUSED, "{path}");
    }

    // The opt-ins take it, and say whose it is; a global token still passes them.
    let ok = bearer(&app.url("/guarded/any-org-read"), &scoped).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(
        ok.body,
        json!({ "scopes": ["read"], "organization": "org_acme" })
    );
    let response = reqwest::Client::new()
        .get(app.url("/layered/any-org"))
        .bearer_auth(&scoped)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "org_acme");
    let global = fresh_token(&browser, &app, &resource_query()).await;
    assert_eq!(jwt_claims(&global).get("organization_id"), None);
    let ok = bearer(&app.url("/guarded/any-org-read"), &global).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["organization"], Value::Null);
    assert_eq!(
        bearer(&app.url("/guarded/read"), &global).await.status,
        StatusCode::OK,
        "positive control"
    );

    // An API server (`BearerVerifier::layer`) and a direct `verify`.
    let verifier = BearerVerifier::builder::<api::Api>()
        .endpoint(&provider().endpoint)
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let products = format!("http://{}/api/products", listener.local_addr().unwrap());
    serve(listener, api::router(&verifier));
    assert_invalid_token(&bearer(&products, &scoped).await, REFUSED);
    assert_eq!(bearer(&products, &global).await.status, StatusCode::OK);
    let requirements = logto::bearer::Requirements::resource(RESOURCE).scopes(&["read"]);
    assert!(matches!(
        verifier.verify(&scoped, &requirements).await,
        Err(logto::BearerError::Invalid(
            logto::bearer::InvalidToken::OrganizationScoped
        ))
    ));
    let access = verifier
        .verify(&scoped, &requirements.organization_id("org_acme"))
        .await
        .unwrap();
    assert_eq!(access.organization_id(), Some("org_acme"));
}

/// The provider's JWKS hangs: requests that need keys share one fetch per interval and
/// are answered within one timeout (503/504, no provider URL in the body), instead of
/// each waiting out its own; tokens the cached keys can judge are not held up at all.
#[tokio::test]
async fn a_hanging_jwks_costs_one_fetch_per_interval_and_one_timeout() {
    const N: usize = 8;
    let idp = Idp::start().unwrap();
    let app = start(&idp, "jwks-outage").await;
    let browser = Browser::new();
    browser.sign_in_demo(&app.base).await;
    let token = fresh_token(&browser, &app, &resource_query()).await;
    let timeout = std::time::Duration::from_millis(1000);
    let api = |verifier: &BearerVerifier| {
        let guard = verifier
            .guard(Guard::new().scope("read").bearer_only())
            .unwrap();
        Router::new()
            .route("/api/read", get(|| async { "read" }))
            .layer(guard)
    };
    let serve_api = |router: Router| async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/api/read", listener.local_addr().unwrap());
        serve(listener, router);
        url
    };
    let verifier = |interval| {
        BearerVerifier::builder::<TestAuth>()
            .endpoint(&idp.endpoint)
            .http_timeout(timeout)
            .jwks_refetch_interval(interval)
            .build()
            .unwrap()
    };
    let jwks = || async { logto_test_support::idp::count(&idp.global_counts().await, &["jwks"]) };
    let all = |url: String, tokens: Vec<String>| async move {
        futures_util::future::join_all(tokens.iter().map(|t| bearer(&url, t))).await
    };

    // An API whose keys were loaded before the outage.
    let warm = serve_api(api(&verifier(std::time::Duration::from_secs(60)))).await;
    assert_eq!(bearer(&warm, &token).await.status, StatusCode::OK);
    // An API that starts during it, without keys.
    let cold = serve_api(api(&verifier(std::time::Duration::from_secs(60)))).await;

    let uncached = fresh_token(&browser, &app, &resource_query()).await;
    idp.endpoint_faults(json!({ "jwks": "stall" })).await;
    let before = jwks().await;

    // Without keys: N requests, one fetch, one timeout.
    let started = std::time::Instant::now();
    let answers = all(cold.clone(), vec![token.clone(); N]).await;
    let elapsed = started.elapsed();
    assert!(elapsed < timeout * 3, "one timeout, not {N}: {elapsed:?}");
    assert_eq!(jwks().await, before + 1, "one JWKS fetch for {N} requests");
    let statuses: Vec<StatusCode> = answers.iter().map(|a| a.status).collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::GATEWAY_TIMEOUT)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
            .count(),
        N - 1,
        "{statuses:?}"
    );
    for answer in &answers {
        let body = answer.body.to_string();
        assert!(
            !body.contains(&idp.endpoint) && !body.contains("127.0.0.2"),
            "the provider's URL stays in the logs: {body}"
        );
    }
    // During the back-off: at once, with Retry-After, nothing fetched.
    let started = std::time::Instant::now();
    let response = reqwest::Client::new()
        .get(&cold)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() < timeout / 2, "{:?}", started.elapsed());
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry_after: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(
        answer(response).await.body["error"],
        "temporarily_unavailable"
    );
    assert_eq!(jwks().await, before + 1);

    // With keys: N tokens under unknown kids share one refetch and one timeout; a
    // token of the known key is judged at once meanwhile.
    let forged: Vec<String> = (0..N)
        .map(|i| {
            let key = p384::SecretKey::random(&mut rand::rngs::OsRng);
            let key = EncodingKey::from_ec_der(key.to_pkcs8_der().unwrap().as_bytes());
            resign(&token, Algorithm::ES384, &format!("rotated-{i}"), &key)
        })
        .collect();
    let started = std::time::Instant::now();
    let (answers, known) = tokio::join!(all(warm.clone(), forged.clone()), async {
        let started = std::time::Instant::now();
        // Not in the verdict cache: judged with the cached keys.
        let answer = bearer(&warm, &uncached).await;
        (answer.status, started.elapsed())
    });
    let elapsed = started.elapsed();
    assert_eq!(known.0, StatusCode::OK);
    assert!(
        known.1 < timeout / 2,
        "the known key waits on nothing: {:?}",
        known.1
    );
    assert!(elapsed < timeout * 3, "one timeout, not {N}: {elapsed:?}");
    assert_eq!(jwks().await, before + 2, "one refetch for {N} unknown kids");
    for answer in &answers {
        assert!(
            [StatusCode::SERVICE_UNAVAILABLE, StatusCode::GATEWAY_TIMEOUT].contains(&answer.status),
            "{}: {}",
            answer.status,
            answer.body
        );
    }
    // And within the interval, more unknown kids fetch nothing and wait for nothing.
    let started = std::time::Instant::now();
    let answers = all(warm.clone(), forged).await;
    assert!(started.elapsed() < timeout / 2, "{:?}", started.elapsed());
    assert!(
        answers
            .iter()
            .all(|a| a.status == StatusCode::SERVICE_UNAVAILABLE)
    );
    assert_eq!(jwks().await, before + 2);
    idp.endpoint_faults(json!({})).await;
}

/// The guide's two-app setup: the quickstart's `/api/access-token` against the API
/// server's routes, both served here as the examples build them.
#[tokio::test]
async fn a_quickstart_token_works_against_the_api_server() {
    let idp = provider();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let client_id = unique_id("guards-quickstart");
    idp.register_client(idp::client(&client_id, "test-secret", &base))
        .await;
    let logto = Logto::builder::<quickstart::Auth>()
        .endpoint(&idp.endpoint)
        .app_id(&client_id)
        .app_secret("test-secret")
        .base_url(&base)
        .cookie_secret(SECRET)
        .build()
        .unwrap();
    serve(listener, quickstart::router(&logto));
    let quickstart = TestApp {
        base,
        client_id,
        clock: TestClock::default(),
    };

    let verifier = BearerVerifier::builder::<api::Api>()
        .endpoint(&idp.endpoint)
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_base = format!("http://{}", listener.local_addr().unwrap());
    serve(listener, api::router(&verifier));
    let products = format!("{api_base}/api/products");

    let demo = Browser::new();
    demo.sign_in_demo(&quickstart.base).await;
    let reader = access_token_of(&demo, &quickstart).await;
    let list = bearer(&products, &reader).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body[0]["name"], "Rust in Action");
    let post = |token: String| {
        let products = products.clone();
        async move {
            let response = reqwest::Client::new()
                .post(&products)
                .bearer_auth(token)
                .json(&json!({ "name": "Zero To Production" }))
                .send()
                .await
                .unwrap();
            answer(response).await
        }
    };
    assert_insufficient_scope(&post(reader.clone()).await, "write");
    assert_no_credentials(&call(&products, None).await);

    let admin = Browser::new();
    let hop = admin
        .sign_in(&quickstart.base, "admin", "admin-password")
        .await;
    assert_eq!(hop.response.status(), StatusCode::SEE_OTHER);
    let editor = access_token_of(&admin, &quickstart).await;
    let created = post(editor).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["added_by"], "user_admin");
}

async fn access_token_of(browser: &Browser, quickstart: &TestApp) -> String {
    let (status, body) = browser.json(&quickstart.url("/api/access-token")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["resource"], api::RESOURCE);
    body["access_token"].as_str().unwrap().to_owned()
}
