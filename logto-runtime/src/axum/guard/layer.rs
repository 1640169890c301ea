//! The tower layers: [`GuardLayer`] runs a [`Guard`] before every request of a
//! router, [`BearerLayer`] gives an API server's requests their verifier.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context as TaskContext, Poll},
};

use axum::response::{IntoResponse, Response};
use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use crate::{BearerVerifier, Logto, error::ConfigError};

use super::*;

/// Runs a [`Guard`] before every request of a router. Made by [`Logto::guard`] and
/// [`BearerVerifier::guard`].
///
/// ```
/// use axum::{Router, routing::get};
/// use logto::{Guard, GuardLayer, Logto};
///
/// #[logto::config(scopes = ["read"], resources = ["https://shopping.your-app.com/api"])]
/// pub struct Auth;
///
/// let logto = Logto::builder::<Auth>()
/// #   .endpoint("https://tenant.logto.app").app_id("my-app").app_secret("my-secret")
/// #   .base_url("http://localhost:3000").cookie_secret("complex_password_at_least_32_characters_long")
///     .build()?;
/// // Signed in, or a bearer token, with `read` for the API: checked against `Auth` here.
/// let guard: GuardLayer = logto.guard(Guard::new().scope("read"))?;
/// let app: Router = Router::new()
///     .route("/api/orders", get(|| async { "[]" }))
///     .layer(guard)
///     .layer(logto.layer());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
///
/// ```
/// use axum::routing::{MethodRouter, get};
/// use logto::{BearerVerifier, Guard, GuardService};
/// use tower_layer::Layer; // or `tower::Layer`
///
/// #[logto::config(scopes = ["read"], resources = ["https://shopping.your-app.com/api"])]
/// pub struct Api;
///
/// let verifier = BearerVerifier::builder::<Api>().endpoint("https://tenant.logto.app").build()?;
/// let guard = verifier.guard(Guard::new().scope("read").bearer_only())?;
/// let service: GuardService<MethodRouter> = guard.layer(get(|| async { "[]" }));
/// # let _ = service;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
            match decide(&mut parts, &(), guard.rule(), verifier.as_ref()).await {
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
///
/// An app with a [`Logto`] client needs none: its guards use the client's verifier.
///
/// ```
/// use axum::{Router, routing::get};
/// use logto::{AccessToken, BearerLayer, BearerVerifier};
///
/// #[logto::config(scopes = ["read"], resources = ["https://shopping.your-app.com/api"])]
/// pub struct Api;
///
/// #[logto::protected(config = Api, scope = "read", bearer_only)]
/// async fn products(token: AccessToken) -> String {
///     token.subject().unwrap_or_default()
/// }
///
/// let verifier = BearerVerifier::builder::<Api>().endpoint("https://tenant.logto.app").build()?;
/// let layer: BearerLayer = verifier.layer();
/// let app: Router = Router::new().route("/api/products", get(products)).layer(layer);
/// # Ok::<(), logto::Error>(())
/// ```
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
///
/// ```
/// use axum::routing::{MethodRouter, get};
/// use logto::{BearerService, BearerVerifier};
/// use tower_layer::Layer; // or `tower::Layer`
///
/// #[logto::config(resources = ["https://shopping.your-app.com/api"])]
/// pub struct Api;
///
/// let verifier = BearerVerifier::builder::<Api>().endpoint("https://tenant.logto.app").build()?;
/// let service: BearerService<MethodRouter> = verifier.layer().layer(get(|| async { "[]" }));
/// # let _ = service;
/// # Ok::<(), logto::Error>(())
/// ```
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
