use std::collections::BTreeMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p384::pkcs8::EncodePrivateKey;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::session::chunks;

/// Tokens as a Logto Cloud tenant issues them, by its conventions: ES384 signatures
/// (96 bytes), `kid`, client ids and organization ids of 21 characters
/// (`generateStandardId`), user ids of 12, `sid`, `jti`, refresh and opaque access
/// tokens of 43 (oidc-provider's 256-bit nanoids), `iss` of a Cloud tenant. The ID
/// token carries the claims of `openid profile email phone` and the organizations
/// scope with Logto's null values; access tokens the claims of RFC 9068 as Logto
/// issues them, organization tokens with their `urn:logto:organization:` audience and
/// `organization_id`. Their sizes are asserted in `logto_sized_sessions_meet_the_goals`:
/// ID token 1 014 bytes, resource token 542, organization tokens 630 each, refresh
/// and opaque access tokens 43.
struct Logto {
    key: EncodingKey,
}

const KID: &str = "tqu3bcaq0yj1ok4ev0n4b";
const ISS: &str = "https://k3x9qz.logto.app/oidc";
const CLIENT_ID: &str = "lx8fqn0m2ksb5vz7rjw3h";
const SUB: &str = "y7w2qkd9mx0a";
const SID: &str = "Ib3mcCLAbAr2Xq3Wy-7cE0t9yZ-kq0Ow1lDZ8GpS2Ja";
const RESOURCE: &str = "https://api.example.com";
const ORGANIZATIONS: [&str; 3] = [
    "r4kq8xw2n9bzt5yh7mvca",
    "p2m7zq0xk4w9c8n3rb6td",
    "h8v3xq5m2z7kw0c9b4nta",
];
const IAT: i64 = 1_767_225_600;

impl Logto {
    fn new() -> Self {
        let secret = p384::SecretKey::random(&mut rand::rngs::OsRng);
        let der = secret.to_pkcs8_der().unwrap();
        Self {
            key: EncodingKey::from_ec_der(der.as_bytes()),
        }
    }

    /// Signs `claims` with oidc-provider's headers: `{alg, kid}` for ID tokens,
    /// `{alg, typ: "at+jwt", kid}` for access tokens.
    fn sign(&self, typ: Option<&str>, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES384);
        header.typ = typ.map(str::to_owned);
        header.kid = Some(KID.into());
        jsonwebtoken::encode(&header, claims, &self.key).unwrap()
    }

    fn id_token(&self) -> String {
        self.sign(
            None,
            &json!({
                "sub": SUB,
                "name": "Alexandra Johnson",
                "picture": "https://avatars.githubusercontent.com/u/48265793?v=4",
                "username": "alexandra",
                "preferred_username": null,
                "created_at": 1_736_935_211_407_i64,
                "updated_at": 1_767_139_022_118_i64,
                "email": "alexandra.johnson@example.com",
                "email_verified": true,
                "phone_number": null,
                "phone_number_verified": false,
                "organizations": ORGANIZATIONS,
                "at_hash": "y4p1D0HnKg1uqAquLCdVdYwEq0pIZxdx",
                "aud": CLIENT_ID,
                "exp": IAT + 3600,
                "iat": IAT,
                "iss": ISS,
                "sid": SID,
            }),
        )
    }

    /// An access token issued `at` seconds after sign-in.
    fn access_token(
        &self,
        jti: char,
        at: i64,
        aud: &str,
        scope: &str,
        organization: Option<&str>,
    ) -> String {
        let mut claims = json!({
            "jti": jti.to_string().repeat(43),
            "sub": SUB,
            "iat": IAT + at,
            "exp": IAT + at + 3600,
            "scope": scope,
            "client_id": CLIENT_ID,
            "iss": ISS,
            "aud": aud,
        });
        if let Some(organization) = organization {
            claims["organization_id"] = json!(organization);
        }
        self.sign(Some("at+jwt"), &claims)
    }

    fn resource_token(&self) -> String {
        self.access_token('r', 1, RESOURCE, "read:orders write:orders", None)
    }

    fn organization_token(&self, i: usize) -> String {
        let id = ORGANIZATIONS[i];
        let aud = format!("urn:logto:organization:{id}");
        let jti = char::from(b'a' + i as u8);
        // Fetched one after another, seconds apart: no two share `iat` or `exp`.
        let at = 7 + 13 * i as i64;
        self.access_token(jti, at, &aud, "read:members invite:members", Some(id))
    }

    /// A session after sign-in with one resource token and `organizations` tokens,
    /// as the token responses fill it (our clock a second behind the provider's).
    fn session(&self, organizations: usize) -> SessionData {
        let stored = |token: String, scope: &str| StoredToken {
            token,
            scope: Some(scope.into()),
            expires_at: IAT + 3599,
            refresh_at: IAT + 3599 - 60,
        };
        let mut tokens = BTreeMap::new();
        tokens.insert(
            format!("{RESOURCE}#"),
            stored(self.resource_token(), "read:orders write:orders"),
        );
        for (i, id) in ORGANIZATIONS.iter().enumerate().take(organizations) {
            tokens.insert(
                format!("#{id}"),
                stored(self.organization_token(i), "read:members invite:members"),
            );
        }
        SessionData {
            id_token: self.id_token(),
            refresh_token: Some("rT0kEn".repeat(7) + "x"),
            access_token: Some(stored(
                "0pAqUe".repeat(7) + "y",
                "openid offline_access profile email phone urn:logto:scope:organizations",
            )),
            tokens,
            userinfo: None,
            id_expires_at: IAT + 3599,
            issued_at: 1_767_225_599_123_456,
            expires_at: IAT + 14 * 24 * 3600,
            sid: Some(SID.into()),
            signed_in_at: 1_767_225_599_123,
        }
    }
}

struct Sizes {
    cookie: usize,
    cookies: usize,
    store: usize,
}

/// The bytes of a session in the session cookie (`name=value` pairs, and how many
/// cookies) and in a store's record, with `plain` its plaintext.
fn sizes(plain: &[u8], raw_store: bool) -> Sizes {
    let settings = crate::settings::tests::builder()
        .app_id(CLIENT_ID)
        .base_url("https://app.example.com")
        .validate()
        .unwrap();
    let name = &settings.cookie_name;
    let cookies = chunks::split(name, &settings.keys.seal(name, plain));
    let store_name = format!("logto-session:{}", "i".repeat(43));
    let store = if raw_store {
        settings.keys.seal_bytes(&store_name, plain).len()
    } else {
        settings.keys.seal(&store_name, plain).len()
    };
    Sizes {
        cookie: chunks::pair_bytes(&cookies),
        cookies: cookies.len(),
        store,
    }
}

#[test]
fn logto_sized_sessions_meet_the_goals() {
    let logto = Logto::new();
    // The fixtures' sizes, as stated here and in the report.
    assert_eq!(logto.id_token().len(), 1014, "ID token");
    assert_eq!(logto.resource_token().len(), 542, "resource token");
    assert_eq!(logto.organization_token(0).len(), 630, "organization token");
    assert_eq!(logto.session(0).refresh_token.map(|t| t.len()), Some(43));
    for n in [2, 3] {
        let session = logto.session(n);
        let json = serde_json::to_vec(&session).unwrap();
        let binary = encode(&session);
        assert_eq!(decode(&binary).unwrap(), session);
        let before = sizes(&json, false);
        let after = sizes(&binary, true);
        println!(
            "Logto-sized, 1 resource + {n} organizations: cookie {} B in {} cookie(s) \
             (was {} B in {}); store record {} B (was {} B)",
            after.cookie, after.cookies, before.cookie, before.cookies, after.store, before.store
        );
        if n == 2 {
            assert_eq!(after.cookies, 1, "one cookie");
            assert!(after.cookie <= 3800, "cookie mode: {} B", after.cookie);
        }
        if n == 3 {
            assert!(after.store <= 2200, "store mode: {} B", after.store);
        }
        assert!(after.store * 2 <= before.store + 200, "about half");
    }
}

#[test]
fn a_record_is_smaller_than_the_bytes_its_tokens_encode() {
    let session = Logto::new().session(3);
    let tokens: usize = [
        &session.id_token,
        session.refresh_token.as_ref().unwrap(),
        &session.access_token.as_ref().unwrap().token,
    ]
    .into_iter()
    .chain(session.tokens.values().map(|t| &t.token))
    .map(|t| t.len() * 3 / 4)
    .sum();
    // Keys, scopes, expiries and the sid are derived; the JSON's names, quotes and
    // digits, and the claims every token repeats, are not stored as text.
    let binary = encode(&session);
    assert!(
        binary.len() * 10 < tokens * 7,
        "{} of {tokens} B",
        binary.len()
    );
}

/// A payload that is not compact JSON keeps its exact text (packed).
#[test]
fn payloads_of_other_shapes_come_back_exactly() {
    for json in [
        r#"{ "sub": "a" }"#,
        r#"{"sub":"a\u0041","n":1.50,"x":-0,"y":[1, 2],"z":{"a":null}}"#,
        r#"{"sub":"a","sub":"b"}"#,
        r#"[1]"#,
        "not json",
    ] {
        let token = format!("eyJhbGciOiJFUzM4NCJ9.{}.c2ln", URL_SAFE_NO_PAD.encode(json));
        let mut session = Logto::new().session(0);
        session.id_token = token.clone();
        assert_eq!(decode(&encode(&session)).unwrap().id_token, token, "{json}");
    }
}

#[test]
fn sessions_json_sealed_before_the_upgrade_still_decode() {
    let session = Logto::new().session(2);
    let json = serde_json::to_vec(&session).unwrap();
    assert_eq!(decode(&json).unwrap(), session);
    let old = br#"{"i":"id","ie":10,"ri":1,"e":20}"#;
    assert_eq!(decode(old).unwrap().id_token, "id");
}

#[test]
fn damaged_records_are_errors() {
    let binary = encode(&Logto::new().session(3));
    for len in 0..binary.len() {
        assert!(decode(&binary[..len]).is_err(), "truncated to {len}");
    }
    let mut trailing = binary.clone();
    trailing.push(0);
    assert!(matches!(decode(&trailing), Err(DecodeError::Trailing)));
    assert!(matches!(
        decode(&[9, 0]),
        Err(DecodeError::UnknownFormat(9))
    ));
    assert!(matches!(decode(b"{"), Err(DecodeError::Json(_))));
    // A varint that never ends, and a length beyond the record.
    assert!(
        decode(&[
            FORMAT, TEXT, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
        ])
        .is_err()
    );
    assert!(decode(&[FORMAT, BASE64URL, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
    assert!(decode(&[FORMAT, JWT, 7]).is_err(), "a header never stored");
}

/// Strings shaped like JWTs, opaque tokens, or anything.
fn token_text() -> impl Strategy<Value = String> {
    let segment = "[A-Za-z0-9_-]{0,60}";
    prop_oneof![
        (segment, segment, segment).prop_map(|(h, p, s)| format!("{h}.{p}.{s}")),
        "[A-Za-z0-9_-]{0,90}",
        "[A-Za-z0-9_.=+/-]{0,90}",
        any::<String>(),
        // Real JSON payloads, so the claims form and the derivations are taken.
        (claims(), "[A-Za-z0-9_-]{0,8}").prop_map(|(claims, s)| {
            let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
            format!("eyJhbGciOiJFUzM4NCJ9.{payload}.{s}")
        }),
        // JSON-ish payloads of any text.
        ("[ -~]{0,40}", "[A-Za-z0-9_-]{0,8}")
            .prop_map(|(json, s)| { format!("e30.{}.{s}", URL_SAFE_NO_PAD.encode(json)) }),
    ]
}

fn claims() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(any::<i64>()),
        proptest::option::of("[a-z: ]{0,12}"),
        proptest::option::of(prop_oneof![
            "[a-z:/.]{0,20}".prop_map(Value::from),
            Just(json!(["a", "b"])),
            Just(json!(1)),
        ]),
        proptest::option::of("[a-z0-9]{0,8}"),
        proptest::option::of("[A-Za-z0-9]{0,8}"),
        proptest::collection::btree_map(
            "[a-z_\\\"]{0,6}",
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<String>().prop_map(Value::from),
                Just(json!({"a": [1, "b"]})),
            ],
            0..4,
        ),
    )
        .prop_map(|(exp, scope, aud, organization_id, sid, others)| {
            let mut claims = serde_json::Map::new();
            let mut put = |k: &str, v: Option<Value>| {
                if let Some(v) = v {
                    claims.insert(k.into(), v);
                }
            };
            put("exp", exp.map(Value::from));
            put("scope", scope.map(Value::from));
            put("aud", aud);
            put("organization_id", organization_id.map(Value::from));
            put("sid", sid.map(Value::from));
            for (k, v) in others {
                put(&k, Some(v));
            }
            Value::Object(claims)
        })
}

/// An access token whose scope, expiry and key are sometimes those its JWT says.
fn stored_token() -> impl Strategy<Value = StoredToken> {
    (
        token_text(),
        proptest::option::of("[a-z: ]{0,12}"),
        any::<bool>(),
        any::<i64>(),
        any::<i64>(),
    )
        .prop_map(|(token, scope, derived, expires_at, refresh_at)| {
            let said = Derived::of(&token);
            let scope = if derived { said.scope.or(scope) } else { scope };
            let expires_at = match said.exp {
                Some(exp) if derived => exp.wrapping_add(expires_at % 3),
                _ => expires_at,
            };
            StoredToken {
                token,
                scope,
                expires_at,
                refresh_at,
            }
        })
}

fn userinfo() -> impl Strategy<Value = CachedUserinfo> {
    // No floats: serde_json's parser may be one ULP off, as with the JSON format.
    let value = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    let value = value.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            proptest::collection::btree_map(any::<String>(), inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    (
        proptest::collection::btree_map(any::<String>(), value, 0..4),
        any::<i64>(),
    )
        .prop_map(|(claims, expires_at)| CachedUserinfo {
            claims: claims.into_iter().collect(),
            expires_at,
        })
}

fn session() -> impl Strategy<Value = SessionData> {
    (
        (
            token_text(),
            proptest::option::of(token_text()),
            proptest::option::of(stored_token()),
            proptest::collection::vec((any::<bool>(), any::<String>(), stored_token()), 0..5),
            proptest::option::of(userinfo()),
        ),
        (
            any::<i64>(),
            any::<i64>(),
            any::<i64>(),
            proptest::option::of(any::<String>()),
            any::<bool>(),
            any::<i64>(),
        ),
    )
        .prop_map(
            |(
                (id_token, refresh_token, access_token, tokens, userinfo),
                (id_expires_at, issued_at, expires_at, sid, sid_derived, signed_in_at),
            )| {
                let id = Derived::of(&id_token);
                let tokens = tokens
                    .into_iter()
                    .map(|(derived, key, token)| {
                        let key = match Derived::of(&token.token).key() {
                            Some(said) if derived => said,
                            _ => key,
                        };
                        (key, token)
                    })
                    .collect();
                SessionData {
                    sid: if sid_derived { id.sid.or(sid) } else { sid },
                    id_token,
                    refresh_token,
                    access_token,
                    tokens,
                    userinfo,
                    id_expires_at,
                    issued_at,
                    expires_at,
                    signed_in_at,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// The token handed out is byte-identical to the one stored, whatever its shape.
    #[test]
    fn tokens_come_back_byte_identical(token in token_text(), other in token_text()) {
        let mut w = Writer::default();
        w.token(&token);
        w.token(&other);
        w.token(&token);
        let mut r = Reader { bytes: &w.bytes, headers: Vec::new(), claims: Vec::new() };
        prop_assert_eq!(r.token().unwrap().0, token.clone());
        prop_assert_eq!(r.token().unwrap().0, other);
        prop_assert_eq!(r.token().unwrap().0, token);
        prop_assert!(r.bytes.is_empty());
    }

    /// Base64url text of any length and final character packs exactly.
    #[test]
    fn base64url_text_packs_exactly(text in "[A-Za-z0-9_-]{0,70}") {
        let packed = pack(&text);
        prop_assert_eq!(packed.len(), packed_len(text.len()).unwrap());
        prop_assert_eq!(unpack(&packed, text.len()), text);
    }

    #[test]
    fn every_session_round_trips_exactly(session in session()) {
        let binary = encode(&session);
        prop_assert_eq!(binary[0], FORMAT);
        prop_assert_eq!(decode(&binary).unwrap(), session);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(mut bytes in any::<Vec<u8>>(), format in any::<bool>()) {
        if format {
            bytes.insert(0, FORMAT);
        }
        if let Ok(session) = decode(&bytes) {
            prop_assert_eq!(decode(&encode(&session)).unwrap(), session);
        }
    }
}

/// The fuzz target's seeds (`fuzz/corpus/session_record/`) are records of these
/// sessions, each read back as itself; `SESSION_RECORD_SEEDS=<dir>` writes them there.
#[test]
fn the_fuzz_seeds_read_back() {
    let logto = Logto::new();
    let mut seeds: Vec<(String, Vec<u8>)> = (0..4)
        .map(|n| (format!("logto-{n}"), encode(&logto.session(n))))
        .collect();
    let mut session = logto.session(1);
    session.userinfo = Some(CachedUserinfo {
        claims: serde_json::from_value(json!({"sub": SUB, "custom_data": {"plan": "pro"}}))
            .unwrap(),
        expires_at: IAT + 600,
    });
    session.sid = Some("other".into());
    session.id_token = "not.a jwt".into();
    seeds.push(("explicit".into(), encode(&session)));
    seeds.push(("json".into(), serde_json::to_vec(&session).unwrap()));
    for (name, seed) in &seeds {
        let read = decode(seed).unwrap();
        assert_eq!(decode(&encode(&read)).unwrap(), read, "{name}");
    }
    if let Ok(dir) = std::env::var("SESSION_RECORD_SEEDS") {
        for (name, seed) in seeds {
            std::fs::write(format!("{dir}/{name}"), seed).unwrap();
        }
    }
}
