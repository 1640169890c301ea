//! A checked `#[logto::protected]`: what the generated guard needs.

use syn::{ItemFn, LitStr, Path};

/// The checked arguments.
#[derive(Default)]
pub(super) struct Guard {
    /// Scopes the access token must carry, valid and unique.
    pub scopes: Vec<LitStr>,
    /// The API resource, when named.
    pub resource: Option<LitStr>,
    /// The path parameter holding the organization id.
    pub organization: Option<LitStr>,
    /// The config to check against at compile time.
    pub config: Option<Path>,
    /// Bearer tokens only.
    pub bearer_only: bool,
    /// Signed out: redirect to sign-in.
    pub redirect: bool,
    /// Bearer tokens scoped to any organization pass too, not only global ones.
    pub allow_organization_scoped_tokens: bool,
}

/// A handler that can carry a guard: an `async fn` without a receiver.
pub(super) struct Handler {
    /// The function as written.
    pub item: ItemFn,
}
