//! The axum adapter: the session layer, the extractors, the sign-in routes and the
//! rejections. Everything below this module works on plain request data.

pub(crate) mod backchannel;
mod extract;
mod guard;
mod layer;
mod page;
#[cfg(test)]
mod public_errors_tests;
mod rejection;
mod routes;
mod token_route;

pub use extract::RedirectToSignIn;
pub use extract::{extract_claims, extract_optional_claims};
pub use guard::{BearerLayer, BearerService, Guard, GuardDef, GuardLayer, GuardService, Guarded};
pub use layer::{LogtoLayer, LogtoService};
pub use rejection::Rejection;
#[allow(deprecated)] // Re-exported until apps move to `Rejection`.
pub use rejection::{AuthRejection, GuardRejection};

/// The request's URI as the browser sent it: axum's `OriginalUri` when a nested router
/// stripped a prefix from `parts.uri`.
pub(crate) fn original_uri(parts: &http::request::Parts) -> &http::Uri {
    parts
        .extensions
        .get::<::axum::extract::OriginalUri>()
        .map_or(&parts.uri, |original| &original.0)
}
