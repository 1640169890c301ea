//! The verifier against a local issuer whose keys the tests hold, so every claim can be
//! forged with a valid signature and each check is seen refusing on its own.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicI64, AtomicUsize, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
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
}

impl Issuer {
    async fn start(keys: Vec<Value>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/oidc", listener.local_addr().unwrap());
        let issuer = Self {
            url: url.clone(),
            keys: Arc::new(Mutex::new(keys)),
            jwks_fetches: Arc::default(),
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
                    Json(json!({"keys": *i.keys.lock().unwrap()}))
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
