//! Bearer access tokens (RFC 9068) the issuer signs for a test, good or broken in one
//! chosen way: expired, not yet valid, for another audience.

use std::sync::Arc;

use serde_json::json;

use super::{
    issuer::{ACCESS_TOKEN_LIFETIME, Issuer},
    user::{TestUser, organization_audience},
};

/// An access token to send as `Authorization: Bearer`, signed by the test issuer.
///
/// Made by [`TestAuth::access_token`](super::TestAuth::access_token) and
/// [`TestAuth::organization_token`](super::TestAuth::organization_token); the
/// methods change one claim, then [`bearer`](Self::bearer) (the header value) or
/// [`jwt`](Self::jwt) signs it.
#[derive(Clone)]
#[must_use]
pub struct TestToken {
    issuer: Arc<Issuer>,
    sub: String,
    audience: String,
    scopes: Vec<String>,
    organization_id: Option<String>,
    /// Seconds from now.
    issued: i64,
    expires: i64,
    not_before: Option<i64>,
    other_issuer: Option<String>,
}

impl std::fmt::Debug for TestToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestToken")
            .field("sub", &self.sub)
            .field("audience", &self.audience)
            .field("scopes", &self.scopes)
            .field("organization_id", &self.organization_id)
            .finish_non_exhaustive()
    }
}

impl TestToken {
    pub(super) fn new(
        issuer: Arc<Issuer>,
        user: &TestUser,
        audience: String,
        scopes: Vec<String>,
    ) -> Self {
        Self {
            issuer,
            sub: user.sub.clone(),
            audience,
            scopes,
            organization_id: None,
            issued: 0,
            expires: ACCESS_TOKEN_LIFETIME.as_secs() as i64,
            not_before: None,
            other_issuer: None,
        }
    }

    pub(super) fn for_organization(
        issuer: Arc<Issuer>,
        user: &TestUser,
        organization_id: &str,
        scopes: Vec<String>,
    ) -> Self {
        Self::new(issuer, user, organization_audience(organization_id), scopes)
    }

    /// Expires `seconds` from now (one hour by default).
    pub fn expires_in(mut self, seconds: i64) -> Self {
        self.expires = seconds;
        self
    }

    /// Expired an hour ago (well beyond the verifier's leeway, a minute by default).
    pub fn expired(mut self) -> Self {
        self.issued = -7200;
        self.expires = -3600;
        self
    }

    /// `nbf` `seconds` from now: not valid yet when beyond the verifier's leeway (a
    /// minute by default).
    pub fn not_before(mut self, seconds: i64) -> Self {
        self.not_before = Some(seconds);
        self
    }

    /// Another `aud`: a token for some other API.
    pub fn audience(mut self, audience: &str) -> Self {
        self.audience = audience.to_owned();
        self
    }

    /// Scoped to an organization: the `organization_id` claim of a resource token
    /// asked for with `organization_id` (a guard that names no organization refuses
    /// it unless it allows organization-scoped tokens).
    pub fn organization_id(mut self, organization_id: &str) -> Self {
        self.organization_id = Some(organization_id.to_owned());
        self
    }

    /// Another `iss`, signed with the test issuer's key: a token the client must
    /// refuse although its signature verifies.
    pub fn issuer(mut self, issuer: &str) -> Self {
        self.other_issuer = Some(issuer.to_owned());
        self
    }

    /// The signed JWT.
    pub fn jwt(&self) -> String {
        let now = self.issuer.now();
        let mut claims = json!({
            "iss": self.other_issuer.as_deref().unwrap_or(&self.issuer.url),
            "sub": self.sub, "aud": self.audience, "client_id": self.issuer.app_id,
            "iat": now + self.issued, "exp": now + self.expires,
            "jti": crate::session::random_id(), "scope": self.scopes.join(" "),
        });
        if let Some(organization_id) = &self.organization_id {
            claims["organization_id"] = json!(organization_id);
        }
        if let Some(nbf) = self.not_before {
            claims["nbf"] = json!(now + nbf);
        }
        self.issuer.sign("at+jwt", &claims)
    }

    /// `Bearer <jwt>`: the value of an `Authorization` header.
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.jwt())
    }
}
