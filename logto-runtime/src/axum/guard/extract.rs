//! The extractors of guarded handlers: [`Guarded`] (what `#[logto::protected]`
//! expands to) and the [`AccessToken`] a guarded handler may take.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use http::request::Parts;

use crate::{axum::Rejection, guard_spec::GuardSpec, tokens::AccessToken};

use super::*;

/// Ties a handler to its [`GuardSpec`]; implemented by `#[logto::protected]`. Not a
/// public API.
#[doc(hidden)]
pub trait GuardDef: Send + Sync + 'static {
    /// The guard's rule.
    const SPEC: &'static GuardSpec;
}

/// The extractor `#[logto::protected]` puts first in a handler's arguments, so the
/// guard runs before any other extractor (a body is never read for a refused request).
/// Not a public API.
#[doc(hidden)]
pub struct Guarded<D>(PhantomData<D>);

impl<S: Send + Sync, D: GuardDef> FromRequestParts<S> for Guarded<D> {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let granted = decide(parts, state, D::SPEC.into(), None).await?;
        parts.extensions.insert(granted);
        Ok(Self(PhantomData))
    }
}

/// The access token of a guarded request: the verified bearer token, or the session's
/// token for the guard's resource. Without a guard, the session's token for the only
/// configured resource (or a global bearer token for any configured resource: one
/// scoped to an organization is refused, as by a guard that does not opt in).
///
/// ```
/// // Usually behind `#[logto::protected(config = Auth, scope = "read")]`.
/// async fn orders(token: logto::AccessToken) -> String {
///     format!("{} may read", token.subject().unwrap_or_default())
/// }
/// # let _: axum::routing::MethodRouter = axum::routing::get(orders);
/// ```
impl<S: Send + Sync> FromRequestParts<S> for AccessToken {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(token) = parts
            .extensions
            .get::<Granted>()
            .and_then(|g| g.access_token(parts))
        {
            return Ok(token);
        }
        let rule = Rule {
            scopes: &[],
            resource: None,
            organization: None,
            allow_organization_scoped_tokens: false,
            bearer_only: false,
            redirect: false,
            needs_token: true,
        };
        decide(parts, state, rule, None)
            .await?
            .access_token(parts)
            .ok_or(Rejection::MissingCredentials)
    }
}
