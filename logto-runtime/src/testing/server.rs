//! The test issuer's HTTP side: an OpenID provider shaped like Logto (discovery, JWKS,
//! token, userinfo, revocation, end-session), served on a loopback port by a thread of
//! its own, so it answers whatever runtime (or none) the test runs on.

use std::sync::Arc;

use axum::{
    Form, Json, Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::issuer::{Issuer, TokenFailure, TokenForm};

async fn discovery(State(issuer): State<Arc<Issuer>>) -> Json<Value> {
    let url = &issuer.url;
    Json(json!({
        "issuer": url,
        "authorization_endpoint": format!("{url}/auth"),
        "token_endpoint": format!("{url}/token"),
        "userinfo_endpoint": format!("{url}/me"),
        "jwks_uri": format!("{url}/jwks"),
        "end_session_endpoint": format!("{url}/session/end"),
        "revocation_endpoint": format!("{url}/token/revocation"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES384"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "authorization_response_iss_parameter_supported": true,
    }))
}

async fn jwks(State(issuer): State<Arc<Issuer>>) -> Json<Value> {
    Json(json!({ "keys": [issuer.jwk()] }))
}

async fn token(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    if !issuer.client_authenticated(&headers, &form) {
        return TokenFailure::InvalidClient.into_response();
    }
    let result = match form.grant_type.as_str() {
        "authorization_code" => issuer.exchange_code(&form),
        "refresh_token" => {
            let result = issuer.refresh(&form);
            issuer.counted(if result.is_ok() {
                "refresh"
            } else {
                "refresh_error"
            });
            result
        }
        _ => Err(TokenFailure::InvalidGrant),
    };
    match result {
        Ok(body) => ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response(),
        Err(failure) => failure.into_response(),
    }
}

async fn userinfo(State(issuer): State<Arc<Issuer>>, headers: HeaderMap) -> Response {
    match issuer.userinfo(&headers) {
        Some(claims) => Json(claims).into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")],
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct RevocationForm {
    token: String,
}

/// RFC 7009: a revoked refresh token is gone; unknown tokens are fine (200).
async fn revocation(
    State(issuer): State<Arc<Issuer>>,
    Form(form): Form<RevocationForm>,
) -> StatusCode {
    issuer.counted("revocation");
    issuer.revoke_token(&form.token);
    StatusCode::OK
}

#[derive(Deserialize)]
struct EndSession {
    post_logout_redirect_uri: Option<String>,
}

async fn end_session(Query(query): Query<EndSession>) -> Response {
    match query.post_logout_redirect_uri {
        Some(uri) => Redirect::to(&uri).into_response(),
        None => "signed out".into_response(),
    }
}

/// The issuer's server: runs until the sender is dropped or fires.
pub(super) struct Server {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Serves `issuer` on `listener` from a new thread with a runtime of its own.
    pub(super) fn start(listener: std::net::TcpListener, issuer: Arc<Issuer>) -> Self {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = Router::new()
            .route("/oidc/.well-known/openid-configuration", get(discovery))
            .route("/oidc/jwks", get(jwks))
            .route("/oidc/token", post(token))
            .route("/oidc/me", get(userinfo).post(userinfo))
            .route("/oidc/token/revocation", post(revocation))
            .route("/oidc/session/end", get(end_session))
            .with_state(issuer);
        let thread = std::thread::Builder::new()
            .name("logto-test-issuer".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap_or_else(|e| panic!("logto::testing: a Tokio runtime: {e}"));
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .unwrap_or_else(|e| panic!("logto::testing: the issuer's socket: {e}"));
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = stopped.await;
                        })
                        .await;
                });
            })
            .unwrap_or_else(|e| panic!("logto::testing: the issuer's thread: {e}"));
        Self {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Not joined: a keep-alive connection of the app's HTTP client would hold the
        // graceful shutdown until it closes; the thread ends on its own after that.
        drop(self.thread.take());
    }
}
