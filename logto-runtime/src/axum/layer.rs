//! The layer that gives every request its session and writes changes back.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use axum::response::Response;
use http::{HeaderValue, Request, header};
use tower_layer::Layer;
use tower_service::Service;

use crate::{
    Logto,
    session::{RequestSession, SessionHandle},
    stored_session,
};

/// What the layer leaves in a request's extensions for the extractors.
#[derive(Clone)]
pub(crate) struct RequestLogto {
    pub logto: Logto,
    pub handle: SessionHandle,
}

/// Reads the session cookies of each request (decrypting only when an extractor asks)
/// and writes the session back on the response when the request changed it.
///
/// Made by [`Logto::layer`].
///
/// ```
/// use axum::{Router, routing::get};
/// use logto::{Logto, LogtoLayer};
///
/// #[logto::config]
/// pub struct Auth;
///
/// let logto = Logto::builder::<Auth>()
/// #   .endpoint("https://tenant.logto.app").app_id("my-app").app_secret("my-secret")
/// #   .base_url("http://localhost:3000").cookie_secret("complex_password_at_least_32_characters_long")
///     .build()?;
/// let sessions: LogtoLayer = logto.layer();
/// // Below `merge`, so the SDK's routes have sessions too.
/// let app: Router = Router::new()
///     .route("/", get(|| async { "home" }))
///     .merge(logto.routes())
///     .layer(sessions);
/// # Ok::<(), logto::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct LogtoLayer {
    logto: Logto,
}

impl LogtoLayer {
    pub(crate) const fn new(logto: Logto) -> Self {
        Self { logto }
    }
}

impl<S> Layer<S> for LogtoLayer {
    type Service = LogtoService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        LogtoService {
            inner,
            logto: self.logto.clone(),
        }
    }
}

/// The service of [`LogtoLayer`].
///
/// Applications meet it only as a type, when they name the service a layer made:
///
/// ```
/// use axum::routing::{MethodRouter, get};
/// use logto::{Logto, LogtoService};
/// use tower_layer::Layer; // or `tower::Layer`
///
/// #[logto::config]
/// pub struct Auth;
///
/// let logto = Logto::builder::<Auth>()
/// #   .endpoint("https://tenant.logto.app").app_id("my-app").app_secret("my-secret")
/// #   .base_url("http://localhost:3000").cookie_secret("complex_password_at_least_32_characters_long")
///     .build()?;
/// let service: LogtoService<MethodRouter> = logto.layer().layer(get(|| async { "home" }));
/// # let _ = service;
/// # Ok::<(), logto::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct LogtoService<S> {
    inner: S,
    logto: Logto,
}

impl<S, ReqBody> Service<Request<ReqBody>> for LogtoService<S>
where
    S: Service<Request<ReqBody>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let logto = self.logto.clone();
        let handle = SessionHandle::new(RequestSession::from_headers(
            request.headers(),
            &logto.inner.settings,
        ));
        request.extensions_mut().insert(RequestLogto {
            logto: logto.clone(),
            handle: handle.clone(),
        });
        // The service that was polled ready is the one to call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let mut response = inner.call(request).await?;
            let (saved, cookies) =
                stored_session::finish(&logto.inner.session_env(), &handle).await;
            if let Err(error) = saved {
                // The handler's answer stands on a session that was not saved: say so.
                response = super::rejection::store_unavailable(&error);
            }
            if !cookies.is_empty() {
                let headers = response.headers_mut();
                for cookie in cookies {
                    if let Ok(value) = HeaderValue::from_str(&cookie) {
                        headers.append(header::SET_COOKIE, value);
                    }
                }
                // A response that carries a session must never be cached by a proxy.
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
            Ok(response)
        })
    }
}
