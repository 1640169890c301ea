//! Guards for handlers and routers: `#[logto::protected]` expands to the [`Guarded`]
//! extractor, [`Guard`] is the same rule as a tower layer, and [`AccessToken`] is what
//! a guarded handler may take.
//!
//! A request with `Authorization: Bearer` is judged by its token alone (a valid cookie
//! beside an invalid token does not help); without one, by its session, unless the
//! guard accepts bearer tokens only. Answers follow RFC 6750.

use std::{
    future::Future,
    marker::PhantomData,
    pin::Pin,
    sync::Arc,
    task::{Context as TaskContext, Poll},
};

use axum::{
    Json,
    extract::{FromRequestParts, RawPathParams},
    response::{IntoResponse, Redirect, Response},
};
use http::{HeaderValue, Request, StatusCode, header, request::Parts};
use serde_json::json;
use tower_layer::Layer;
use tower_service::Service;

use super::{
    AuthRejection,
    layer::RequestLogto,
    rejection::{json_error, misconfigured, provider_status},
};
use crate::{
    BearerVerifier, Logto,
    bearer::{BearerError, Credentials, Requirements, verify::Verified},
    context::{self, ContextError, SessionHandle},
    error::{ConfigError, PublicMessage},
    guard::{GuardSpec, api_resources, session_cache},
    logto::Inner,
    tokens::{AccessToken, TokenError, TokenRequest},
};

/// Why a guard refused a request. Each answers per RFC 6750, with a JSON body
/// `{"error", "error_description"}` (and `"scope"` for `insufficient_scope`) of
/// [`PublicMessage`]'s codes. A bearer token's description says what is wrong with
/// the token the client sent; failures of the provider or the app say only what
/// happened, their details go to the log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuardRejection {
    /// Neither a session nor bearer credentials: 401 with a bare
    /// `WWW-Authenticate: Bearer` challenge.
    #[error("no credentials: sign in, or send an access token in `Authorization: Bearer <token>`")]
    MissingCredentials,
    /// No bearer token, where only bearer tokens count (an API): 401 with a bare
    /// `WWW-Authenticate: Bearer` challenge.
    #[error("no access token: send one in `Authorization: Bearer <token>`")]
    MissingBearerToken,
    /// Signed out, on a page that opted into a redirect: 303 to sign-in and back.
    #[error("not signed in: redirecting to {location}")]
    RedirectToSignIn {
        /// The sign-in URL, with the page to come back to.
        location: String,
    },
    /// The `Authorization` header is malformed: 400 `invalid_request`.
    #[error("the Authorization header is malformed: {0}")]
    InvalidRequest(&'static str),
    /// The bearer token is invalid (401 `invalid_token`) or lacks a scope (403
    /// `insufficient_scope`), or the provider's keys are out of reach (503/504/502).
    /// The session's access token lacking a scope answers as the latter too.
    #[error(transparent)]
    Bearer(#[from] BearerError),
    /// The session could not be judged: the provider failed or refused a refresh.
    #[error(transparent)]
    Session(AuthRejection),
    /// The guard does not fit the app (a path parameter or a resource that is not
    /// there): a bug, 500. Startup checks catch most of these earlier.
    #[error("the guard cannot run: {0}")]
    Misconfigured(String),
}

impl From<TokenError> for GuardRejection {
    fn from(error: TokenError) -> Self {
        Self::Session(AuthRejection::Context(ContextError::Token(error)))
    }
}

/// A quoted-string for a challenge (RFC 6750 §3: `%x20-21 / %x23-5B / %x5D-7E`):
/// token text from the outside never breaks out of it.
fn quoted(text: &str) -> String {
    text.chars()
        .take(200)
        .map(|c| {
            if c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\') {
                c
            } else {
                '?'
            }
        })
        .collect()
}

fn challenge(response: &mut Response, value: String) {
    if let Ok(value) = HeaderValue::from_str(&value) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
}

impl IntoResponse for GuardRejection {
    fn into_response(self) -> Response {
        match self {
            Self::MissingCredentials | Self::MissingBearerToken => {
                let message = PublicMessage::fixed(
                    "unauthorized",
                    match self {
                        Self::MissingCredentials => {
                            "no credentials: sign in, or send an access token in `Authorization: Bearer <token>`"
                        }
                        _ => "no access token: send one in `Authorization: Bearer <token>`",
                    },
                );
                let mut response = json_error(StatusCode::UNAUTHORIZED, &message);
                challenge(&mut response, "Bearer".into());
                response
            }
            Self::RedirectToSignIn { location } => Redirect::to(&location).into_response(),
            Self::InvalidRequest(why) => {
                let mut response = json_error(
                    StatusCode::BAD_REQUEST,
                    &PublicMessage::fixed("invalid_request", why),
                );
                challenge(
                    &mut response,
                    format!(
                        "Bearer error=\"invalid_request\", error_description=\"{}\"",
                        quoted(why)
                    ),
                );
                response
            }
            Self::Bearer(BearerError::Invalid(invalid)) => {
                // About the client's own token, checked against this API's public
                // requirements (RFC 6750 3: a description for the client's developer).
                let description = invalid.to_string();
                let mut response = json_error(
                    StatusCode::UNAUTHORIZED,
                    &PublicMessage::composed("invalid_token", description.clone()),
                );
                challenge(
                    &mut response,
                    format!(
                        "Bearer error=\"invalid_token\", error_description=\"{}\"",
                        quoted(&description)
                    ),
                );
                response
            }
            Self::Bearer(error @ BearerError::InsufficientScope { .. }) => {
                let BearerError::InsufficientScope { required } = &error else {
                    unreachable!("matched above")
                };
                let scope = required.join(" ");
                // The scopes are the guard's own, from the app's code.
                let message = PublicMessage::composed("insufficient_scope", error.to_string());
                let body = json!({
                    "error": message.code(),
                    "error_description": message.description(),
                    "scope": scope,
                });
                let mut response = (StatusCode::FORBIDDEN, Json(body)).into_response();
                challenge(
                    &mut response,
                    format!(
                        "Bearer error=\"insufficient_scope\", scope=\"{}\"",
                        quoted(&scope)
                    ),
                );
                response
            }
            // The details (which URL, which transport error) are for the logs: a
            // client learns only that its token cannot be judged now.
            Self::Bearer(BearerError::Provider(error)) => {
                tracing::warn!(%error, "the provider's keys are out of reach: cannot verify access tokens");
                json_error(provider_status(&error), &error.public_message())
            }
            Self::Bearer(error @ BearerError::KeysUnavailable { .. }) => {
                tracing::debug!(%error, "access token not judged: the keys are in their back-off");
                let mut response = json_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &PublicMessage::composed("temporarily_unavailable", error.to_string()),
                );
                if let BearerError::KeysUnavailable { retry_after } = error {
                    response.headers_mut().insert(
                        header::RETRY_AFTER,
                        HeaderValue::from(crate::bearer::retry_seconds(retry_after)),
                    );
                }
                response
            }
            Self::Session(rejection) => rejection.into_response(),
            Self::Misconfigured(_) => {
                tracing::error!("{self}");
                json_error(StatusCode::INTERNAL_SERVER_ERROR, &misconfigured())
            }
        }
    }
}

/// One guard's rule, borrowed from a [`GuardSpec`] or a [`Guard`].
#[derive(Debug, Clone, Copy)]
struct Rule<'a> {
    scopes: &'a [&'static str],
    resource: Option<&'a str>,
    organization: Option<&'a str>,
    /// Bearer tokens scoped to any organization pass too (not only global ones).
    allow_organization_scoped_tokens: bool,
    bearer_only: bool,
    redirect: bool,
    /// The handler needs the session's access token even without scopes.
    needs_token: bool,
}

impl<'a> From<&'a GuardSpec> for Rule<'a> {
    fn from(spec: &'a GuardSpec) -> Self {
        Self {
            scopes: spec.scopes,
            resource: spec.resource,
            organization: spec.organization,
            allow_organization_scoped_tokens: spec.allow_organization_scoped_tokens,
            bearer_only: spec.bearer_only,
            redirect: spec.redirect,
            needs_token: false,
        }
    }
}

/// The verifier for a request: the layer's own, a [`BearerVerifier::layer`]'s, or
/// the one the [`Logto`] client owns.
fn verifier<'a>(own: Option<&'a BearerVerifier>, parts: &'a Parts) -> Option<&'a BearerVerifier> {
    own.or_else(|| parts.extensions.get::<BearerVerifier>())
        .or_else(|| {
            parts
                .extensions
                .get::<RequestLogto>()
                .map(|r| &r.logto.inner.bearer)
        })
}

async fn organization_id<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
    name: &str,
) -> Result<String, GuardRejection> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|e| {
            GuardRejection::Misconfigured(format!(
                "the organization id is read from the path parameter `{name}`: {e}"
            ))
        })?;
    params
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .ok_or_else(|| {
            GuardRejection::Misconfigured(format!(
                "the route has no path parameter `{name}` to read the organization id from: name one in the route \
                 (`/orgs/{{{name}}}/...`) or fix `organization = \"{name}\"`"
            ))
        })
}

/// What a guard let through, kept in the request for the [`AccessToken`] extractor,
/// which builds the token only when a handler asks (most guarded handlers never do).
#[derive(Clone)]
pub(crate) enum Granted {
    /// The request's bearer token, verified.
    Bearer {
        verified: Arc<Verified>,
        /// The matched resource's position in the token's `aud`.
        resource: Option<usize>,
        organization_id: Option<String>,
    },
    /// The session's access token, from a cached verdict.
    Cached(Arc<session_cache::Verdict>),
    /// The session's access token, just read or refreshed.
    Session(AccessToken),
    /// A signed-in session; no token was needed.
    SignedIn,
}

impl Granted {
    fn access_token(&self, parts: &Parts) -> Option<AccessToken> {
        match self {
            Self::Bearer {
                verified,
                resource,
                organization_id,
            } => match Credentials::from_headers(&parts.headers) {
                Credentials::Bearer(token) => {
                    Some(verified.access_token(token, *resource, organization_id.clone()))
                }
                _ => None,
            },
            Self::Cached(verdict) => verdict.token.clone(),
            Self::Session(token) => Some(token.clone()),
            Self::SignedIn => None,
        }
    }
}

/// Runs `rule` on a request; returns what it let through.
async fn run<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
    rule: Rule<'_>,
    own: Option<&BearerVerifier>,
) -> Result<Granted, GuardRejection> {
    let organization = match rule.organization {
        Some(name) => Some(organization_id(parts, state, name).await?),
        None => None,
    };
    match Credentials::from_headers(&parts.headers) {
        Credentials::Malformed(why) => Err(GuardRejection::InvalidRequest(why)),
        Credentials::Bearer(token) => {
            let Some(verifier) = verifier(own, parts) else {
                return Err(AuthRejection::MissingLayer.into_session());
            };
            // A resource requirement accepts global tokens only, unless the guard names
            // the organization or opted into any organization's.
            let requirements = match (rule.resource, organization.as_deref()) {
                (Some(resource), Some(org)) => {
                    Requirements::resource(resource).organization_id(org)
                }
                (Some(resource), None) => Requirements::resource(resource),
                (None, Some(org)) => Requirements::organization(org),
                // The only configured resource, as for sessions; a guard without
                // scopes also takes a token for any of several.
                (None, None) => match only_resource(verifier.resources()) {
                    Some(resource) => Requirements::resource(resource),
                    None if rule.scopes.is_empty() => Requirements::any_of(verifier.resources()),
                    None => return Err(no_default_resource()),
                },
            }
            .scopes(rule.scopes);
            let requirements = if rule.allow_organization_scoped_tokens {
                requirements.allow_organization_scoped_tokens()
            } else {
                requirements
            };
            let (verified, resource, organization_id) =
                verifier.verify_grant(token, &requirements).await?;
            Ok(Granted::Bearer {
                verified,
                resource,
                organization_id,
            })
        }
        Credentials::None | Credentials::OtherScheme if rule.bearer_only => {
            Err(GuardRejection::MissingBearerToken)
        }
        Credentials::None | Credentials::OtherScheme => {
            let Some(RequestLogto { logto, handle }) =
                parts.extensions.get::<RequestLogto>().cloned()
            else {
                // An API without sessions: only bearer tokens could have passed.
                return match verifier(own, parts) {
                    Some(_) => Err(GuardRejection::MissingBearerToken),
                    None => Err(AuthRejection::MissingLayer.into_session()),
                };
            };
            let inner = &logto.inner;
            let target = token_target(rule, organization, &inner.settings.resources)?;
            let (resource, org) = match &target {
                Some((resource, org)) => (*resource, org.as_deref()),
                None => (None, None),
            };
            let now = inner.settings.clock.unix_seconds();
            let key = session_cache::Key::new(
                &inner.guard_cache,
                &parts.headers,
                &inner.settings,
                resource,
                org,
                target.is_some(),
            );
            if let Some(verdict) = key.as_ref().and_then(|key| {
                inner
                    .guard_cache
                    .get(key, now, |refresh| inner.refresh.has_news(refresh.bytes()))
            }) {
                with_scopes(rule, verdict.token.as_ref())?;
                return Ok(Granted::Cached(verdict));
            }
            let request = target
                .as_ref()
                .map(|(resource, org)| match (resource, org) {
                    (Some(resource), Some(org)) => {
                        TokenRequest::resource(*resource).organization_id(org)
                    }
                    (Some(resource), None) => TokenRequest::resource(*resource),
                    (None, Some(org)) => TokenRequest::organization(org),
                    (None, None) => unreachable!("a target names a resource or an organization"),
                });
            // Boxed: reading, refreshing and writing a session makes a large future, and
            // the cached path above must not pay for moving it with every request.
            let token = Box::pin(session_guard(
                parts, rule, request, key, now, &logto, handle,
            ))
            .await?;
            with_scopes(rule, token.as_ref())?;
            Ok(token.map_or(Granted::SignedIn, Granted::Session))
        }
    }
}

/// What token a session guard needs: none for a plain signed-in check, else the
/// session's token for a resource and/or an organization.
#[allow(clippy::type_complexity)]
fn token_target<'a>(
    rule: Rule<'a>,
    organization: Option<String>,
    resources: &'a [String],
) -> Result<Option<(Option<&'a str>, Option<String>)>, GuardRejection> {
    if rule.scopes.is_empty()
        && rule.resource.is_none()
        && organization.is_none()
        && !rule.needs_token
    {
        return Ok(None);
    }
    let resource = match rule.resource {
        Some(resource) => Some(resource),
        None if organization.is_some() => None,
        None => Some(only_resource(resources).ok_or_else(no_default_resource)?),
    };
    Ok(Some((resource, organization)))
}

/// Whether the token carries every scope of the rule.
fn with_scopes(rule: Rule<'_>, token: Option<&AccessToken>) -> Result<(), GuardRejection> {
    match token {
        Some(token) if !rule.scopes.iter().all(|scope| token.has_scope(scope)) => {
            Err(BearerError::InsufficientScope {
                required: rule.scopes.iter().map(|s| (*s).to_owned()).collect(),
            }
            .into())
        }
        _ => Ok(()),
    }
}

/// The session's side of a guard, uncached: a live session, and for `request` the
/// session's access token (refreshed as needed). Caches the verdict when the session
/// came through unchanged.
async fn session_guard(
    parts: &Parts,
    rule: Rule<'_>,
    request: Option<TokenRequest>,
    cache_key: Option<session_cache::Key>,
    now: i64,
    logto: &Logto,
    handle: SessionHandle,
) -> Result<Option<AccessToken>, GuardRejection> {
    let inner = &logto.inner;
    let token = match &request {
        None => match context::live_session(inner, &handle).await {
            Ok(Some(_)) => None,
            Ok(None) => return Err(signed_out(rule, logto, parts)),
            Err(error) => return Err(GuardRejection::Session(error.into())),
        },
        Some(request) => match context::access_token(inner, &handle, request).await {
            Ok(token) => Some(token),
            Err(TokenError::SignedOut | TokenError::SessionEnded | TokenError::NoRefreshToken) => {
                return Err(signed_out(rule, logto, parts));
            }
            Err(error) => return Err(error.into()),
        },
    };
    if let Some(key) = &cache_key {
        remember(inner, &handle, key, request.as_ref(), token.clone(), now);
    }
    Ok(token)
}

/// Caches the verdict on a session this request left as it came (the cookie then holds
/// exactly what was judged).
fn remember(
    inner: &Inner,
    handle: &SessionHandle,
    key: &session_cache::Key,
    request: Option<&TokenRequest>,
    token: Option<AccessToken>,
    now: i64,
) {
    let mut session = handle.lock();
    if session.pending().is_some() {
        return;
    }
    let Some(data) = session.session(&inner.settings) else {
        return;
    };
    let refresh_at = match request {
        Some(request) => match data.tokens.get(&request.key()) {
            Some(stored) => Some(stored.refresh_at),
            None => return,
        },
        None => None,
    };
    inner.guard_cache.insert(key, data, refresh_at, token, now);
}

/// The resource a guard that names none is about: the config's only API resource.
fn only_resource(resources: &[String]) -> Option<&str> {
    let mut resources = api_resources(resources);
    match (resources.next(), resources.next()) {
        (Some(only), None) => Some(only.as_str()),
        _ => None,
    }
}

fn no_default_resource() -> GuardRejection {
    GuardRejection::Misconfigured(
        "the guard names no resource and the config does not request exactly one: write \
         `resource = \"...\"` on the guard"
            .into(),
    )
}

impl AuthRejection {
    fn into_session(self) -> GuardRejection {
        GuardRejection::Session(self)
    }
}

/// 401, or for a page that opted in, a redirect to sign-in that comes back here.
fn signed_out(rule: Rule<'_>, logto: &Logto, parts: &Parts) -> GuardRejection {
    if !rule.redirect {
        return GuardRejection::MissingCredentials;
    }
    GuardRejection::RedirectToSignIn {
        location: crate::oidc::sign_in::sign_in_and_back(
            logto.sign_in_path(),
            super::original_uri(parts),
        ),
    }
}

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
    type Rejection = GuardRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let granted = run(parts, state, D::SPEC.into(), None).await?;
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
/// // Usually behind `#[logto::protected(scope = "read")]`.
/// async fn orders(token: logto_runtime::AccessToken) -> String {
///     format!("{} may read", token.subject().unwrap_or_default())
/// }
/// # let _: axum::routing::MethodRouter = axum::routing::get(orders);
/// ```
impl<S: Send + Sync> FromRequestParts<S> for AccessToken {
    type Rejection = GuardRejection;

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
        run(parts, state, rule, None)
            .await?
            .access_token(parts)
            .ok_or(GuardRejection::MissingCredentials)
    }
}

/// A guard for a whole router, as a tower layer: the rule of `#[logto::protected]`
/// without the macro.
///
/// Build it from the client that will serve the router, so its scope and resource are
/// checked against the config before the first request:
///
/// ```
/// # #[derive(Debug)] struct Api;
/// # impl logto_runtime::Config for Api {
/// #     const SCOPES: &'static [&'static str] = &["read", "write"];
/// #     const RESOURCES: &'static [&'static str] = &["https://api.example.com"];
/// # }
/// use axum::{Router, routing::get};
/// use logto_runtime::{BearerVerifier, Guard};
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
    /// [`AccessToken::organization_id`] itself. Without it, such tokens are refused
    /// with 401 `invalid_token`; with [`organization_from_path`](Self::organization_from_path),
    /// it is refused at build time (the path already names the organization).
    ///
    /// ```
    /// # #[derive(Debug)] struct Api;
    /// # impl logto_runtime::Config for Api {
    /// #     const SCOPES: &'static [&'static str] = &["read"];
    /// #     const RESOURCES: &'static [&'static str] = &["https://api.example.com"];
    /// # }
    /// use logto_runtime::{BearerVerifier, Guard};
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

    fn check(&self, scopes: &[String], resources: &[String]) -> Result<(), ConfigError> {
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
        let needs = crate::guard::rule::Needs {
            scopes: &self.scopes,
            resource: self.resource,
            organization: self.organization.is_some(),
        };
        crate::guard::check(&needs, scopes, resources, "the guard")
            .map_err(|problem| ConfigError::new("Guard", problem))
    }

    fn rule(&self) -> Rule<'_> {
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

impl Logto {
    /// A [`GuardLayer`] for routers served with this client's session layer, checked
    /// against its config.
    pub fn guard(&self, guard: Guard) -> Result<GuardLayer, ConfigError> {
        let settings = &self.inner.settings;
        guard.check(&settings.scopes, &settings.resources)?;
        Ok(GuardLayer {
            guard: Arc::new(guard),
            verifier: Some(self.inner.bearer.clone()),
        })
    }
}

impl BearerVerifier {
    /// A [`GuardLayer`] that verifies bearer tokens with this verifier, checked against
    /// its config.
    pub fn guard(&self, guard: Guard) -> Result<GuardLayer, ConfigError> {
        guard.check(&self.inner.scopes, &self.inner.resources)?;
        Ok(GuardLayer {
            guard: Arc::new(guard),
            verifier: Some(self.clone()),
        })
    }

    /// A layer that makes this verifier available to `#[logto::protected]` handlers
    /// (an API server without [`Logto`] sessions). Each guard judges tokens by its
    /// own rule: one that names no organization accepts only global tokens, unless it
    /// says `allow_organization_scoped_tokens`.
    pub fn layer(&self) -> BearerLayer {
        BearerLayer {
            verifier: self.clone(),
        }
    }
}

/// Runs a [`Guard`] before every request of a router. Made by [`Logto::guard`] and
/// [`BearerVerifier::guard`].
#[derive(Debug, Clone)]
pub struct GuardLayer {
    guard: Arc<Guard>,
    verifier: Option<BearerVerifier>,
}

impl<S> Layer<S> for GuardLayer {
    type Service = GuardService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GuardService {
            inner,
            guard: self.guard.clone(),
            verifier: self.verifier.clone(),
        }
    }
}

/// The service of [`GuardLayer`].
#[derive(Debug, Clone)]
pub struct GuardService<S> {
    inner: S,
    guard: Arc<Guard>,
    verifier: Option<BearerVerifier>,
}

impl<S, B> Service<Request<B>> for GuardService<S>
where
    S: Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The service that was polled ready is the one to call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let guard = self.guard.clone();
        let verifier = self.verifier.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            match run(&mut parts, &(), guard.rule(), verifier.as_ref()).await {
                Ok(granted) => {
                    parts.extensions.insert(granted);
                    inner.call(Request::from_parts(parts, body)).await
                }
                Err(rejection) => Ok(rejection.into_response()),
            }
        })
    }
}

/// Puts a [`BearerVerifier`] in every request, for `#[logto::protected]` handlers of
/// an API server that has no [`Logto`] client. Made by [`BearerVerifier::layer`].
#[derive(Debug, Clone)]
pub struct BearerLayer {
    verifier: BearerVerifier,
}

impl<S> Layer<S> for BearerLayer {
    type Service = BearerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BearerService {
            inner,
            verifier: self.verifier.clone(),
        }
    }
}

/// The service of [`BearerLayer`].
#[derive(Debug, Clone)]
pub struct BearerService<S> {
    inner: S,
    verifier: BearerVerifier,
}

impl<S, B> Service<Request<B>> for BearerService<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        request.extensions_mut().insert(self.verifier.clone());
        self.inner.call(request)
    }
}
