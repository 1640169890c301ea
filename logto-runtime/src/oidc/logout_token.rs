//! Logout tokens of OpenID Connect Back-Channel Logout 1.0, validated per its section
//! 2.6 (and the errata's explicit typing): the signature with the provider's keys
//! (the ID token's JWKS and asymmetric algorithms, `kid` required), `typ`, `iss`,
//! `aud`, `iat`, `exp`, `jti`, the `events` claim, `sub` and/or `sid`, and no `nonce`.
//!
//! Signatures are checked by `jsonwebtoken` with keys from the provider cache the ID
//! tokens use; nothing here computes a signature. Replay (`jti`) is the caller's: it
//! needs the store.

use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::Jwk};
use openidconnect::core::{CoreJsonWebKeySet, CoreJwsSigningAlgorithm};
use serde_json::{Map, Value};

use super::Client;

/// The event a logout token must announce (section 2.4).
pub(crate) const BACKCHANNEL_LOGOUT_EVENT: &str =
    "http://schemas.openid.net/event/backchannel-logout";
/// How far `iat` may be ahead of our clock.
const CLOCK_SKEW: i64 = 60;
/// How old a logout token may be: the provider sends it as the session ends.
const MAX_AGE: i64 = 600;
/// The longest logout token we read; the provider's are well under 2 KB.
pub(crate) const MAX_LEN: usize = 8 * 1024;
/// The longest `sub`, `sid` or `jti` we accept.
const MAX_CLAIM_LEN: usize = 512;

/// A verified logout token: whose sessions end, and what replay protection needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogoutToken {
    pub sub: Option<String>,
    pub sid: Option<String>,
    pub jti: String,
    /// Seconds since the epoch; `jti` is remembered until then.
    pub exp: i64,
}

/// Why a logout token was refused (each a 400 `invalid_request`; the detail is logged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LogoutTokenError {
    #[error("not a signed JWT: {0}")]
    Malformed(String),
    #[error("the algorithm `{0}` is not one the provider signs ID tokens with")]
    Algorithm(String),
    #[error("the header names no key (`kid`)")]
    NoKid,
    #[error("the header's `typ` is `{0}`, not `logout+jwt`")]
    Type(String),
    #[error("the header has `crit` parameters")]
    Critical,
    #[error("signed by a key not in the provider's JWKS")]
    UnknownKey,
    #[error("the signature does not verify: {0}")]
    Signature(String),
    #[error("the claim `{0}` is missing or malformed")]
    Claim(&'static str),
    #[error("issued by `{0}`, not by the configured issuer")]
    Issuer(String),
    #[error("not addressed to this client")]
    Audience,
    #[error("`iat` is in the future")]
    IssuedInTheFuture,
    #[error("`iat` is more than 10 minutes old")]
    TooOld,
    #[error("it has expired")]
    Expired,
    #[error("the `events` claim has no back-channel logout event")]
    NoLogoutEvent,
    #[error("it names neither `sub` nor `sid`")]
    NoSubject,
    #[error("it carries a `nonce` (an ID token, not a logout token)")]
    Nonce,
}

/// What the token is checked against, besides the keys.
pub(crate) struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// Seconds since the epoch.
    pub now: i64,
}

/// Verifies `raw` against the provider's keys, fetching them once more when the token
/// names a key we do not have (rate-limited by the provider cache). `Err(Ok(_))` is a
/// bad token; `Err(Err(_))` a provider we could not reach.
pub(crate) async fn verify(
    client: &Client<'_>,
    raw: &str,
) -> Result<LogoutToken, Result<LogoutTokenError, crate::error::ProviderError>> {
    let mut provider = client.provider().await.map_err(Err)?;
    let expected = Expected {
        issuer: &client.settings.issuer,
        client_id: &client.settings.app_id,
        now: client.settings.clock.unix_seconds(),
    };
    let mut refetched = false;
    loop {
        match verify_with(raw, &provider.jwks, &provider.id_token_algs, &expected) {
            Err(LogoutTokenError::UnknownKey) if !refetched => {
                refetched = true;
                match client
                    .provider_cache
                    .refresh_keys(&provider, client.settings, client.http)
                    .await
                    .map_err(Err)?
                {
                    Some(fresh) => provider = fresh,
                    None => return Err(Ok(LogoutTokenError::UnknownKey)),
                }
            }
            other => return other.map_err(Ok),
        }
    }
}

/// The algorithm of `alg`, if it is asymmetric and one the provider signs ID tokens
/// with (the logout token is signed as its ID tokens are, section 2.4).
fn algorithm(alg: &str, allowed: &[CoreJwsSigningAlgorithm]) -> Option<Algorithm> {
    let algorithm = match alg {
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        "EdDSA" => Algorithm::EdDSA,
        // `none`, HMAC (the client secret would be a signing key) and the unknown.
        _ => return None,
    };
    let named = serde_json::to_value(allowed).ok()?;
    named
        .as_array()?
        .iter()
        .any(|a| a.as_str() == Some(alg))
        .then_some(algorithm)
}

/// The decoding key of `kid` in `jwks`, if it is a signing key fit for `algorithm`.
fn key(
    jwks: &CoreJsonWebKeySet,
    kid: &str,
    algorithm: Algorithm,
) -> Result<DecodingKey, LogoutTokenError> {
    let value = serde_json::to_value(jwks).map_err(|_| LogoutTokenError::UnknownKey)?;
    let keys = value["keys"].as_array().cloned().unwrap_or_default();
    let jwk = keys
        .into_iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
        .find(|k| k.common.key_id.as_deref() == Some(kid))
        .ok_or(LogoutTokenError::UnknownKey)?;
    if matches!(
        jwk.common.public_key_use,
        Some(jsonwebtoken::jwk::PublicKeyUse::Encryption)
    ) {
        return Err(LogoutTokenError::UnknownKey);
    }
    if let Some(alg) = jwk.common.key_algorithm
        && alg.to_string() != format!("{algorithm:?}")
    {
        return Err(LogoutTokenError::Signature(format!(
            "the key is for {alg}, the token says {algorithm:?}"
        )));
    }
    DecodingKey::from_jwk(&jwk).map_err(|e| LogoutTokenError::Signature(e.to_string()))
}

/// Every check of section 2.6 but replay, against the keys at hand.
pub(crate) fn verify_with(
    raw: &str,
    jwks: &CoreJsonWebKeySet,
    allowed: &[CoreJwsSigningAlgorithm],
    expected: &Expected<'_>,
) -> Result<LogoutToken, LogoutTokenError> {
    if raw.len() > MAX_LEN {
        return Err(LogoutTokenError::Malformed("longer than 8 KB".into()));
    }
    // Five parts would be a JWE: we register no encryption key, so none is expected.
    if raw.split('.').count() != 3 {
        return Err(LogoutTokenError::Malformed(
            "a signed JWT has three dot-separated parts".into(),
        ));
    }
    let header = jsonwebtoken::decode_header(raw)
        .map_err(|e| LogoutTokenError::Malformed(format!("the header: {e}")))?;
    let alg = format!("{:?}", header.alg);
    let algorithm = algorithm(&alg, allowed).ok_or(LogoutTokenError::Algorithm(alg))?;
    if let Some(typ) = &header.typ {
        let typ = typ.to_ascii_lowercase();
        if typ != "logout+jwt" && typ != "application/logout+jwt" {
            return Err(LogoutTokenError::Type(typ));
        }
    }
    if header.crit.is_some() {
        return Err(LogoutTokenError::Critical);
    }
    let kid = header.kid.as_deref().ok_or(LogoutTokenError::NoKid)?;
    let key = key(jwks, kid, algorithm)?;
    // The signature only: the claims are checked below against our clock, which
    // `jsonwebtoken` cannot be given.
    let mut validation = Validation::new(algorithm);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<Map<String, Value>>(raw, &key, &validation)
        .map_err(|e| LogoutTokenError::Signature(e.to_string()))?
        .claims;
    check_claims(&claims, expected)
}

/// Section 2.6 steps 3 to 7 on a payload whose signature verified.
pub(crate) fn check_claims(
    claims: &Map<String, Value>,
    expected: &Expected<'_>,
) -> Result<LogoutToken, LogoutTokenError> {
    let text = |name: &'static str| -> Result<Option<String>, LogoutTokenError> {
        match claims.get(name) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_CLAIM_LEN => {
                Ok(Some(s.clone()))
            }
            Some(_) => Err(LogoutTokenError::Claim(name)),
        }
    };
    let date = |name: &'static str| -> Result<i64, LogoutTokenError> {
        match claims.get(name).and_then(Value::as_f64) {
            Some(seconds) if seconds.is_finite() && seconds.abs() < 1e15 => {
                Ok(seconds.floor() as i64)
            }
            _ => Err(LogoutTokenError::Claim(name)),
        }
    };
    let iss = text("iss")?.ok_or(LogoutTokenError::Claim("iss"))?;
    if iss != expected.issuer {
        return Err(LogoutTokenError::Issuer(iss));
    }
    let ours = match claims.get("aud") {
        Some(Value::String(aud)) => aud == expected.client_id,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(expected.client_id)),
        _ => return Err(LogoutTokenError::Claim("aud")),
    };
    // As for ID tokens (OIDC Core 3.1.3.7): an authorized party, when named, is us.
    let azp_ours = match claims.get("azp") {
        None => true,
        Some(azp) => azp.as_str() == Some(expected.client_id),
    };
    if !ours || !azp_ours {
        return Err(LogoutTokenError::Audience);
    }
    let iat = date("iat")?;
    if iat > expected.now + CLOCK_SKEW {
        return Err(LogoutTokenError::IssuedInTheFuture);
    }
    if iat < expected.now - MAX_AGE {
        return Err(LogoutTokenError::TooOld);
    }
    let exp = date("exp")?;
    if exp <= expected.now - CLOCK_SKEW {
        return Err(LogoutTokenError::Expired);
    }
    let jti = text("jti")?.ok_or(LogoutTokenError::Claim("jti"))?;
    match claims.get("events") {
        Some(Value::Object(events))
            if events
                .get(BACKCHANNEL_LOGOUT_EVENT)
                .is_some_and(Value::is_object) => {}
        Some(Value::Object(_)) | None => return Err(LogoutTokenError::NoLogoutEvent),
        Some(_) => return Err(LogoutTokenError::Claim("events")),
    }
    let sub = text("sub")?;
    let sid = text("sid")?;
    if sub.is_none() && sid.is_none() {
        return Err(LogoutTokenError::NoSubject);
    }
    if claims.contains_key("nonce") {
        return Err(LogoutTokenError::Nonce);
    }
    Ok(LogoutToken { sub, sid, jti, exp })
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header};
    use p384::pkcs8::EncodePrivateKey;
    use serde_json::json;

    use super::*;

    const ISSUER: &str = "http://127.0.0.2:3001/oidc";
    const NOW: i64 = 1_700_000_000;

    struct Signer {
        key: EncodingKey,
        jwks: CoreJsonWebKeySet,
    }

    fn signer(kid: &str) -> Signer {
        let secret = p384::SecretKey::random(&mut rand::rngs::OsRng);
        let der = secret.to_pkcs8_der().unwrap();
        let mut jwk: Value = serde_json::from_str(&secret.public_key().to_jwk_string()).unwrap();
        jwk["kid"] = json!(kid);
        jwk["alg"] = json!("ES384");
        jwk["use"] = json!("sig");
        Signer {
            key: EncodingKey::from_ec_der(der.as_bytes()),
            jwks: serde_json::from_value(json!({ "keys": [jwk] })).unwrap(),
        }
    }

    fn header() -> Header {
        let mut header = Header::new(Algorithm::ES384);
        header.typ = Some("logout+jwt".into());
        header.kid = Some("k1".into());
        header
    }

    fn claims() -> Value {
        json!({
            "iss": ISSUER,
            "aud": "app",
            "iat": NOW - 5,
            "exp": NOW + 120,
            "jti": "jti-1",
            "sub": "user-1",
            "sid": "sid-1",
            "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
        })
    }

    fn check(
        signer: &Signer,
        header: &Header,
        claims: &Value,
    ) -> Result<LogoutToken, LogoutTokenError> {
        let raw = jsonwebtoken::encode(header, claims, &signer.key).unwrap();
        verify_with(
            &raw,
            &signer.jwks,
            &[CoreJwsSigningAlgorithm::EcdsaP384Sha384],
            &Expected {
                issuer: ISSUER,
                client_id: "app",
                now: NOW,
            },
        )
    }

    fn with(change: impl FnOnce(&mut Map<String, Value>)) -> Value {
        let mut claims = claims();
        change(claims.as_object_mut().unwrap());
        claims
    }

    #[test]
    fn a_good_token_names_its_session() {
        let s = signer("k1");
        let token = check(&s, &header(), &claims()).unwrap();
        assert_eq!(
            token,
            LogoutToken {
                sub: Some("user-1".into()),
                sid: Some("sid-1".into()),
                jti: "jti-1".into(),
                exp: NOW + 120,
            }
        );
        // `typ` may be left out, or written as the media type; `aud` may be a list.
        let mut plain = header();
        plain.typ = None;
        assert!(check(&s, &plain, &claims()).is_ok());
        let mut media = header();
        media.typ = Some("application/logout+JWT".into());
        assert!(check(&s, &media, &claims()).is_ok());
        let listed = with(|c| {
            c.insert("aud".into(), json!(["other", "app"]));
        });
        assert!(check(&s, &header(), &listed).is_ok());
        let sid_only = with(|c| {
            c.remove("sub");
        });
        assert_eq!(check(&s, &header(), &sid_only).unwrap().sub, None);
        let sub_only = with(|c| {
            c.remove("sid");
        });
        assert_eq!(check(&s, &header(), &sub_only).unwrap().sid, None);
    }

    #[test]
    fn the_signature_must_be_the_providers() {
        let s = signer("k1");
        let forger = signer("k1");
        let raw = jsonwebtoken::encode(&header(), &claims(), &forger.key).unwrap();
        let result = verify_with(
            &raw,
            &s.jwks,
            &[CoreJwsSigningAlgorithm::EcdsaP384Sha384],
            &Expected {
                issuer: ISSUER,
                client_id: "app",
                now: NOW,
            },
        );
        assert!(
            matches!(result, Err(LogoutTokenError::Signature(_))),
            "{result:?}"
        );
        let mut other_kid = header();
        other_kid.kid = Some("k2".into());
        assert_eq!(
            check(&s, &other_kid, &claims()),
            Err(LogoutTokenError::UnknownKey)
        );
        let mut no_kid = header();
        no_kid.kid = None;
        assert_eq!(check(&s, &no_kid, &claims()), Err(LogoutTokenError::NoKid));
    }

    #[test]
    fn symmetric_none_and_unlisted_algorithms_are_refused() {
        let s = signer("k1");
        let mut hs = header();
        hs.alg = Algorithm::HS256;
        let raw =
            jsonwebtoken::encode(&hs, &claims(), &EncodingKey::from_secret(b"secret")).unwrap();
        let expected = Expected {
            issuer: ISSUER,
            client_id: "app",
            now: NOW,
        };
        let algs = [CoreJwsSigningAlgorithm::EcdsaP384Sha384];
        assert_eq!(
            verify_with(&raw, &s.jwks, &algs, &expected),
            Err(LogoutTokenError::Algorithm("HS256".into()))
        );
        // `none`: a header and payload with an empty signature.
        use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"k1"}"#),
            URL_SAFE_NO_PAD.encode(claims().to_string())
        );
        assert!(verify_with(&none, &s.jwks, &algs, &expected).is_err());
        // ES384 by a provider that signs ID tokens with RS256 only.
        let raw = jsonwebtoken::encode(&header(), &claims(), &s.key).unwrap();
        assert_eq!(
            verify_with(
                &raw,
                &s.jwks,
                &[CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
                &expected
            ),
            Err(LogoutTokenError::Algorithm("ES384".into()))
        );
    }

    #[test]
    fn typ_and_crit_are_checked() {
        let s = signer("k1");
        let mut id_token = header();
        id_token.typ = Some("JWT".into());
        assert_eq!(
            check(&s, &id_token, &claims()),
            Err(LogoutTokenError::Type("jwt".into()))
        );
        let mut crit = header();
        crit.crit = Some(vec!["exp".into()]);
        assert_eq!(check(&s, &crit, &claims()), Err(LogoutTokenError::Critical));
    }

    #[test]
    fn iss_aud_iat_and_exp_are_checked() {
        let s = signer("k1");
        let case = |change: fn(&mut Map<String, Value>)| check(&s, &header(), &with(change));
        assert_eq!(
            case(|c| {
                c.insert("iss".into(), json!("http://evil/oidc"));
            }),
            Err(LogoutTokenError::Issuer("http://evil/oidc".into()))
        );
        assert_eq!(
            case(|c| {
                c.remove("iss");
            }),
            Err(LogoutTokenError::Claim("iss"))
        );
        assert_eq!(
            case(|c| {
                c.insert("aud".into(), json!("other"));
            }),
            Err(LogoutTokenError::Audience)
        );
        assert_eq!(
            case(|c| {
                c.insert("aud".into(), json!(["other"]));
            }),
            Err(LogoutTokenError::Audience)
        );
        assert_eq!(
            case(|c| {
                c.remove("aud");
            }),
            Err(LogoutTokenError::Claim("aud"))
        );
        assert_eq!(
            case(|c| {
                c.insert("azp".into(), json!("other"));
            }),
            Err(LogoutTokenError::Audience)
        );
        assert!(
            case(|c| {
                c.insert("azp".into(), json!("app"));
            })
            .is_ok()
        );
        assert_eq!(
            case(|c| {
                c.insert("iat".into(), json!(NOW + 61));
            }),
            Err(LogoutTokenError::IssuedInTheFuture)
        );
        assert!(
            case(|c| {
                c.insert("iat".into(), json!(NOW + 60));
            })
            .is_ok()
        );
        assert_eq!(
            case(|c| {
                c.insert("iat".into(), json!(NOW - 601));
            }),
            Err(LogoutTokenError::TooOld)
        );
        assert_eq!(
            case(|c| {
                c.insert("iat".into(), json!("now"));
            }),
            Err(LogoutTokenError::Claim("iat"))
        );
        assert_eq!(
            case(|c| {
                c.remove("exp");
            }),
            Err(LogoutTokenError::Claim("exp"))
        );
        assert_eq!(
            case(|c| {
                c.insert("exp".into(), json!(NOW - 61));
            }),
            Err(LogoutTokenError::Expired)
        );
        assert_eq!(
            case(|c| {
                c.insert("exp".into(), json!(1e300));
            }),
            Err(LogoutTokenError::Claim("exp"))
        );
    }

    #[test]
    fn jti_events_subject_and_nonce_are_checked() {
        let s = signer("k1");
        let case = |change: fn(&mut Map<String, Value>)| check(&s, &header(), &with(change));
        assert_eq!(
            case(|c| {
                c.remove("jti");
            }),
            Err(LogoutTokenError::Claim("jti"))
        );
        assert_eq!(
            case(|c| {
                c.insert("jti".into(), json!(""));
            }),
            Err(LogoutTokenError::Claim("jti"))
        );
        assert_eq!(
            case(|c| {
                c.remove("events");
            }),
            Err(LogoutTokenError::NoLogoutEvent)
        );
        assert_eq!(
            case(|c| {
                c.insert("events".into(), json!({"http://example.com/other": {}}));
            }),
            Err(LogoutTokenError::NoLogoutEvent)
        );
        assert_eq!(
            case(|c| {
                c.insert("events".into(), json!({ BACKCHANNEL_LOGOUT_EVENT: "yes" }));
            }),
            Err(LogoutTokenError::NoLogoutEvent)
        );
        assert_eq!(
            case(|c| {
                c.insert("events".into(), json!([BACKCHANNEL_LOGOUT_EVENT]));
            }),
            Err(LogoutTokenError::Claim("events"))
        );
        assert_eq!(
            case(|c| {
                c.remove("sub");
                c.remove("sid");
            }),
            Err(LogoutTokenError::NoSubject)
        );
        assert_eq!(
            case(|c| {
                c.insert("sub".into(), json!(42));
            }),
            Err(LogoutTokenError::Claim("sub"))
        );
        assert_eq!(
            case(|c| {
                c.insert("sid".into(), json!("x".repeat(513)));
            }),
            Err(LogoutTokenError::Claim("sid"))
        );
        assert_eq!(
            case(|c| {
                c.insert("nonce".into(), json!("n"));
            }),
            Err(LogoutTokenError::Nonce)
        );
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        let s = signer("k1");
        let expected = Expected {
            issuer: ISSUER,
            client_id: "app",
            now: NOW,
        };
        let algs = [CoreJwsSigningAlgorithm::EcdsaP384Sha384];
        for raw in [
            "",
            "a.b",
            "a.b.c",
            "a.b.c.d.e",
            "....",
            &"a".repeat(MAX_LEN + 1),
        ] {
            assert!(
                verify_with(raw, &s.jwks, &algs, &expected).is_err(),
                "{raw}"
            );
        }
    }
}
