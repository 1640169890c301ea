//! ID token validation (OIDC Core 3.1.3.7, and 12.2 for refreshed tokens) through
//! `openidconnect`, with the allow-list of the provider's asymmetric algorithms and one
//! JWKS refetch when the token names a key we do not have.

use std::{str::FromStr, time::Duration};

use openidconnect::{
    AccessToken, AccessTokenHash, ClaimsVerificationError, ClientId, IssuerUrl, Nonce,
    SignatureVerificationError,
    core::{CoreIdToken, CoreIdTokenVerifier},
};
use serde_json::{Map, Value};

use super::Client;
use super::Provider;
use crate::error::ProviderError;

/// How far `iat` may be ahead of our clock.
const CLOCK_SKEW: Duration = Duration::from_secs(60);
/// How old `iat` may be: tokens are fetched right after they are issued.
const MAX_AGE: Duration = Duration::from_secs(600);

/// What an ID token must match besides signature, issuer, audience and expiry.
pub(crate) enum IdTokenCheck<'a> {
    /// A sign-in: the nonce we sent.
    SignIn { nonce: &'a str },
    /// A refresh: the subject of the session (OIDC Core 12.2); no nonce is expected.
    Refresh { sub: &'a str },
}

fn verifier(
    client: &Client<'_>,
    provider: &Provider,
) -> Result<CoreIdTokenVerifier<'static>, ProviderError> {
    let issuer = IssuerUrl::new(client.settings.issuer.clone())
        .map_err(|e| ProviderError::InvalidIdToken(format!("issuer: {e}")))?;
    let clock = client.settings.clock.clone();
    let iat_clock = client.settings.clock.clone();
    // A public-client verifier: the client secret is never a signing key.
    Ok(CoreIdTokenVerifier::new_public_client(
        ClientId::new(client.settings.app_id.clone()),
        issuer,
        provider.jwks.clone(),
    )
    .set_allowed_algs(provider.id_token_algs.clone())
    // `exp` gets the same skew allowance as `iat`.
    .set_time_fn(move || (clock.now() - CLOCK_SKEW).into())
    .set_issue_time_verifier_fn(move |iat| {
        let now: chrono_free::Time = iat_clock.now().into();
        chrono_free::check_iat(now, iat.timestamp(), CLOCK_SKEW, MAX_AGE)
    }))
}

/// Verifies `raw` and returns its payload.
pub(crate) async fn verify(
    client: &Client<'_>,
    raw: &str,
    access_token: Option<&str>,
    check: IdTokenCheck<'_>,
) -> Result<Map<String, Value>, ProviderError> {
    let token = CoreIdToken::from_str(raw)
        .map_err(|e| ProviderError::InvalidIdToken(format!("not a JWT: {e}")))?;
    let mut provider = client.provider().await?;
    let mut refetched = false;
    loop {
        let verifier = verifier(client, &provider)?;
        let result = match &check {
            IdTokenCheck::SignIn { nonce } => {
                token.claims(&verifier, &Nonce::new((*nonce).to_owned()))
            }
            IdTokenCheck::Refresh { .. } => token.claims(&verifier, |_: Option<&Nonce>| Ok(())),
        };
        match result {
            Ok(claims) => {
                if let IdTokenCheck::Refresh { sub } = check
                    && claims.subject().as_str() != sub
                {
                    return Err(ProviderError::InvalidIdToken(
                        "the refreshed ID token names another subject".into(),
                    ));
                }
                if let (Some(expected), Some(access_token)) =
                    (claims.access_token_hash(), access_token)
                {
                    let alg = token
                        .signing_alg()
                        .map_err(|e| ProviderError::InvalidIdToken(e.to_string()))?;
                    let key = token
                        .signing_key(&verifier)
                        .map_err(|e| ProviderError::InvalidIdToken(e.to_string()))?;
                    let actual = AccessTokenHash::from_token(
                        &AccessToken::new(access_token.to_owned()),
                        alg,
                        key,
                    )
                    .map_err(|e| ProviderError::InvalidIdToken(e.to_string()))?;
                    if &actual != expected {
                        return Err(ProviderError::InvalidIdToken(
                            "at_hash does not match the access token".into(),
                        ));
                    }
                }
                let payload = super::jwt_payload(raw).ok_or_else(|| {
                    ProviderError::InvalidIdToken("the payload is not a JSON object".into())
                })?;
                check_azp_and_nbf(
                    &payload,
                    &client.settings.app_id,
                    client.settings.clock.unix_seconds(),
                )?;
                return Ok(payload);
            }
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) if !refetched => {
                refetched = true;
                match client
                    .provider_cache
                    .refresh_keys(&provider, client.settings, client.http)
                    .await?
                {
                    Some(fresh) => provider = fresh,
                    None => {
                        return Err(ProviderError::InvalidIdToken(
                            "signed by a key not in the provider's JWKS".into(),
                        ));
                    }
                }
            }
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                return Err(ProviderError::InvalidIdToken(
                    "signed by a key not in the provider's JWKS".into(),
                ));
            }
            Err(e) => return Err(ProviderError::InvalidIdToken(e.to_string())),
        }
    }
}

/// The checks `openidconnect` leaves to us: an `azp` present must be our client id (OIDC
/// Core 3.1.3.7 items 4-5), and a token is not used before its `nbf` (RFC 7519 4.1.5),
/// with the same clock skew allowed as for `iat`.
fn check_azp_and_nbf(
    payload: &Map<String, Value>,
    client_id: &str,
    now: i64,
) -> Result<(), ProviderError> {
    match payload.get("azp") {
        None | Some(Value::Null) => {}
        Some(Value::String(azp)) if azp == client_id => {}
        Some(_) => {
            return Err(ProviderError::InvalidIdToken(
                "its authorized party (`azp`) is another client".into(),
            ));
        }
    }
    match payload.get("nbf") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Number(nbf)) => match nbf.as_f64() {
            Some(nbf) if nbf <= (now + CLOCK_SKEW.as_secs() as i64) as f64 => Ok(()),
            _ => Err(ProviderError::InvalidIdToken(
                "it is not valid yet (`nbf` is in the future)".into(),
            )),
        },
        Some(_) => Err(ProviderError::InvalidIdToken(
            "its `nbf` is not a NumericDate".into(),
        )),
    }
}

/// `iat` arithmetic on plain seconds, so we need no date crate of our own.
mod chrono_free {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    pub(super) struct Time(i64);

    impl From<SystemTime> for Time {
        fn from(t: SystemTime) -> Self {
            Self(
                t.duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64),
            )
        }
    }

    pub(super) fn check_iat(
        now: Time,
        iat: i64,
        skew: Duration,
        max_age: Duration,
    ) -> Result<(), String> {
        if iat > now.0 + skew.as_secs() as i64 {
            return Err("iat is in the future".into());
        }
        if iat < now.0 - max_age.as_secs() as i64 {
            return Err("iat is too old".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn payload(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("fixtures are objects"),
        }
    }

    #[test]
    fn azp_must_be_ours_when_present() {
        let check = |v| check_azp_and_nbf(&payload(v), "app", 1000);
        assert!(check(json!({})).is_ok());
        assert!(check(json!({"azp": "app"})).is_ok());
        assert!(check(json!({"azp": "other"})).is_err());
        assert!(check(json!({"azp": ["app"]})).is_err());
    }

    #[test]
    fn nbf_in_the_future_beyond_the_skew_is_refused() {
        let check = |v| check_azp_and_nbf(&payload(v), "app", 1000);
        assert!(check(json!({"nbf": 1000})).is_ok());
        assert!(check(json!({"nbf": 1060})).is_ok());
        assert!(check(json!({"nbf": 1061})).is_err());
        assert!(check(json!({"nbf": "soon"})).is_err());
        assert!(check(json!({"nbf": 1e300})).is_err());
    }
}
