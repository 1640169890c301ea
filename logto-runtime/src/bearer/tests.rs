//! The verifier against a local issuer whose keys the tests hold, so every claim can be
//! forged with a valid signature and each check is seen refusing on its own.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicI64, AtomicU8, AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use axum::{Json, Router, extract::State, routing::get};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p384::pkcs8::EncodePrivateKey;
use serde_json::{Value, json};

use super::*;
use crate::config::Config;

const API: &str = "https://api.example.com";

struct Api;
impl Config for Api {
    const SCOPES: &'static [&'static str] = &["read", "write"];
    const RESOURCES: &'static [&'static str] = &[API];
}

struct Signer {
    kid: String,
    key: EncodingKey,
    jwk: Value,
}

impl Signer {
    fn new(kid: &str) -> Self {
        let secret = p384::SecretKey::random(&mut rand::rngs::OsRng);
        let der = secret.to_pkcs8_der().unwrap();
        let mut jwk: Value = serde_json::from_str(&secret.public_key().to_jwk_string()).unwrap();
        jwk["kid"] = json!(kid);
        jwk["alg"] = json!("ES384");
        jwk["use"] = json!("sig");
        Self {
            kid: kid.to_owned(),
            key: EncodingKey::from_ec_der(der.as_bytes()),
            jwk,
        }
    }

    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES384);
        header.typ = Some("at+jwt".into());
        header.kid = Some(self.kid.clone());
        self.sign_with(header, claims)
    }

    fn sign_with(&self, header: Header, claims: &Value) -> String {
        jsonwebtoken::encode(&header, claims, &self.key).unwrap()
    }
}

#[derive(Clone)]
struct Issuer {
    url: String,
    keys: Arc<Mutex<Vec<Value>>>,
    jwks_fetches: Arc<AtomicUsize>,
    /// How the JWKS endpoint answers: [`JWKS_OK`], [`JWKS_FAILS`] or [`JWKS_STALLS`].
    jwks_mode: Arc<AtomicU8>,
}

const JWKS_OK: u8 = 0;
/// 503, as a provider in trouble.
const JWKS_FAILS: u8 = 1;
/// Accepts the request and answers long after any timeout of the tests.
const JWKS_STALLS: u8 = 2;

impl Issuer {
    async fn start(keys: Vec<Value>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/oidc", listener.local_addr().unwrap());
        let issuer = Self {
            url: url.clone(),
            keys: Arc::new(Mutex::new(keys)),
            jwks_fetches: Arc::default(),
            jwks_mode: Arc::default(),
        };
        let app = Router::new()
            .route(
                "/oidc/.well-known/openid-configuration",
                get(|State(i): State<Issuer>| async move {
                    Json(json!({"issuer": i.url, "jwks_uri": format!("{}/jwks", i.url)}))
                }),
            )
            .route(
                "/oidc/jwks",
                get(|State(i): State<Issuer>| async move {
                    i.jwks_fetches.fetch_add(1, Ordering::SeqCst);
                    match i.jwks_mode.load(Ordering::SeqCst) {
                        JWKS_FAILS => {
                            return (http::StatusCode::SERVICE_UNAVAILABLE, Json(json!({})));
                        }
                        JWKS_STALLS => tokio::time::sleep(Duration::from_secs(60)).await,
                        _ => {}
                    }
                    let keys = i.keys.lock().unwrap().clone();
                    (http::StatusCode::OK, Json(json!({ "keys": keys })))
                }),
            )
            .with_state(issuer.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        issuer
    }

    fn endpoint(&self) -> &str {
        self.url.trim_end_matches("/oidc")
    }

    fn fetches(&self) -> usize {
        self.jwks_fetches.load(Ordering::SeqCst)
    }

    fn jwks(&self, mode: u8) {
        self.jwks_mode.store(mode, Ordering::SeqCst);
    }
}

#[derive(Clone, Default)]
struct Offset(Arc<AtomicI64>);

impl Clock for Offset {
    fn now(&self) -> SystemTime {
        let offset = self.0.load(Ordering::SeqCst);
        if offset >= 0 {
            SystemTime::now() + Duration::from_secs(offset as u64)
        } else {
            SystemTime::now() - Duration::from_secs(offset.unsigned_abs())
        }
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn claims(issuer: &Issuer) -> Value {
    json!({
        "iss": issuer.url, "sub": "user_demo", "aud": API, "client_id": "app",
        "scope": "read", "iat": now(), "exp": now() + 3600, "jti": "t1",
    })
}

async fn setup() -> (Signer, Issuer, BearerVerifier, Offset) {
    let signer = Signer::new("k1");
    let issuer = Issuer::start(vec![signer.jwk.clone()]).await;
    let clock = Offset::default();
    let verifier = BearerVerifier::builder::<Api>()
        .endpoint(issuer.endpoint())
        .clock(clock.clone())
        .build()
        .unwrap();
    (signer, issuer, verifier, clock)
}

fn read() -> Requirements<'static> {
    Requirements::resource(API).scopes(&["read"])
}

fn invalid(result: Result<AccessToken, BearerError>) -> InvalidToken {
    match result {
        Err(BearerError::Invalid(invalid)) => invalid,
        other => panic!("expected an invalid token, got {other:?}"),
    }
}

#[tokio::test]
async fn accepts_a_valid_token_then_answers_from_the_cache() {
    let (signer, issuer, verifier, _) = setup().await;
    let token = signer.sign(&claims(&issuer));
    let access = verifier.verify(&token, &read()).await.unwrap();
    assert_eq!(access.scopes(), ["read"]);
    assert_eq!(access.resource(), Some(API));
    assert_eq!(access.subject().as_deref(), Some("user_demo"));
    assert_eq!(access.client_id().as_deref(), Some("app"));
    assert_eq!(issuer.fetches(), 1);
    for _ in 0..3 {
        verifier.verify(&token, &read()).await.unwrap();
    }
    assert_eq!(issuer.fetches(), 1, "verified once, then cached");
    assert_eq!(verifier.inner.cache.len(), 1);

    // The cache keeps the verdict, not the endpoint's checks.
    let write = Requirements::resource(API).scopes(&["write"]);
    assert!(
        matches!(verifier.verify(&token, &write).await, Err(BearerError::InsufficientScope { required }) if required == ["write"])
    );
    assert_eq!(
        invalid(
            verifier
                .verify(&token, &Requirements::resource("https://other.example.com"))
                .await
        ),
        InvalidToken::WrongAudience("https://other.example.com".into())
    );
}

#[tokio::test]
async fn refuses_none_hmac_and_other_types() {
    let (signer, issuer, verifier, _) = setup().await;
    let payload = URL_SAFE_NO_PAD.encode(claims(&issuer).to_string());
    let none = format!(
        "{}.{payload}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt","kid":"k1"}"#)
    );
    assert_eq!(
        invalid(verifier.verify(&none, &read()).await),
        InvalidToken::AlgorithmNotAllowed("none".into())
    );

    // HS256 "signed" with the public key's bytes: refused before any key is used.
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some("at+jwt".into());
    header.kid = Some("k1".into());
    let hmac = jsonwebtoken::encode(
        &header,
        &claims(&issuer),
        &EncodingKey::from_secret(signer.jwk.to_string().as_bytes()),
    )
    .unwrap();
    assert_eq!(
        invalid(verifier.verify(&hmac, &read()).await),
        InvalidToken::AlgorithmNotAllowed("HS256".into())
    );

    let mut id_token = Header::new(Algorithm::ES384);
    id_token.kid = Some("k1".into());
    id_token.typ = Some("JWT".into());
    let id_token = signer.sign_with(id_token, &claims(&issuer));
    assert_eq!(
        invalid(verifier.verify(&id_token, &read()).await),
        InvalidToken::NotAnAccessToken(Some("JWT".into()))
    );

    let mut media_type = Header::new(Algorithm::ES384);
    media_type.kid = Some("k1".into());
    media_type.typ = Some("application/at+jwt".into());
    verifier
        .verify(&signer.sign_with(media_type, &claims(&issuer)), &read())
        .await
        .unwrap();

    assert!(matches!(
        invalid(verifier.verify("not-a-jwt", &read()).await),
        InvalidToken::Malformed(_)
    ));
    let mut forged = signer.sign(&claims(&issuer));
    forged.replace_range(forged.len() - 6.., "AAAAAA");
    assert_eq!(
        invalid(verifier.verify(&forged, &read()).await),
        InvalidToken::BadSignature
    );
}

#[tokio::test]
async fn checks_issuer_time_audience_scope_and_organization() {
    let (signer, issuer, verifier, clock) = setup().await;
    let with = |patch: Value| {
        let mut c = claims(&issuer);
        for (k, v) in patch.as_object().unwrap() {
            c[k] = v.clone();
        }
        signer.sign(&c)
    };
    assert_eq!(
        invalid(
            verifier
                .verify(&with(json!({"iss": "http://evil.example/oidc"})), &read())
                .await
        ),
        InvalidToken::WrongIssuer
    );
    assert_eq!(
        invalid(
            verifier
                .verify(&with(json!({"aud": "https://other.example.com"})), &read())
                .await
        ),
        InvalidToken::WrongAudience(API.into())
    );
    verifier
        .verify(
            &with(json!({"aud": ["https://other.example.com", API]})),
            &read(),
        )
        .await
        .unwrap();
    assert_eq!(
        invalid(
            verifier
                .verify(&with(json!({"exp": now() - 61})), &read())
                .await
        ),
        InvalidToken::Expired
    );
    verifier
        .verify(&with(json!({"exp": now() - 30})), &read())
        .await
        .expect("within the 60 s leeway");
    assert_eq!(
        invalid(
            verifier
                .verify(&with(json!({"nbf": now() + 120})), &read())
                .await
        ),
        InvalidToken::NotYetValid
    );
    assert_eq!(
        invalid(verifier.verify(&with(json!({"sub": null})), &read()).await),
        InvalidToken::Claim("sub".into())
    );

    let readonly = with(json!({"scope": "readonly write"}));
    assert!(
        matches!(
            verifier.verify(&readonly, &read()).await,
            Err(BearerError::InsufficientScope { .. })
        ),
        "`read` is not `readonly`"
    );

    let org = with(json!({"aud": "urn:logto:organization:org_acme", "scope": "read:members"}));
    verifier
        .verify(
            &org,
            &Requirements::organization("org_acme").scopes(&["read:members"]),
        )
        .await
        .unwrap();
    assert!(matches!(
        invalid(
            verifier
                .verify(&org, &Requirements::organization("org_globex"))
                .await
        ),
        InvalidToken::WrongAudience(_)
    ));
    let org_api = with(json!({"organization_id": "org_acme"}));
    let access = verifier
        .verify(&org_api, &read().organization_id("org_acme"))
        .await
        .unwrap();
    assert_eq!(access.organization_id(), Some("org_acme"));
    assert_eq!(
        invalid(
            verifier
                .verify(&org_api, &read().organization_id("org_globex"))
                .await
        ),
        InvalidToken::WrongOrganization("org_globex".into())
    );

    // A cached token expires with the clock.
    let token = with(json!({}));
    verifier.verify(&token, &read()).await.unwrap();
    clock.0.store(3600 + 61, Ordering::SeqCst);
    assert_eq!(
        invalid(verifier.verify(&token, &read()).await),
        InvalidToken::Expired
    );
}

#[tokio::test]
async fn unknown_key_ids_refetch_the_keys_at_most_once_per_interval() {
    let (signer, issuer, verifier, _) = setup().await;
    verifier
        .verify(&signer.sign(&claims(&issuer)), &read())
        .await
        .unwrap();
    assert_eq!(issuer.fetches(), 1);

    // The provider rotates: the new key's tokens are accepted after one refetch.
    let rotated = Signer::new("k2");
    *issuer.keys.lock().unwrap() = vec![rotated.jwk.clone()];
    verifier
        .verify(&rotated.sign(&claims(&issuer)), &read())
        .await
        .unwrap();
    assert_eq!(issuer.fetches(), 2);

    // Forged key ids: refused; the refetch they trigger is rate limited.
    for i in 0..5 {
        let forged = Signer::new(&format!("forged-{i}"));
        assert_eq!(
            invalid(
                verifier
                    .verify(&forged.sign(&claims(&issuer)), &read())
                    .await
            ),
            InvalidToken::UnknownKey
        );
    }
    assert_eq!(issuer.fetches(), 2, "within the interval, no refetch");
}

#[tokio::test]
async fn concurrent_unknown_keys_share_one_fetch() {
    let (signer, issuer, verifier, _) = setup().await;
    let tokens: Vec<String> = (0..20).map(|_| signer.sign(&claims(&issuer))).collect();
    let requirements = read();
    let results =
        futures_util::future::join_all(tokens.iter().map(|t| verifier.verify(t, &requirements)))
            .await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(issuer.fetches(), 1, "twenty first requests, one fetch");
}

#[tokio::test]
async fn an_unreachable_provider_is_not_the_tokens_fault() {
    let verifier = BearerVerifier::builder::<Api>()
        .endpoint("http://127.0.0.1:9")
        .http_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let signer = Signer::new("k1");
    let token = signer.sign(
        &json!({"iss": "http://127.0.0.1:9/oidc", "sub": "u", "aud": API, "exp": now() + 60}),
    );
    let error = verifier.verify(&token, &read()).await.unwrap_err();
    assert!(
        matches!(
            error,
            BearerError::Provider(crate::ProviderError::Unreachable { .. })
        ),
        "{error:?}"
    );
    assert_eq!(error.error_code(), None);
}

#[test]
fn the_builder_needs_only_the_endpoint() {
    let error = BearerVerifier::builder::<Api>().build().unwrap_err();
    assert!(error.to_string().contains("LOGTO_ENDPOINT"), "{error}");
    let verifier = BearerVerifier::builder::<Api>()
        .endpoint("https://tenant.logto.app/")
        .build()
        .unwrap();
    assert_eq!(verifier.issuer(), "https://tenant.logto.app/oidc");
    assert_eq!(verifier.resources(), [API]);
}

#[tokio::test]
async fn organization_scoped_tokens_pass_only_where_named_or_allowed() {
    let (signer, issuer, verifier, _) = setup().await;
    let global = signer.sign(&claims(&issuer));
    let mut scoped = claims(&issuer);
    scoped["organization_id"] = json!("org_acme");
    scoped["scope"] = json!("read write");
    let scoped = signer.sign(&scoped);

    // A requirement that names no organization: global tokens only, whatever the
    // scoped token's scopes.
    assert_eq!(
        invalid(verifier.verify(&scoped, &read()).await),
        InvalidToken::OrganizationScoped
    );
    let resources = vec![API.to_owned()];
    assert_eq!(
        invalid(
            verifier
                .verify(&scoped, &Requirements::any_of(&resources))
                .await
        ),
        InvalidToken::OrganizationScoped
    );
    assert_eq!(
        InvalidToken::OrganizationScoped.to_string(),
        "the token is scoped to an organization; this endpoint accepts only global tokens"
    );
    assert_eq!(
        verifier
            .verify(&global, &read())
            .await
            .unwrap()
            .organization_id(),
        None
    );

    // The opt-in: both kinds pass, and the handler sees which organization.
    let any = read().allow_organization_scoped_tokens();
    let access = verifier.verify(&scoped, &any).await.unwrap();
    assert_eq!(access.organization_id(), Some("org_acme"));
    assert_eq!(access.scopes(), ["read", "write"]);
    assert_eq!(
        verifier
            .verify(&global, &any)
            .await
            .unwrap()
            .organization_id(),
        None
    );

    // A named organization: that one only; the opt-in does not widen it, in either
    // order.
    let acme = read().organization_id("org_acme");
    assert_eq!(
        verifier
            .verify(&scoped, &acme)
            .await
            .unwrap()
            .organization_id(),
        Some("org_acme")
    );
    for globex in [
        read().organization_id("org_globex"),
        read()
            .organization_id("org_globex")
            .allow_organization_scoped_tokens(),
        read()
            .allow_organization_scoped_tokens()
            .organization_id("org_globex"),
    ] {
        assert_eq!(
            invalid(verifier.verify(&scoped, &globex).await),
            InvalidToken::WrongOrganization("org_globex".into())
        );
    }
    assert_eq!(
        invalid(verifier.verify(&global, &acme).await),
        InvalidToken::WrongOrganization("org_acme".into()),
        "a global token is no organization's"
    );

    // An organization token whose claim names another organization than its `aud`.
    let mut mixed = claims(&issuer);
    mixed["aud"] = json!("urn:logto:organization:org_acme");
    mixed["organization_id"] = json!("org_globex");
    assert_eq!(
        invalid(
            verifier
                .verify(
                    &signer.sign(&mixed),
                    &Requirements::organization("org_acme")
                )
                .await
        ),
        InvalidToken::WrongOrganization("org_acme".into())
    );
}

/// The class, not the instance: for any claims, a token with an `organization_id` is
/// refused by every requirement that names no organization and has not opted in, even
/// when its audience and scopes fit.
mod organization_properties {
    use proptest::{collection::vec, prelude::*};

    use super::super::{BearerError, InvalidToken, Requirements, verify::Verified};

    fn name() -> impl Strategy<Value = String> {
        "[a-z0-9:/._-]{1,16}"
    }

    fn verified(
        audiences: Vec<String>,
        scopes: Vec<String>,
        organization: Option<String>,
    ) -> Verified {
        Verified {
            audiences,
            scopes,
            organization_id: organization,
            exp: i64::MAX,
        }
    }

    proptest! {
        #[test]
        fn a_scoped_token_never_passes_a_requirement_naming_no_organization(
            audiences in vec(name(), 1..4),
            scopes in vec(name(), 0..5),
            organization in "[A-Za-z0-9_ -]{0,16}",
            pick in any::<prop::sample::Index>(),
            required in any::<prop::sample::Index>(),
            any_of in any::<bool>(),
        ) {
            let resource = pick.get(&audiences).clone();
            let required: Vec<&str> = scopes.iter().take(required.index(scopes.len() + 1)).map(String::as_str).collect();
            let resources = vec![resource.clone()];
            let requirements = if any_of {
                Requirements::any_of(&resources)
            } else {
                Requirements::resource(&resource)
            }
            .scopes(&required);
            let scoped = verified(audiences.clone(), scopes.clone(), Some(organization.clone()));
            prop_assert!(matches!(
                scoped.check(&requirements),
                Err(BearerError::Invalid(InvalidToken::OrganizationScoped))
            ));
            // Controls: the same claims without the organization pass, and with the
            // opt-in the scoped token passes, naming its organization.
            let global = verified(audiences, scopes.clone(), None);
            prop_assert!(global.check(&requirements).is_ok());
            let allowed = requirements.allow_organization_scoped_tokens();
            prop_assert_eq!(
                scoped.check(&allowed).ok().and_then(|(_, org)| org),
                Some(organization)
            );
        }

        #[test]
        fn a_named_organization_admits_no_other(
            audiences in vec(name(), 1..4),
            organization in "[a-z_]{1,8}",
            expected in "[a-z_]{1,8}",
            claim in any::<bool>(),
            allow in any::<bool>(),
            pick in any::<prop::sample::Index>(),
        ) {
            prop_assume!(organization != expected);
            let resource = pick.get(&audiences).clone();
            let requirements = Requirements::resource(&resource).organization_id(&expected);
            let requirements = if allow { requirements.allow_organization_scoped_tokens() } else { requirements };
            let token = verified(audiences, vec![], claim.then_some(organization));
            prop_assert!(matches!(
                token.check(&requirements),
                Err(BearerError::Invalid(InvalidToken::WrongOrganization(named))) if named == expected
            ));
        }
    }
}

/// The monotonic time of the key cache, moved by hand: ages and back-offs without
/// sleeping.
#[derive(Clone)]
struct Hands {
    base: Instant,
    offset_ms: Arc<AtomicU64>,
}

impl Hands {
    fn new() -> Self {
        Self {
            base: Instant::now(),
            offset_ms: Arc::default(),
        }
    }

    fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }

    fn ticker(&self) -> keys::Ticker {
        let hands = self.clone();
        keys::Ticker::manual(move || {
            hands.base + Duration::from_millis(hands.offset_ms.load(Ordering::SeqCst))
        })
    }
}

const TTL: Duration = Duration::from_secs(3600);
const INTERVAL: Duration = Duration::from_secs(10);

/// A verifier on `issuer` whose key cache runs on `hands`, with a short HTTP timeout.
fn verifier_on(issuer: &Issuer, hands: &Hands, timeout: Duration) -> BearerVerifier {
    BearerVerifier::new(
        KeySource {
            issuer: issuer.url.clone(),
            http: HttpClient::new(timeout),
            ttl: TTL,
            refetch_interval: INTERVAL,
            ticker: hands.ticker(),
        },
        60,
        DEFAULT_CACHE_CAPACITY,
        Arc::new(SystemClock),
        vec!["read".into()],
        vec![API.into()],
    )
}

/// A token of `signer` no other test token shares (so it misses the verdict cache).
fn fresh(signer: &Signer, issuer: &Issuer) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let mut claims = claims(issuer);
    claims["jti"] = json!(format!("t-{}", NEXT.fetch_add(1, Ordering::SeqCst)));
    signer.sign(&claims)
}

fn unavailable(result: &Result<AccessToken, BearerError>) -> bool {
    matches!(result, Err(BearerError::KeysUnavailable { .. }))
}

/// Polls `done` for up to `within`.
async fn eventually(within: Duration, done: impl Fn() -> bool) -> bool {
    let until = Instant::now() + within;
    while Instant::now() < until {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    done()
}

#[tokio::test]
async fn without_keys_a_failed_load_is_answered_at_once_until_the_interval_ends() {
    let signer = Signer::new("k1");
    let issuer = Issuer::start(vec![signer.jwk.clone()]).await;
    issuer.jwks(JWKS_FAILS);
    let hands = Hands::new();
    let verifier = verifier_on(&issuer, &hands, Duration::from_secs(2));

    // Ten first requests share one load; its failure is the others' answer too.
    let tokens: Vec<String> = (0..10).map(|_| fresh(&signer, &issuer)).collect();
    let requirements = read();
    let results =
        futures_util::future::join_all(tokens.iter().map(|t| verifier.verify(t, &requirements)))
            .await;
    assert_eq!(issuer.fetches(), 1, "one JWKS fetch for ten requests");
    let failed = results
        .iter()
        .filter(|r| matches!(r, Err(BearerError::Provider(_))))
        .count();
    let waited_out = results.iter().filter(|r| unavailable(r)).count();
    assert_eq!((failed, waited_out), (1, 9), "{results:?}");

    // Within the interval the provider is not asked again, whatever the token.
    hands.advance(INTERVAL - Duration::from_secs(1));
    let result = verifier.verify(&fresh(&signer, &issuer), &read()).await;
    match &result {
        Err(error @ BearerError::KeysUnavailable { retry_after }) => {
            assert_eq!(*retry_after, Duration::from_secs(1));
            assert_eq!(error.error_code(), None, "not the token's fault");
            assert!(!error.to_string().contains("127.0.0.1"), "{error}");
        }
        other => panic!("expected KeysUnavailable, got {other:?}"),
    }
    assert_eq!(issuer.fetches(), 1);

    // After it, once more; the provider is back.
    issuer.jwks(JWKS_OK);
    hands.advance(Duration::from_secs(1));
    verifier
        .verify(&fresh(&signer, &issuer), &read())
        .await
        .expect("the keys load after the back-off");
    assert_eq!(issuer.fetches(), 2);
}

#[tokio::test]
async fn aged_keys_keep_serving_while_their_reload_stalls_and_fails() {
    let signer = Signer::new("k1");
    let issuer = Issuer::start(vec![signer.jwk.clone()]).await;
    let hands = Hands::new();
    let timeout = Duration::from_millis(800);
    let verifier = verifier_on(&issuer, &hands, timeout);
    verifier
        .verify(&fresh(&signer, &issuer), &read())
        .await
        .unwrap();
    assert_eq!(issuer.fetches(), 1);

    // The keys age while the provider hangs: requests are served with the old keys at
    // once, and one reload (not one per request) goes to the provider meanwhile.
    issuer.jwks(JWKS_STALLS);
    hands.advance(TTL);
    for _ in 0..5 {
        let token = fresh(&signer, &issuer);
        let started = Instant::now();
        verifier
            .verify(&token, &read())
            .await
            .expect("aged keys still judge tokens");
        assert!(
            started.elapsed() < timeout / 2,
            "no request waits on the reload ({:?})",
            started.elapsed()
        );
    }
    assert!(
        eventually(Duration::from_secs(2), || issuer.fetches() == 2).await,
        "the background reload asks the provider"
    );

    // An unknown kid shares the reload in flight (no fetch of its own) and, once it
    // failed, is told to come back: 503, not a 401 for a token that may be good.
    let rotated = Signer::new("k2");
    let token = fresh(&rotated, &issuer);
    let started = Instant::now();
    let result = verifier.verify(&token, &read()).await;
    assert!(unavailable(&result), "{result:?}");
    assert!(started.elapsed() < timeout * 2, "{:?}", started.elapsed());
    assert_eq!(issuer.fetches(), 2);

    // The back-off: known keys still serve, unknown ones are answered at once, nothing
    // is fetched.
    verifier
        .verify(&fresh(&signer, &issuer), &read())
        .await
        .unwrap();
    let token = fresh(&rotated, &issuer);
    let started = Instant::now();
    assert!(unavailable(&verifier.verify(&token, &read()).await));
    assert!(
        started.elapsed() < timeout / 2,
        "answered without waiting: {:?}",
        started.elapsed()
    );
    assert_eq!(issuer.fetches(), 2);

    // After the interval the provider (now answering, with both keys) is asked once,
    // in the background; the reloaded keys then judge the new kid without a refetch.
    *issuer.keys.lock().unwrap() = vec![signer.jwk.clone(), rotated.jwk.clone()];
    issuer.jwks(JWKS_OK);
    hands.advance(INTERVAL);
    verifier
        .verify(&fresh(&signer, &issuer), &read())
        .await
        .unwrap();
    assert!(eventually(Duration::from_secs(2), || issuer.fetches() == 3).await);
    let mut rotated_ok = false;
    for _ in 0..100 {
        if verifier
            .verify(&fresh(&rotated, &issuer), &read())
            .await
            .is_ok()
        {
            rotated_ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(rotated_ok, "the reloaded keys hold the new kid");
    assert_eq!(issuer.fetches(), 3, "one reload, no refetch after it");
}

#[tokio::test]
async fn concurrent_unknown_kids_during_an_outage_wait_for_one_fetch_not_one_each() {
    let signer = Signer::new("k1");
    let issuer = Issuer::start(vec![signer.jwk.clone()]).await;
    let hands = Hands::new();
    let timeout = Duration::from_millis(500);
    let verifier = verifier_on(&issuer, &hands, timeout);
    verifier
        .verify(&fresh(&signer, &issuer), &read())
        .await
        .unwrap();

    issuer.jwks(JWKS_STALLS);
    let requirements = read();
    let unknown: Vec<String> = (0..10)
        .map(|i| fresh(&Signer::new(&format!("unknown-{i}")), &issuer))
        .collect();
    let started = Instant::now();
    let results =
        futures_util::future::join_all(unknown.iter().map(|t| verifier.verify(t, &requirements)))
            .await;
    let elapsed = started.elapsed();
    assert_eq!(issuer.fetches(), 2, "one refetch for ten unknown kids");
    assert!(
        elapsed < timeout * 3,
        "one timeout, not ten in turn: {elapsed:?}"
    );
    assert!(
        matches!(
            results[0],
            Err(BearerError::Provider(crate::ProviderError::Timeout { .. }))
        ),
        "{:?}",
        results[0]
    );
    assert!(results[1..].iter().all(unavailable), "{results:?}");
    // Meanwhile and after, the known key keeps working.
    verifier
        .verify(&fresh(&signer, &issuer), &read())
        .await
        .unwrap();
}

#[test]
fn retry_after_rounds_up_to_whole_seconds() {
    assert_eq!(retry_seconds(Duration::from_millis(9_500)), 10);
    assert_eq!(retry_seconds(Duration::from_secs(9)), 9);
    assert_eq!(retry_seconds(Duration::ZERO), 1);
    let error = BearerError::KeysUnavailable {
        retry_after: Duration::from_millis(200),
    };
    assert_eq!(
        error.to_string(),
        "the provider's signing keys are unavailable; try again in 1 s"
    );
}
