//! A checked `#[logto::config]`: everything the generated implementation needs.

use syn::{LitStr, Path};

/// The checked arguments.
pub(super) struct Config {
    /// Scopes to request, in order, unique, without the always-requested ones.
    pub scopes: Vec<Scope>,
    /// Resource indicators, in order, unique and valid.
    pub resources: Vec<LitStr>,
    /// Claims types whose scopes to request.
    pub claims: Vec<Path>,
    /// The normalized `prompt`, if given.
    pub prompt: Option<LitStr>,
}

/// One requested scope.
pub(super) enum Scope {
    /// Written as a string literal.
    Literal(LitStr),
    /// Written as a `UserScope` variant: the generated code calls `UserScope::as_str` on
    /// the user's path, so the compiler resolves it (and IDEs can jump to it).
    Variant {
        /// The path as written.
        path: Path,
        /// The scope the macro resolved it to, asserted equal to `as_str` at compile time.
        scope: &'static str,
    },
}
