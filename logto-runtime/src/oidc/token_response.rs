//! What a token response says of its tokens, counted on our clock.

use serde_json::Value;

use super::Client;
use crate::session::StoredToken;

/// A token as stored, its expiry counted on our clock from `expires_in`.
pub(crate) fn stored_token(
    client: &Client<'_>,
    token: String,
    scope: Option<String>,
    expires_in: Option<i64>,
) -> StoredToken {
    let now = client.settings.clock.unix_seconds();
    let lifetime = expires_in
        .or_else(|| {
            let claims = super::jwt_payload(&token)?;
            Some(claims.get("exp")?.as_i64()? - claims.get("iat")?.as_i64()?)
        })
        .unwrap_or(3600)
        .max(0);
    // Never more than half the lifetime, so a short-lived token is used at all.
    let leeway = (client.settings.token_leeway.as_secs() as i64).min(lifetime / 2);
    StoredToken {
        token,
        scope,
        expires_at: now + lifetime,
        refresh_at: now + lifetime - leeway,
    }
}

/// An ID token's lifetime (`exp - iat`), counted on our clock from now.
pub(crate) fn id_token_lifetime(
    client: &Client<'_>,
    claims: &serde_json::Map<String, Value>,
) -> i64 {
    let lifetime = match (
        claims.get("exp").and_then(Value::as_i64),
        claims.get("iat").and_then(Value::as_i64),
    ) {
        (Some(exp), Some(iat)) => exp - iat,
        _ => 0,
    };
    client.settings.clock.unix_seconds() + lifetime.max(0)
}
