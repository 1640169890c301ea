//! One access token, checked per RFC 9068 §4: the signature by `kid` with an algorithm
//! allow-list, `typ`, `iss`, `exp`/`nbf`; then, per endpoint, `aud`, `scope` and the
//! organization.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Deserializer};

use super::{
    BearerError, InvalidToken, Requirements,
    keys::KeySet,
    requirements::{Audience, OrganizationScope},
};
use crate::config::ORGANIZATIONS_RESOURCE;

/// The algorithms we verify: what Logto signs with (ES384 by default, RS256 when a tenant
/// chooses RSA) and their usual neighbours. Never `none`, never HMAC: with a public
/// JWKS, an HMAC "key" would be public.
pub(crate) const ALLOWED: [(&str, Algorithm); 4] = [
    ("ES384", Algorithm::ES384),
    ("ES256", Algorithm::ES256),
    ("RS256", Algorithm::RS256),
    ("PS256", Algorithm::PS256),
];

/// What a verified token says, kept in the cache.
#[derive(Debug)]
pub(crate) struct Verified {
    pub audiences: Vec<String>,
    pub scopes: Vec<String>,
    pub organization_id: Option<String>,
    pub exp: i64,
}

/// The claims RFC 9068 §2.2 defines that we read.
#[derive(Deserialize)]
struct AccessTokenClaims {
    iss: String,
    #[serde(deserialize_with = "one_or_many")]
    aud: Vec<String>,
    #[serde(deserialize_with = "numeric_date")]
    exp: i64,
    #[serde(default, deserialize_with = "optional_numeric_date")]
    nbf: Option<i64>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    organization_id: Option<String>,
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

/// RFC 7519 NumericDate: seconds, possibly fractional.
fn numeric_date<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let seconds = f64::deserialize(d)?;
    if !seconds.is_finite() {
        return Err(serde::de::Error::custom("not a number"));
    }
    Ok(seconds.floor() as i64)
}

fn optional_numeric_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    numeric_date(d).map(Some)
}

/// The header's algorithm, refused unless allowed; read before anything else so a
/// `none` or `HS256` token is turned away by name.
pub(crate) fn header(token: &str) -> Result<(Header, Algorithm), InvalidToken> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(InvalidToken::Malformed(
            "a JWT has three dot-separated parts".into(),
        ));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| InvalidToken::Malformed("the header is not base64url".into()))?;
    #[derive(Deserialize)]
    struct Alg {
        alg: String,
    }
    let Alg { alg } = serde_json::from_slice(&bytes).map_err(|_| {
        InvalidToken::Malformed("the header is not a JSON object with an `alg`".into())
    })?;
    let Some((_, algorithm)) = ALLOWED.iter().find(|(name, _)| *name == alg) else {
        return Err(InvalidToken::AlgorithmNotAllowed(alg));
    };
    let header: Header = serde_json::from_slice(&bytes)
        .map_err(|e| InvalidToken::Malformed(format!("the header is malformed: {e}")))?;
    let typ_ok = header.typ.as_deref().is_some_and(|typ| {
        typ.eq_ignore_ascii_case("at+jwt") || typ.eq_ignore_ascii_case("application/at+jwt")
    });
    if !typ_ok {
        return Err(InvalidToken::NotAnAccessToken(header.typ.clone()));
    }
    if header.crit.is_some() {
        return Err(InvalidToken::CriticalHeader);
    }
    Ok((header, *algorithm))
}

/// Checks the signature with `keys` and the claims that do not depend on the endpoint.
/// `Err(None)` when the `kid` is not in `keys` (the caller may refetch them).
pub(crate) fn verify(
    token: &str,
    header: &Header,
    algorithm: Algorithm,
    keys: &KeySet,
    issuer: &str,
    now: i64,
    leeway: i64,
) -> Result<Verified, Option<InvalidToken>> {
    let key = keys.find(header.kid.as_deref(), algorithm).ok_or(None)?;
    if !key.algorithms.contains(&algorithm) {
        return Err(Some(InvalidToken::KeyMismatch(
            header.kid.clone().unwrap_or_default(),
            format!("{algorithm:?}"),
        )));
    }
    let mut validation = Validation::new(algorithm);
    // Time is judged by our clock (injectable), audience per endpoint, below.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    validation.set_issuer(&[issuer]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = jsonwebtoken::decode::<AccessTokenClaims>(token, &key.key, &validation)
        .map_err(|e| {
            Some(match e.into_kind() {
                ErrorKind::InvalidSignature
                | ErrorKind::InvalidEcdsaKey
                | ErrorKind::InvalidRsaKey(_) => InvalidToken::BadSignature,
                ErrorKind::InvalidIssuer => InvalidToken::WrongIssuer,
                ErrorKind::MissingRequiredClaim(claim) | ErrorKind::InvalidClaimFormat(claim) => {
                    InvalidToken::Claim(claim)
                }
                ErrorKind::InvalidAlgorithm => InvalidToken::KeyMismatch(
                    header.kid.clone().unwrap_or_default(),
                    format!("{algorithm:?}"),
                ),
                ErrorKind::Json(e) => {
                    InvalidToken::Malformed(format!("the claims are malformed: {e}"))
                }
                other => InvalidToken::Malformed(format!("{other:?}")),
            })
        })?
        .claims;
    if claims.iss != issuer {
        return Err(Some(InvalidToken::WrongIssuer));
    }
    if now > claims.exp.saturating_add(leeway) {
        return Err(Some(InvalidToken::Expired));
    }
    if claims
        .nbf
        .is_some_and(|nbf| nbf > now.saturating_add(leeway))
    {
        return Err(Some(InvalidToken::NotYetValid));
    }
    Ok(Verified {
        audiences: claims.aud,
        scopes: claims
            .scope
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        organization_id: claims.organization_id,
        exp: claims.exp,
    })
}

impl Verified {
    /// The token a handler sees.
    pub(crate) fn access_token(
        &self,
        token: &str,
        resource: Option<usize>,
        organization_id: Option<String>,
    ) -> crate::tokens::AccessToken {
        crate::tokens::AccessToken {
            token: token.to_owned(),
            scopes: self.scopes.clone(),
            expires_at: self.exp,
            resource: resource
                .and_then(|index| self.audiences.get(index))
                .cloned(),
            organization_id,
        }
    }

    /// Whether the token is still good at `now`.
    pub(crate) fn is_live(&self, now: i64, leeway: i64) -> bool {
        now <= self.exp.saturating_add(leeway)
    }

    /// The endpoint's checks: audience, organization, then scopes (a token for another
    /// API is invalid here, whatever its scopes). Returns the position of the matched
    /// resource in `aud` (no allocation on the hot path) and the organization.
    pub(crate) fn check(
        &self,
        requirements: &Requirements<'_>,
    ) -> Result<(Option<usize>, Option<String>), BearerError> {
        let position = |aud: &str| self.audiences.iter().position(|a| a == aud);
        let resource = match requirements.audience {
            Audience::Resource(resource) => {
                let Some(index) = position(resource) else {
                    return Err(InvalidToken::WrongAudience(resource.to_owned()).into());
                };
                Some(index)
            }
            Audience::Organization(organization) => {
                let expected = format!("urn:logto:organization:{organization}");
                if position(&expected).is_none() {
                    return Err(InvalidToken::WrongAudience(expected).into());
                }
                None
            }
            Audience::AnyOf(resources) => {
                let Some(index) = resources
                    .iter()
                    .filter(|r| r.as_str() != ORGANIZATIONS_RESOURCE)
                    .find_map(|r| position(r))
                else {
                    let api: Vec<&str> = resources
                        .iter()
                        .map(String::as_str)
                        .filter(|r| *r != ORGANIZATIONS_RESOURCE)
                        .collect();
                    let expected = if api.is_empty() {
                        "none: this app configures no API resource".to_owned()
                    } else {
                        api.join(" or ")
                    };
                    return Err(InvalidToken::WrongAudience(expected).into());
                };
                Some(index)
            }
        };
        let organization_token = matches!(requirements.audience, Audience::Organization(_));
        let organization =
            self.check_organization(requirements.organization, organization_token)?;
        if !requirements
            .scopes
            .iter()
            .all(|s| self.scopes.iter().any(|have| have == s))
        {
            return Err(BearerError::InsufficientScope {
                required: requirements
                    .scopes
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
            });
        }
        Ok((resource, organization))
    }

    /// The `organization_id` claim against what the endpoint accepts; every audience
    /// goes through here, and the match is exhaustive, so no requirement can leave the
    /// claim unread. Returns the organization the token is good for.
    fn check_organization(
        &self,
        accepted: OrganizationScope<'_>,
        organization_token: bool,
    ) -> Result<Option<String>, InvalidToken> {
        match (accepted, self.organization_id.as_deref()) {
            (OrganizationScope::None, None) => Ok(None),
            // Its scopes are the user's roles in that organization, not app-wide ones.
            (OrganizationScope::None, Some(_)) => Err(InvalidToken::OrganizationScoped),
            (OrganizationScope::Any, claim) => Ok(claim.map(str::to_owned)),
            (OrganizationScope::Exactly(expected), Some(claim)) if claim == expected => {
                Ok(Some(expected.to_owned()))
            }
            // An organization token may leave the claim out: its `aud`
            // (`urn:logto:organization:<id>`, checked by the caller) names the
            // organization.
            (OrganizationScope::Exactly(expected), None) if organization_token => {
                Ok(Some(expected.to_owned()))
            }
            (OrganizationScope::Exactly(expected), _) => {
                Err(InvalidToken::WrongOrganization(expected.to_owned()))
            }
        }
    }
}
