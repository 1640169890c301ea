//! [`Guard`]: the rule of `#[logto::protected]` built in code, checked against the
//! client that serves it.

use crate::error::ConfigError;

use super::*;

/// A guard for a whole router, as a tower layer: the rule of `#[logto::protected]`
/// without the macro.
///
/// Build it from the client that will serve the router, so its scope and resource are
/// checked against the config before the first request:
///
/// ```
/// use axum::{Router, routing::get};
/// use logto::{BearerVerifier, Guard};
///
/// #[logto::config(scopes = ["read", "write"], resources = ["https://api.example.com"])]
/// pub struct Api;
///
/// let verifier = BearerVerifier::builder::<Api>().endpoint("https://tenant.logto.app").build()?;
/// let api: Router = Router::new()
///     .route("/api/products", get(|| async { "[]" }))
///     .layer(verifier.guard(Guard::new().scope("read").bearer_only())?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// `organization_from_path` reads the organization id from a path parameter, which
/// exists only for layers added with `Router::route_layer`.
///
/// A guard that names no organization accepts only **global** bearer tokens: a token
/// for the resource scoped to an organization (Logto's `organization_id` claim, whose
/// scopes come from the user's roles in that organization) is refused with 401
/// `invalid_token`, unless the guard opts in with
/// [`allow_organization_scoped_tokens`](Self::allow_organization_scoped_tokens).
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Guard {
    scopes: Vec<&'static str>,
    resource: Option<&'static str>,
    organization: Option<&'static str>,
    allow_organization_scoped_tokens: bool,
    bearer_only: bool,
    redirect: bool,
}

impl Guard {
    /// A guard that asks for a signed-in session or a valid bearer token.
    pub fn new() -> Self {
        Self::default()
    }

    /// A scope the access token must carry (call again for more).
    pub fn scope(mut self, scope: &'static str) -> Self {
        self.scopes.push(scope);
        self
    }

    /// The API resource the token is for (default: the only configured one).
    pub fn resource(mut self, resource: &'static str) -> Self {
        self.resource = Some(resource);
        self
    }

    /// Reads the organization id from the path parameter `name`: the token must be
    /// that organization's.
    pub fn organization_from_path(mut self, name: &'static str) -> Self {
        self.organization = Some(name);
        self
    }

    /// Also accepts bearer tokens scoped to any organization (with an `organization_id`
    /// claim), beside global ones. Their scopes come from the user's roles in that
    /// organization, so opt in only where the handler checks
    /// [`AccessToken::organization_id`](crate::AccessToken::organization_id) itself. Without it, such tokens are refused
    /// with 401 `invalid_token`; with [`organization_from_path`](Self::organization_from_path),
    /// it is refused at build time (the path already names the organization).
    ///
    /// ```
    /// use logto::{BearerVerifier, Guard};
    ///
    /// #[logto::config(scopes = ["read"], resources = ["https://api.example.com"])]
    /// pub struct Api;
    ///
    /// let verifier = BearerVerifier::builder::<Api>().endpoint("https://tenant.logto.app").build()?;
    /// let layer = verifier.guard(Guard::new().scope("read").allow_organization_scoped_tokens())?;
    /// # let _ = layer;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allow_organization_scoped_tokens(mut self) -> Self {
        self.allow_organization_scoped_tokens = true;
        self
    }

    /// Accepts bearer tokens only; cookies are ignored.
    pub fn bearer_only(mut self) -> Self {
        self.bearer_only = true;
        self
    }

    /// Signed out: redirect to sign-in and back instead of answering 401 (pages).
    pub fn redirect_to_sign_in(mut self) -> Self {
        self.redirect = true;
        self
    }

    pub(super) fn check(&self, scopes: &[String], resources: &[String]) -> Result<(), ConfigError> {
        if self.bearer_only && self.redirect {
            return Err(ConfigError::new(
                "Guard",
                "`bearer_only` and `redirect_to_sign_in` exclude each other: an API answers 401, a page redirects",
            ));
        }
        if self.allow_organization_scoped_tokens && self.organization.is_some() {
            return Err(ConfigError::new(
                "Guard",
                "`allow_organization_scoped_tokens` accepts any organization's tokens, but \
                 `organization_from_path` requires the one in the path: remove one",
            ));
        }
        let needs = crate::guard_spec::rule::Needs {
            scopes: &self.scopes,
            resource: self.resource,
            organization: self.organization.is_some(),
        };
        crate::guard_spec::check(&needs, scopes, resources, "the guard")
            .map_err(|problem| ConfigError::new("Guard", problem))
    }

    pub(super) fn rule(&self) -> Rule<'_> {
        Rule {
            scopes: &self.scopes,
            resource: self.resource,
            organization: self.organization,
            allow_organization_scoped_tokens: self.allow_organization_scoped_tokens,
            bearer_only: self.bearer_only,
            redirect: self.redirect,
            needs_token: false,
        }
    }
}
