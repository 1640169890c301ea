//! `GET /sign-in`, `GET /callback` and `POST /sign-out`.

use axum::{
    Router,
    extract::{Query, Request},
    response::{IntoResponse, Redirect, Response},
    routing::{any, get, post},
};
use http::{HeaderMap, StatusCode, header};
use serde::Deserialize;

use super::{
    layer::RequestLogto,
    page::error_page,
    rejection::{Rejection, code_exchange_status, provider_status},
};
use crate::{
    Logto, SignInOptions,
    error::{CallbackError, ProviderError, PublicMessage},
    oidc::{self, CallbackParams},
    redirect, stored_session,
};

impl Logto {
    /// The sign-in, callback and sign-out routes, at the configured paths, and the
    /// back-channel logout route when it is enabled
    /// ([`LogtoBuilder::backchannel_logout`](crate::LogtoBuilder::backchannel_logout)).
    /// Needs [`Logto::layer`] on the router.
    ///
    /// `GET /sign-in` takes an optional `?post_redirect_uri=/path` (same-origin only);
    /// every other sign-in option is set in code with
    /// [`LogtoBuilder::sign_in_options`](crate::LogtoBuilder::sign_in_options).
    /// With [`LogtoBuilder::token_route`](crate::LogtoBuilder::token_route), the token
    /// route too (`GET /logto/token`).
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let settings = &self.inner.settings;
        let router = Router::new()
            .route(&settings.sign_in_path, get(sign_in))
            .route(&settings.callback_path, get(callback))
            .route(&settings.sign_out_path, post(sign_out));
        let router = match &settings.token_route_path {
            // Every method, so that a 405 is `no-store` too.
            Some(path) => router.route(path, any(super::token_route::token_route)),
            None => router,
        };
        // Back-channel logout, when enabled: the provider posts without cookies, so
        // the route needs no layer and takes the client with it.
        match &settings.backchannel {
            Some(backchannel) => {
                self.start_polling();
                let logto = self.clone();
                router.route(
                    &backchannel.path,
                    post(move |request| super::backchannel::backchannel_logout(logto, request)),
                )
            }
            None => router,
        }
    }

    /// The layer that carries sessions in encrypted cookies.
    pub fn layer(&self) -> super::LogtoLayer {
        self.start_polling();
        super::LogtoLayer::new(self.clone())
    }

    /// Starts a sign-in with `options`: records the transaction in the request's
    /// session cookies and returns the redirect to Logto. For custom sign-in handlers
    /// (a "Sign up" button with `first_screen("register")`, say).
    pub async fn sign_in(&self, request: &Request, options: &SignInOptions) -> Response {
        let Some(RequestLogto { handle, .. }) = request.extensions().get::<RequestLogto>().cloned()
        else {
            return Rejection::MissingLayer.into_response();
        };
        start_sign_in(self, &handle, options).await
    }
}

async fn start_sign_in(
    logto: &Logto,
    handle: &crate::session::SessionHandle,
    options: &SignInOptions,
) -> Response {
    let inner = &logto.inner;
    match oidc::sign_in::authorization_url(&inner.oidc(), options).await {
        Ok((url, tx)) => {
            let now = inner.settings.clock.unix_seconds();
            handle.lock().transactions(&inner.settings).push(tx, now);
            Redirect::to(url.as_str()).into_response()
        }
        Err(error) => provider_error_page(logto, &error),
    }
}

fn provider_error_page(logto: &Logto, error: &ProviderError) -> Response {
    tracing::warn!(target: "logto::oidc", %error, "the provider failed");
    error_page(
        provider_status(error),
        "Sign-in failed",
        &error.public_message(),
        logto.sign_in_path(),
    )
}

#[derive(Deserialize)]
struct SignInQuery {
    post_redirect_uri: Option<String>,
}

async fn sign_in(request: Request) -> Response {
    let Some(RequestLogto { logto, handle }) = request.extensions().get::<RequestLogto>().cloned()
    else {
        return Rejection::MissingLayer.into_response();
    };
    let query = Query::<SignInQuery>::try_from_uri(request.uri()).map(|q| q.0);
    let mut options = logto.inner.settings.sign_in_options.clone();
    if let Ok(SignInQuery {
        post_redirect_uri: Some(uri),
    }) = query
    {
        options = options.post_redirect_uri(uri);
    }
    start_sign_in(&logto, &handle, &options).await
}

async fn callback(request: Request) -> Response {
    let Some(RequestLogto { logto, handle }) = request.extensions().get::<RequestLogto>().cloned()
    else {
        return Rejection::MissingLayer.into_response();
    };
    let inner = &logto.inner;
    let params = Query::<CallbackParams>::try_from_uri(request.uri())
        .map(|q| q.0)
        .unwrap_or_default();
    let now = inner.settings.clock.unix_seconds();
    let take = |state: &str| handle.lock().transactions(&inner.settings).take(state, now);
    match oidc::callback::finish(&inner.oidc(), params, take).await {
        Ok((session, redirect)) => {
            let mut cookies = handle.lock();
            cookies.set_session(Some(std::sync::Arc::new(session)));
            cookies.renew_id();
            if !cookies.fits_in_cookies(&inner.settings) {
                // Reading refuses what exceeds the cookie budget: rather than a session
                // that vanishes on the next request, say so now.
                cookies.set_session(None);
                drop(cookies);
                tracing::error!(
                    target: "logto::session",
                    "this user's session (its ID token) does not fit in cookies: keep sessions in a store (LogtoBuilder::session_store)"
                );
                return error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sign-in failed",
                    &PublicMessage::fixed(
                        "server_error",
                        "this account's session is too large for this app's cookies",
                    ),
                    logto.sign_in_path(),
                );
            }
            drop(cookies);
            // The target was checked when the sign-in started; check what actually
            // reaches `Location` once more, whatever the transaction held.
            let settings = &inner.settings;
            let redirect = if redirect::is_local_target(&redirect, &settings.base_url) {
                redirect
            } else {
                settings.post_sign_in_path.clone()
            };
            Redirect::to(&redirect).into_response()
        }
        Err(error) => {
            // The provider failing is worth a warning; a bad callback is the client's.
            let status = match &error {
                CallbackError::Exchange(provider) => {
                    tracing::warn!(target: "logto::oidc", %error, "sign-in callback refused");
                    code_exchange_status(provider)
                }
                _ => {
                    tracing::info!(target: "logto::oidc", %error, "sign-in callback refused");
                    StatusCode::BAD_REQUEST
                }
            };
            error_page(
                status,
                "Sign-in failed",
                &error.public_message(),
                logto.sign_in_path(),
            )
        }
    }
}

/// A cross-site form must not sign a user out: browsers send `Origin` (or at least
/// `Sec-Fetch-Site`) with every POST; clients that send neither are not browsers.
fn same_origin(headers: &HeaderMap, base: &url::Url) -> bool {
    if let Some(origin) = headers.get(header::ORIGIN) {
        return origin
            .to_str()
            .is_ok_and(|o| o == base.origin().ascii_serialization());
    }
    match headers.get("sec-fetch-site").map(|v| v.to_str()) {
        Some(Ok(site)) => matches!(site, "same-origin" | "none"),
        Some(Err(_)) => false,
        None => true,
    }
}

async fn sign_out(request: Request) -> Response {
    let Some(RequestLogto { logto, handle }) = request.extensions().get::<RequestLogto>().cloned()
    else {
        return Rejection::MissingLayer.into_response();
    };
    let inner = &logto.inner;
    if !same_origin(request.headers(), &inner.settings.base_url) {
        return error_page(
            StatusCode::FORBIDDEN,
            "Sign-out refused",
            &PublicMessage::fixed(
                "access_denied",
                "the sign-out request came from another site",
            ),
            logto.sign_in_path(),
        );
    }
    if let Err(error) = stored_session::ensure_loaded(&inner.session_env(), &handle).await {
        return super::rejection::store_unavailable(&error);
    }
    let session = handle.lock().session(&inner.settings).cloned();
    handle.lock().set_session(None);
    if let Some(refresh_token) = session.as_ref().and_then(|s| s.refresh_token.as_deref()) {
        inner.refresh.signed_out(refresh_token);
    }
    let url = oidc::sign_out::sign_out(&inner.oidc(), session.as_deref()).await;
    Redirect::to(url.as_str()).into_response()
}
