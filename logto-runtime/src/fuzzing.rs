//! Entry points into the functions that read attacker-controlled input, for the fuzz
//! targets in `fuzz/` and the property tests below: each takes raw bytes, needs no
//! setup, stops before any signature check, and asserts what must hold for every
//! input (a panic is a finding). Not a public API: compiled for tests and with the
//! hidden `fuzzing` feature only.

use std::sync::OnceLock;

use axum::extract::Query;
use http::{HeaderMap, HeaderValue, Uri, header};
use url::Url;

use crate::{
    Claims,
    bearer::Credentials,
    claims::IdTokenClaims,
    config::Config,
    oidc::{self, CallbackParams},
    redirect,
    session::{RequestSession, chunks, codec},
    session_cache::{Key, Lookup, SessionCache},
    settings::{LogtoBuilder, Settings},
};

/// Base URLs the post-sign-in target is checked against: a root and a base path.
const BASES: [&str; 3] = [
    "http://127.0.0.1:3000/",
    "https://app.example/app",
    "https://app.example/a/b/",
];

struct FuzzConfig;

impl Config for FuzzConfig {
    const SCOPES: &'static [&'static str] = &["email"];
    const RESOURCES: &'static [&'static str] = &["https://api.example"];
    const CLAIMS_SCOPES: &'static [&'static [&'static str]] = &[];
}

fn settings() -> &'static Settings {
    static SETTINGS: OnceLock<Settings> = OnceLock::new();
    SETTINGS.get_or_init(|| {
        LogtoBuilder::new::<FuzzConfig>()
            .endpoint("http://127.0.0.2:3001")
            .app_id("app")
            .app_secret("secret")
            .base_url("http://127.0.0.1:3000")
            .cookie_secret("0123456789abcdef0123456789abcdef")
            .validate()
            .unwrap_or_else(|e| panic!("the fuzzing settings are valid: {e}"))
    })
}

/// Asserts that `target`, put in a `Location` header by an app at `base`, stays on
/// `base`'s origin and under its path, as a browser resolves it.
pub fn assert_stays_local(target: &str, base: &Url) {
    assert!(target.len() <= redirect::MAX_TARGET_LEN, "{target:?}");
    assert!(
        target.starts_with('/') && !target.starts_with("//"),
        "{target:?}"
    );
    assert!(
        !target.contains('\\') && !target.chars().any(char::is_control),
        "{target:?}"
    );
    let joined = base
        .join(target)
        .unwrap_or_else(|e| panic!("{target:?} does not resolve: {e}"));
    assert_eq!(joined.origin(), base.origin(), "{target:?} left the origin");
    let base_path = base.path().trim_end_matches('/');
    let path = joined.path();
    assert!(
        path == base_path || path.starts_with(&format!("{base_path}/")),
        "{target:?} resolves to {path:?}, outside {base_path:?}"
    );
}

/// The session record's decoder (what a cookie or a store's record holds once
/// unsealed): no panic, and a record it reads encodes to one that reads the same.
pub fn session_record(input: &[u8]) {
    if let Ok(session) = codec::decode(input) {
        let again = codec::decode(&codec::encode(&session));
        assert!(again.is_ok_and(|again| again == session), "{session:?}");
    }
}

/// The post-sign-in target normalisation: `None`, or a target that stays local.
pub fn post_sign_in_target(input: &[u8]) {
    let Ok(uri) = std::str::from_utf8(input) else {
        return;
    };
    for base in BASES {
        let Ok(base) = Url::parse(base) else {
            continue;
        };
        if let Some(target) = redirect::local_target(uri, &base) {
            assert_stays_local(&target, &base);
            assert!(redirect::is_local_target(&target, &base), "{target:?}");
        }
    }
}

/// `Cookie` header parsing, chunk joining, unsealing, and the guard cache's key.
pub fn cookie_header(input: &[u8]) {
    let Ok(value) = HeaderValue::from_bytes(input) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.append(header::COOKIE, value);
    let settings = settings();
    let mut session = RequestSession::from_headers(&headers, settings);
    // Random bytes never unseal (AES-GCM): no session, and nothing panics.
    assert!(session.session(settings).is_none());
    let _ = session.transactions(settings);
    let _ = session.set_cookie_headers(settings);
    // The session cache keys exactly the sessions the reader reads: a key without a
    // value to read would let the cache vouch for a cookie the reader refuses.
    let cache = SessionCache::default();
    let lookup = Lookup::Verdict {
        resource: Some("https://api.example"),
        organization: None,
        needs_token: true,
    };
    let key = Key::new(&cache, &session, settings, lookup);
    assert_eq!(
        key.is_some(),
        Key::new(&cache, &session, settings, Lookup::Session).is_some(),
        "a session has a key for every lookup or none"
    );
    let joined = session.sealed_value(&settings.cookie_name);
    assert_eq!(
        key.is_some(),
        joined.is_some(),
        "{:?}",
        String::from_utf8_lossy(input)
    );
    if let Some(joined) = joined {
        assert!(joined.len() <= chunks::MAX_COOKIE_BYTES);
    }
}

/// The `Authorization` header parser: a token it accepts is one RFC 6750 b64token.
pub fn authorization_header(input: &[u8]) {
    let Ok(value) = HeaderValue::from_bytes(input) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.append(header::AUTHORIZATION, value);
    if let Credentials::Bearer(token) = Credentials::from_headers(&headers) {
        let body = token.trim_end_matches('=');
        assert!(!body.is_empty(), "{token:?}");
        assert!(
            body.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)),
            "{token:?}"
        );
    }
}

/// The callback's query string.
pub fn callback_query(input: &[u8]) {
    let Ok(query) = std::str::from_utf8(input) else {
        return;
    };
    let Ok(uri) = format!("/callback?{query}").parse::<Uri>() else {
        return;
    };
    let _ = Query::<CallbackParams>::try_from_uri(&uri);
}

/// A back-channel logout request: the form body's `logout_token`, then the token's
/// checks. No key verifies it (it is never accepted), and the claims rules alone,
/// run on its unverified payload, accept only what section 2.6 allows.
pub fn logout_token(input: &[u8]) {
    use crate::oidc::logout_token::{Expected, check_claims, verify_with};
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let Some(token) = crate::axum::backchannel::logout_token(&headers, input) else {
        return;
    };
    assert!(!token.is_empty());
    let expected = Expected {
        issuer: "http://127.0.0.2:3001/oidc",
        client_id: "app",
        now: 1_700_000_000,
    };
    let no_keys = openidconnect::core::CoreJsonWebKeySet::new(Vec::new());
    let algs = [openidconnect::core::CoreJwsSigningAlgorithm::EcdsaP384Sha384];
    assert!(verify_with(&token, &no_keys, &algs, &expected).is_err());
    if let Some(claims) = oidc::jwt_payload(&token)
        && let Ok(checked) = check_claims(&claims, &expected)
    {
        assert!(checked.sub.is_some() || checked.sid.is_some());
        assert!(!checked.jti.is_empty() && !claims.contains_key("nonce"));
        assert_eq!(claims["iss"], expected.issuer);
        assert!(claims["events"].is_object());
    }
}

/// A JWT before its signature is checked: the bearer verifier's header check, the
/// payload decoding, and the claims a `Claims` type is built from.
pub fn jwt(input: &[u8]) {
    let Ok(token) = std::str::from_utf8(input) else {
        return;
    };
    if let Ok((_, algorithm)) = crate::bearer::verify::header(token) {
        assert!(
            crate::bearer::verify::ALLOWED
                .iter()
                .any(|(_, allowed)| *allowed == algorithm),
            "{algorithm:?}"
        );
    }
    if let Some(payload) = oidc::jwt_payload(token) {
        let _ = IdTokenClaims::from_claims(&payload, None);
        let _ = IdTokenClaims::from_claims(&payload, Some(&payload));
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Every file of `fuzz/corpus/<target>/` (and its known crashes) through `run`: what
    /// the fuzzers found stays covered by `cargo test`.
    fn replay(target: &str, run: fn(&[u8])) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/corpus")
            .join(target);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("the corpus of {target} at {}: {e}", dir.display()));
        let mut replayed = 0;
        for entry in entries {
            let path = entry.map(|e| e.path()).unwrap_or_default();
            if let Ok(bytes) = std::fs::read(&path) {
                run(&bytes);
                replayed += 1;
            }
        }
        assert!(replayed > 0, "the corpus of {target} is empty");
    }

    #[test]
    fn the_fuzz_corpora_replay() {
        replay("post_sign_in_target", post_sign_in_target);
        replay("cookie_header", cookie_header);
        replay("authorization_header", authorization_header);
        replay("callback_query", callback_query);
        replay("jwt", jwt);
        replay("logout_token", logout_token);
        replay("session_record", session_record);
    }

    /// Inputs built from the pieces that break naive checks.
    fn target_input() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("/".to_owned()),
            Just("//".to_owned()),
            Just("\\".to_owned()),
            Just(".".to_owned()),
            Just("..".to_owned()),
            Just("%2e".to_owned()),
            Just("%2f".to_owned()),
            Just("%5c".to_owned()),
            Just("\t".to_owned()),
            Just("?".to_owned()),
            Just("#".to_owned()),
            Just("@".to_owned()),
            Just(":".to_owned()),
            Just("evil.example".to_owned()),
            Just("app".to_owned()),
            Just("http://127.0.0.1:3000".to_owned()),
            Just("https://app.example".to_owned()),
            "[a-z]{1,4}",
        ];
        proptest::collection::vec(piece, 0..10).prop_map(|pieces| pieces.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn post_sign_in_targets_stay_local(input in target_input()) {
            post_sign_in_target(input.as_bytes());
        }

        #[test]
        fn post_sign_in_targets_of_any_bytes_stay_local(input in any::<Vec<u8>>()) {
            post_sign_in_target(&input);
        }

        #[test]
        fn cookie_headers_never_panic(
            input in "((logto_app(\\.[0-9]{1,2})?|logto_app_signin|x)=[ -~]{0,64}; ){0,6}"
        ) {
            cookie_header(input.as_bytes());
        }

        #[test]
        fn authorization_headers_accept_only_b64tokens(input in "[ -~]{0,40}") {
            authorization_header(input.as_bytes());
            authorization_header(format!("Bearer {input}").as_bytes());
        }

        #[test]
        fn callback_queries_never_panic(input in "[ -~]{0,80}") {
            callback_query(input.as_bytes());
        }

        #[test]
        fn logout_requests_never_panic(
            header in "[A-Za-z0-9_-]{0,40}",
            claims in proptest::collection::btree_map(
                prop_oneof![
                    Just("iss".to_owned()), Just("aud".to_owned()), Just("iat".to_owned()),
                    Just("exp".to_owned()), Just("jti".to_owned()), Just("sub".to_owned()),
                    Just("sid".to_owned()), Just("nonce".to_owned()), Just("events".to_owned()),
                ],
                prop_oneof![
                    Just(serde_json::json!("http://127.0.0.2:3001/oidc")),
                    Just(serde_json::json!("app")),
                    Just(serde_json::json!(1_700_000_000)),
                    Just(serde_json::json!({
                        "http://schemas.openid.net/event/backchannel-logout": {}
                    })),
                    any::<i64>().prop_map(serde_json::Value::from),
                    "[ -~]{0,8}".prop_map(serde_json::Value::from),
                ],
                0..9,
            ),
        ) {
            use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
            let json = serde_json::to_vec(&claims).unwrap_or_default();
            let token = format!("{header}.{}.sig", URL_SAFE_NO_PAD.encode(json));
            logout_token(format!("logout_token={token}").as_bytes());
        }

        #[test]
        fn jwts_never_panic(
            header in "[A-Za-z0-9_-]{0,40}",
            payload in any::<Vec<u8>>(),
            claims in proptest::collection::btree_map("[a-z_]{1,12}", "[ -~]{0,12}", 0..6),
        ) {
            use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
            jwt(format!("{header}.{}.sig", URL_SAFE_NO_PAD.encode(&payload)).as_bytes());
            let json = serde_json::to_vec(&claims).unwrap_or_default();
            jwt(format!("{header}.{}.sig", URL_SAFE_NO_PAD.encode(json)).as_bytes());
        }
    }
}
