//! Extractors: [`Context`], claims types (through their derive), and the redirecting
//! variant for pages.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;

use super::{Rejection, layer::RequestLogto};
use crate::{
    claims::Claims,
    context::{self, Context},
};

fn request_logto(parts: &Parts) -> Result<RequestLogto, Rejection> {
    parts
        .extensions
        .get::<RequestLogto>()
        .cloned()
        .ok_or(Rejection::MissingLayer)
}

async fn load<U: Claims>(parts: &Parts) -> Result<Context<U>, Rejection> {
    let RequestLogto { logto, handle } = request_logto(parts)?;
    let (claims, live) =
        match context::load_claims::<U>(&logto.inner.session_env(), &handle).await? {
            Some((claims, live)) => (Some(claims), Some(live)),
            None => (None, None),
        };
    Ok(Context {
        logto,
        handle,
        live,
        claims,
    })
}

impl<S: Send + Sync, U: Claims> FromRequestParts<S> for Context<U> {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        load(parts).await
    }
}

/// The claims of a signed-in user, or [`Rejection::SignedOut`] (401). What
/// `#[derive(Claims)]` types use as their extractor.
#[doc(hidden)]
pub async fn extract_claims<U: Claims, S: Send + Sync>(
    parts: &mut Parts,
    _state: &S,
) -> Result<U, Rejection> {
    load::<U>(parts).await?.claims.ok_or(Rejection::SignedOut)
}

/// As [`extract_claims`], with `None` when signed out.
#[doc(hidden)]
pub async fn extract_optional_claims<U: Claims, S: Send + Sync>(
    parts: &mut Parts,
    _state: &S,
) -> Result<Option<U>, Rejection> {
    Ok(load::<U>(parts).await?.claims)
}

/// The claims of a signed-in user; signed out, a redirect to sign-in that comes back to
/// this page. For pages; APIs take the claims type itself and answer 401.
///
/// ```
/// use logto::{RedirectToSignIn, claims::IdTokenClaims};
///
/// async fn orders_page(RedirectToSignIn(claims): RedirectToSignIn<IdTokenClaims>) -> String {
///     format!("Your orders, {}", claims.sub())
/// }
/// # let _: axum::routing::MethodRouter = axum::routing::get(orders_page);
/// ```
#[derive(Debug, Clone)]
pub struct RedirectToSignIn<U>(pub U);

impl<S: Send + Sync, U: Claims> FromRequestParts<S> for RedirectToSignIn<U> {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let context = load::<U>(parts).await?;
        match context.claims {
            Some(claims) => Ok(Self(claims)),
            None => Err(Rejection::signed_out(true, false, &context.logto, parts)),
        }
    }
}

impl<S: Send + Sync, U: Claims> OptionalFromRequestParts<S> for RedirectToSignIn<U> {
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(load::<U>(parts).await?.claims.map(Self))
    }
}
