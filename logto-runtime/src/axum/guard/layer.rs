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
