//! The test issuer's state and grants: codes, refresh tokens (rotated), userinfo
//! tokens, the tokens it signs. `server.rs` serves it over HTTP.
//!
//! Its tokens are ES384 JWTs signed by `jsonwebtoken` with a P-384 key drawn at
//! random for each issuer; nothing here computes a signature itself.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use axum::{
    Json,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p384::pkcs8::EncodePrivateKey;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::user::{TestUser, organization_audience, organizations_scope};
use crate::clock::Clock;

/// What a session's grant gives for one resource or organization.
#[derive(Debug, Clone)]
pub(super) struct Grantable {
    pub scopes: Vec<String>,
    pub lifetime: i64,
}

/// A sign-in's grant: its user, what its refresh token may get, whether it still lives.
#[derive(Debug, Clone)]
pub(super) struct Grant {
    pub user: TestUser,
    pub sid: String,
    /// The scopes the app asked for at sign-in (they pick the claims).
    pub scopes: Vec<String>,
    /// By resource indicator, by organization id, by `(resource, organization)`.
    pub resources: HashMap<String, Grantable>,
    pub organizations: HashMap<String, Grantable>,
    pub organization_resources: HashMap<(String, String), Grantable>,
    pub access_lifetime: i64,
    pub id_token_lifetime: i64,
    pub revoked: bool,
}

/// A code waiting for the app's callback.
struct PendingCode {
    grant: String,
    nonce: Option<String>,
    challenge: String,
    redirect_uri: String,
}

#[derive(Default)]
struct Tables {
    codes: HashMap<String, PendingCode>,
    grants: HashMap<String, Grant>,
    /// Live refresh tokens (each used once: they rotate) and opaque userinfo tokens.
    refresh_tokens: HashMap<String, String>,
    userinfo_tokens: HashMap<String, String>,
}

/// The issuer's state, shared by its server thread and the test.
pub(super) struct Issuer {
    pub url: String,
    pub app_id: String,
    app_secret: String,
    pub clock: Arc<dyn Clock>,
    kid: String,
    key: EncodingKey,
    jwk: Value,
    tables: Mutex<Tables>,
    counts: Mutex<HashMap<&'static str, usize>>,
}

impl Issuer {
    pub(super) fn new(url: String, app_id: &str, app_secret: &str, clock: Arc<dyn Clock>) -> Self {
        let secret = p384::SecretKey::random(&mut rand::rngs::OsRng);
        let kid = crate::session::random_id();
        // The JWK of a fresh key: neither can fail but for a broken `p384`.
        let der = secret
            .to_pkcs8_der()
            .unwrap_or_else(|e| panic!("logto::testing: encoding a P-384 key: {e}"));
        let mut jwk: Value = serde_json::from_str(&secret.public_key().to_jwk_string())
            .unwrap_or_else(|e| panic!("logto::testing: a P-384 JWK: {e}"));
        jwk["kid"] = json!(kid);
        jwk["alg"] = json!("ES384");
        jwk["use"] = json!("sig");
        Self {
            url,
            app_id: app_id.to_owned(),
            app_secret: app_secret.to_owned(),
            clock,
            kid,
            key: EncodingKey::from_ec_der(der.as_bytes()),
            jwk,
            tables: Mutex::default(),
            counts: Mutex::default(),
        }
    }

    fn tables(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The public key, as the JWKS serves it.
    pub(super) fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// RFC 7009: the token is gone (refresh or userinfo token alike).
    pub(super) fn revoke_token(&self, token: &str) {
        let mut tables = self.tables();
        tables.refresh_tokens.remove(token);
        tables.userinfo_tokens.remove(token);
    }

    pub(super) fn count(&self, what: &'static str) -> usize {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(what).copied().unwrap_or_default()
    }

    pub(super) fn counted(&self, what: &'static str) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry(what).or_default() += 1;
    }

    pub(super) fn now(&self) -> i64 {
        self.clock.unix_seconds()
    }

    /// Signs `claims` with the issuer's key and `typ`.
    pub(super) fn sign(&self, typ: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES384);
        header.typ = Some(typ.to_owned());
        header.kid = Some(self.kid.clone());
        // Signing a JSON object with an EC key only fails on a broken backend.
        jsonwebtoken::encode(&header, claims, &self.key)
            .unwrap_or_else(|e| panic!("logto::testing: signing a token: {e}"))
    }

    /// An RFC 9068 access token as Logto mints them.
    pub(super) fn access_token(
        &self,
        sub: &str,
        audience: &str,
        scopes: &[String],
        organization_id: Option<&str>,
        lifetime: i64,
    ) -> String {
        let now = self.now();
        let mut claims = json!({
            "iss": self.url, "sub": sub, "aud": audience, "client_id": self.app_id,
            "iat": now, "exp": now + lifetime, "jti": crate::session::random_id(),
            "scope": scopes.join(" "),
        });
        if let Some(organization_id) = organization_id {
            claims["organization_id"] = json!(organization_id);
        }
        self.sign("at+jwt", &claims)
    }

    /// Registers a grant and returns its id.
    pub(super) fn add_grant(&self, grant: Grant) -> String {
        let id = crate::session::random_id();
        self.tables().grants.insert(id.clone(), grant);
        id
    }

    /// The grant whose sign-in is pending: the authorization request's parameters are
    /// read as the provider would, and a code for it is returned.
    pub(super) fn authorize(&self, grant_id: &str, query: &[(String, String)]) -> Option<String> {
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        if param("client_id")? != self.app_id || param("response_type")? != "code" {
            return None;
        }
        if param("code_challenge_method")? != "S256" {
            return None;
        }
        let scopes: Vec<String> = param("scope")?
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let code = crate::session::random_id();
        let mut tables = self.tables();
        tables.grants.get_mut(grant_id)?.scopes = scopes;
        tables.codes.insert(
            code.clone(),
            PendingCode {
                grant: grant_id.to_owned(),
                nonce: param("nonce"),
                challenge: param("code_challenge")?,
                redirect_uri: param("redirect_uri")?,
            },
        );
        Some(code)
    }

    #[cfg(test)]
    pub(super) fn app_secret(&self) -> &str {
        &self.app_secret
    }

    /// A live refresh token of the grant, as a sign-in would have given.
    #[cfg(test)]
    pub(super) fn refresh_token_of(&self, grant_id: &str) -> String {
        let token = crate::session::random_id();
        self.tables()
            .refresh_tokens
            .insert(token.clone(), grant_id.to_owned());
        token
    }

    /// Ends a grant: its refresh tokens answer `invalid_grant`, its userinfo token 401.
    pub(super) fn revoke(&self, grant_id: &str) {
        if let Some(grant) = self.tables().grants.get_mut(grant_id) {
            grant.revoked = true;
        }
    }

    fn id_token(&self, grant: &Grant, nonce: Option<&str>) -> String {
        let now = self.now();
        let mut claims = Value::Object(grant.user.claims_for(&grant.scopes, false));
        claims["iss"] = json!(self.url);
        claims["aud"] = json!(self.app_id);
        claims["iat"] = json!(now);
        claims["exp"] = json!(now + grant.id_token_lifetime);
        claims["sid"] = json!(grant.sid);
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        self.sign("JWT", &claims)
    }

    /// A token response: an ID token, an opaque access token for userinfo (or a JWT
    /// for `target`), a rotated refresh token.
    fn token_response(
        &self,
        tables: &mut Tables,
        grant_id: &str,
        nonce: Option<&str>,
        target: Option<(String, Vec<String>, Option<String>, i64)>,
    ) -> Result<Value, TokenFailure> {
        let grant = tables
            .grants
            .get(grant_id)
            .ok_or(TokenFailure::InvalidGrant)?;
        let (access_token, scope, expires_in) = match target {
            Some((audience, scopes, organization_id, lifetime)) => (
                self.access_token(
                    &grant.user.sub,
                    &audience,
                    &scopes,
                    organization_id.as_deref(),
                    lifetime,
                ),
                scopes.join(" "),
                lifetime,
            ),
            None => {
                let opaque = crate::session::random_id();
                tables
                    .userinfo_tokens
                    .insert(opaque.clone(), grant_id.to_owned());
                (opaque, grant.scopes.join(" "), grant.access_lifetime)
            }
        };
        let grant = tables
            .grants
            .get(grant_id)
            .ok_or(TokenFailure::InvalidGrant)?;
        let id_token = self.id_token(grant, nonce);
        let refresh_token = crate::session::random_id();
        tables
            .refresh_tokens
            .insert(refresh_token.clone(), grant_id.to_owned());
        Ok(json!({
            "access_token": access_token, "token_type": "Bearer", "expires_in": expires_in,
            "scope": scope, "id_token": id_token, "refresh_token": refresh_token,
        }))
    }

    pub(super) fn exchange_code(&self, form: &TokenForm) -> Result<Value, TokenFailure> {
        let mut tables = self.tables();
        let code = form.code.as_deref().unwrap_or_default();
        let pending = tables
            .codes
            .remove(code)
            .ok_or(TokenFailure::InvalidGrant)?;
        let verifier = form.code_verifier.as_deref().unwrap_or_default();
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        if challenge != pending.challenge
            || form.redirect_uri.as_deref() != Some(&pending.redirect_uri)
        {
            return Err(TokenFailure::InvalidGrant);
        }
        self.token_response(&mut tables, &pending.grant, pending.nonce.as_deref(), None)
    }

    pub(super) fn refresh(&self, form: &TokenForm) -> Result<Value, TokenFailure> {
        let mut tables = self.tables();
        let presented = form.refresh_token.as_deref().unwrap_or_default();
        // Rotation: a refresh token is good once.
        let grant_id = tables
            .refresh_tokens
            .remove(presented)
            .ok_or(TokenFailure::InvalidGrant)?;
        let grant = tables
            .grants
            .get(&grant_id)
            .filter(|g| !g.revoked)
            .ok_or(TokenFailure::InvalidGrant)?
            .clone();
        let target = match (form.resource.as_deref(), form.organization_id.as_deref()) {
            (None, None) => None,
            (Some(resource), None) => {
                let granted = grant.resources.get(resource);
                Some((
                    resource.to_owned(),
                    granted.map(|g| g.scopes.clone()).unwrap_or_default(),
                    None,
                    granted.map_or(grant.access_lifetime, |g| g.lifetime),
                ))
            }
            (resource, Some(organization)) => {
                if !grant.scopes.iter().any(|s| s == organizations_scope()) {
                    return Err(TokenFailure::Forbidden("insufficient_scope"));
                }
                if !grant.user.is_member(organization) {
                    return Err(TokenFailure::Forbidden("access_denied"));
                }
                let granted = match resource {
                    Some(resource) => grant
                        .organization_resources
                        .get(&(resource.to_owned(), organization.to_owned())),
                    None => grant.organizations.get(organization),
                };
                let audience = match resource {
                    Some(resource) => resource.to_owned(),
                    None => organization_audience(organization),
                };
                Some((
                    audience,
                    granted.map(|g| g.scopes.clone()).unwrap_or_default(),
                    resource.map(|_| organization.to_owned()),
                    granted.map_or(grant.access_lifetime, |g| g.lifetime),
                ))
            }
        };
        self.token_response(&mut tables, &grant_id, None, target)
    }

    pub(super) fn userinfo(&self, headers: &HeaderMap) -> Option<Value> {
        self.counted("userinfo");
        let token = headers
            .get(header::AUTHORIZATION)?
            .to_str()
            .ok()?
            .strip_prefix("Bearer ")?;
        let tables = self.tables();
        let grant = tables
            .grants
            .get(tables.userinfo_tokens.get(token)?)
            .filter(|g| !g.revoked)?;
        Some(Value::Object(grant.user.claims_for(&grant.scopes, true)))
    }

    pub(super) fn client_authenticated(&self, headers: &HeaderMap, form: &TokenForm) -> bool {
        let basic = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
            .and_then(|v| String::from_utf8(v).ok());
        let expected = |id: &str, secret: &str| {
            decode_form_component(id) == self.app_id
                && decode_form_component(secret) == self.app_secret
        };
        match basic.as_deref().and_then(|b| b.split_once(':')) {
            Some((id, secret)) => expected(id, secret),
            None => {
                form.client_id.as_deref() == Some(&self.app_id)
                    && form.client_secret.as_deref() == Some(&self.app_secret)
            }
        }
    }
}

/// RFC 6749 2.3.1: the client id and secret are form-encoded before Basic.
fn decode_form_component(value: &str) -> String {
    url::form_urlencoded::parse(format!("x={value}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

pub(super) enum TokenFailure {
    InvalidGrant,
    InvalidClient,
    /// Logto's 403s for organization tokens: `access_denied`, `insufficient_scope`.
    Forbidden(&'static str),
}

impl IntoResponse for TokenFailure {
    fn into_response(self) -> Response {
        let (status, error) = match self {
            Self::InvalidGrant => (StatusCode::BAD_REQUEST, "invalid_grant"),
            Self::InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client"),
            Self::Forbidden(error) => (StatusCode::FORBIDDEN, error),
        };
        let body = json!({"error": error, "error_description": "refused by the test issuer"});
        (status, Json(body)).into_response()
    }
}

#[derive(Deserialize)]
pub(super) struct TokenForm {
    pub grant_type: String,
    code: Option<String>,
    code_verifier: Option<String>,
    redirect_uri: Option<String>,
    refresh_token: Option<String>,
    resource: Option<String>,
    organization_id: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// How long tokens live unless a test says otherwise (Logto's defaults).
pub(super) const ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
