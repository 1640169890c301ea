//! Tests of your own handlers, in milliseconds, without a provider: an in-process
//! issuer that signs users in and mints access tokens and logout tokens.
//!
//! **For tests only.** This module exists with the `testing` cargo feature, which
//! belongs in `[dev-dependencies]` and must never be enabled in a production build:
//! [`TestAuth`] builds a client that trusts a provider the test controls.
//!
//! ```toml
//! [dev-dependencies]
//! logto = { git = "https://github.com/logto-rs/logto-rs", features = ["testing"] }
//! tower = { version = "0.5", features = ["util"] } # ServiceExt::oneshot
//! ```
//!
//! [`TestAuth::new`] starts the issuer on a loopback port (its own thread and Tokio
//! runtime, so any test runtime will do) and builds the [`Logto`] your app takes,
//! whose endpoint is that issuer and no other. Nothing is bypassed: the client fetches
//! the issuer's discovery document and keys, a session is made by the client's own
//! `/sign-in` and `/callback` (the ID token checked as always, the session sealed in
//! the cookie or saved in the store by the same code as in production), and bearer
//! tokens are ES384 JWTs the client verifies per RFC 9068. The issuer is dropped, and
//! stops, with the `TestAuth`.
//!
//! ```
//! use axum::{Router, body::Body, http::{Request, StatusCode, header}, routing::get};
//! use logto::{Logto, testing::TestAuth};
//! use tower::ServiceExt; // oneshot
//!
//! const API: &str = "https://api.example.com";
//!
//! #[logto::config(scopes = [logto::UserScope::Email, "read"], resources = ["https://api.example.com"])]
//! pub struct Auth;
//!
//! #[logto::protected(config = Auth, scope = "read")]
//! async fn orders() -> &'static str {
//!     "[]"
//! }
//!
//! async fn me(ctx: logto::Context) -> String {
//!     ctx.claims().map_or("signed out".into(), |c| c.sub().to_owned())
//! }
//!
//! // The app's router, as `main` builds it.
//! fn router(logto: &Logto) -> Router {
//!     Router::new()
//!         .route("/orders", get(orders))
//!         .route("/me", get(me))
//!         .merge(logto.routes())
//!         .layer(logto.layer())
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let auth = TestAuth::new::<Auth>();
//! let app = router(&auth.logto());
//! let alice = auth.user("user_alice").email("alice@example.com");
//!
//! // A session whose access token for API carries `read`.
//! let cookie = auth.session(&alice).access_token(API, ["read"]).cookie().await;
//! let request = Request::get("/orders").header(header::COOKIE, &cookie);
//! let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
//! assert_eq!(response.status(), StatusCode::OK);
//!
//! // A bearer token without `read`: 403; an expired one: 401.
//! for (token, status) in [
//!     (auth.access_token(&alice, API, ["write"]), StatusCode::FORBIDDEN),
//!     (auth.access_token(&alice, API, ["read"]).expired(), StatusCode::UNAUTHORIZED),
//! ] {
//!     let request = Request::get("/orders").header(header::AUTHORIZATION, token.bearer());
//!     let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
//!     assert_eq!(response.status(), status);
//! }
//! # }
//! ```
//!
//! What else a test can do:
//!
//! - Claims: [`TestUser`]'s methods set them; the issuer puts each where Logto does (the
//!   ID token by scope, `custom_data` and the like in userinfo only), and
//!   [`TestAuth::userinfo_requests`] counts the userinfo calls.
//! - Tokens of a session per resource, per organization, and scoped to an organization
//!   ([`SessionBuilder`]), with chosen scopes and lifetimes; bearer tokens
//!   ([`TestToken`]) expired, not yet valid, for another audience or issuer.
//! - Time: [`TestAuth::advance`] moves the client's and the issuer's clock, so tokens
//!   expire and the client refreshes them ([`TestAuth::refresh_requests`]); after
//!   [`TestAuth::end_grant`] the refresh fails with `invalid_grant`.
//! - Back-channel logout: [`TestAuth::backchannel_logout_request`], a logout token
//!   signed by the issuer, for the app's route.
//! - Store mode, the token route, back-channel logout: [`TestAuth::with_builder`]
//!   changes the builder, as the app's `main` does.

mod issuer;
mod server;
mod session;
#[cfg(test)]
mod tests;
mod token;
mod user;

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::{Duration, SystemTime},
};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
    routing::get,
};
use serde_json::json;
use tower_service::Service;

pub use session::{SessionBuilder, TestSession};
pub use token::TestToken;
pub use user::TestUser;

use crate::{
    clock::Clock, config::Config, logto::Logto, oidc::logout_token::BACKCHANNEL_LOGOUT_EVENT,
    settings::LogtoBuilder,
};

/// The app id of the client [`TestAuth`] builds.
pub const APP_ID: &str = "logto-test-app";
/// The base URL of the client [`TestAuth`] builds (change it with
/// [`TestAuth::with_builder`] when the app is served on a socket and its origin
/// matters, as for the token route's `Origin` check).
pub const BASE_URL: &str = "http://localhost:3000";

/// An in-process issuer and the client that trusts it: the test's side of sign-in.
///
/// See the [module docs](self) for an example.
pub struct TestAuth {
    logto: Logto,
    issuer: Arc<issuer::Issuer>,
    /// The client's routes and layer, which sign-ins and logout requests go through.
    router: Router,
    clock: TestClock,
    _server: server::Server,
}

impl std::fmt::Debug for TestAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestAuth")
            .field("issuer", &self.issuer.url)
            .finish_non_exhaustive()
    }
}

impl TestAuth {
    /// Starts an issuer and builds a client of config `C` that trusts it alone
    /// (cookie sessions, the builder's defaults).
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound.
    pub fn new<C: Config>() -> Self {
        Self::with_builder::<C>(|builder| builder)
    }

    /// As [`new`](Self::new), with the builder changed as the app's `main` changes it:
    /// a session store, the token route, back-channel logout, route paths.
    ///
    /// The endpoint, app id and secret, and the clock are the test's and set after
    /// `configure` runs.
    ///
    /// ```
    /// # #[logto::config(scopes = ["read"], resources = ["https://api.example.com"])]
    /// # pub struct Auth;
    /// let auth = logto::testing::TestAuth::with_builder::<Auth>(|builder| {
    ///     builder
    ///         .session_store(logto::MemoryStore::default())
    ///         .token_route(true)
    ///         .backchannel_logout(logto::BackchannelLogout::new())
    /// });
    /// assert_eq!(auth.logto().token_route_path(), Some("/logto/token"));
    /// ```
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound, or the builder is refused (the panic
    /// says why, as `build` would).
    pub fn with_builder<C: Config>(configure: impl FnOnce(LogtoBuilder) -> LogtoBuilder) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .unwrap_or_else(|e| panic!("logto::testing: binding 127.0.0.1:0: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("logto::testing: the issuer's address: {e}"));
        let endpoint = format!("http://{address}");
        let clock = TestClock::default();
        let secret = crate::session::random_id();
        let issuer = Arc::new(issuer::Issuer::new(
            format!("{endpoint}/oidc"),
            APP_ID,
            &secret,
            Arc::new(clock.clone()),
        ));
        let server = server::Server::start(listener, issuer.clone());
        let builder = Logto::builder::<C>()
            .base_url(BASE_URL)
            .cookie_secret(crate::session::random_id());
        let logto = configure(builder)
            .endpoint(&endpoint)
            .app_id(APP_ID)
            .app_secret(&secret)
            .clock(clock.clone())
            .build()
            .unwrap_or_else(|e| panic!("logto::testing: the client's builder: {e}"));
        let router = Router::new()
            .route(session::PREFETCH_PATH, get(session::prefetch))
            .merge(logto.routes())
            .layer(logto.layer());
        Self {
            logto,
            issuer,
            router,
            clock,
            _server: server,
        }
    }

    /// The client: give it to the app's router as `main` does.
    pub fn logto(&self) -> Logto {
        self.logto.clone()
    }

    /// The issuer's URL (`http://127.0.0.1:<port>/oidc`).
    pub fn issuer(&self) -> &str {
        &self.issuer.url
    }

    /// A user, to give claims to (see [`TestUser`]).
    pub fn user(&self, sub: &str) -> TestUser {
        TestUser::new(sub)
    }

    /// A session of `user`, to give tokens to and sign in (see [`SessionBuilder`]).
    pub fn session(&self, user: &TestUser) -> SessionBuilder<'_> {
        SessionBuilder::new(self, user)
    }

    /// A bearer access token of `user` for `resource` with `scopes`, valid for an hour.
    pub fn access_token<S: Into<String>>(
        &self,
        user: &TestUser,
        resource: &str,
        scopes: impl IntoIterator<Item = S>,
    ) -> TestToken {
        let scopes = scopes.into_iter().map(Into::into).collect();
        TestToken::new(self.issuer.clone(), user, resource.to_owned(), scopes)
    }

    /// A bearer organization token of `user` (`aud` = `urn:logto:organization:<id>`).
    pub fn organization_token<S: Into<String>>(
        &self,
        user: &TestUser,
        organization_id: &str,
        scopes: impl IntoIterator<Item = S>,
    ) -> TestToken {
        let scopes = scopes.into_iter().map(Into::into).collect();
        TestToken::for_organization(self.issuer.clone(), user, organization_id, scopes)
    }

    /// How many requests reached the issuer's userinfo endpoint.
    pub fn userinfo_requests(&self) -> usize {
        self.issuer.count("userinfo")
    }

    /// How many refresh grants the issuer answered with tokens (sign-in's fetch of
    /// the tokens named on a [`SessionBuilder`] included).
    pub fn refresh_requests(&self) -> usize {
        self.issuer.count("refresh")
    }

    /// How many refresh grants the issuer refused.
    pub fn refresh_failures(&self) -> usize {
        self.issuer.count("refresh_error")
    }

    /// Ends the session's grant at the issuer, as an admin would: its next refresh
    /// fails with `invalid_grant` (the client then treats the session as signed out).
    pub fn end_grant(&self, session: &TestSession) {
        self.issuer.revoke(&session.grant);
    }

    /// Moves the client's and the issuer's clock forward.
    pub fn advance(&self, by: Duration) {
        self.clock.0.fetch_add(
            i64::try_from(by.as_secs()).unwrap_or(i64::MAX),
            Ordering::SeqCst,
        );
    }

    /// A logout token for the session (its `sub` and `sid`), signed by the issuer.
    pub fn logout_token(&self, session: &TestSession) -> String {
        let now = self.issuer.now();
        let claims = json!({
            "iss": self.issuer.url, "aud": self.issuer.app_id, "iat": now, "exp": now + 120,
            "jti": crate::session::random_id(), "sub": session.sub, "sid": session.sid,
            "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
        });
        self.issuer.sign("logout+jwt", &claims)
    }

    /// The provider's back-channel logout of `session`, as a request for the app's
    /// router (`app.oneshot(request)`).
    ///
    /// # Panics
    ///
    /// When the client has no back-channel logout (see [`with_builder`](Self::with_builder)).
    pub fn backchannel_logout_request(&self, session: &TestSession) -> Request<Body> {
        let path = self.logto.backchannel_logout_path().unwrap_or_else(|| {
            panic!("logto::testing: the client has no back-channel logout: add `.backchannel_logout(logto::BackchannelLogout::new())` in `TestAuth::with_builder`")
        });
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("logout_token", &self.logout_token(session))
            .finish();
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap_or_else(|e| panic!("logto::testing: a logout request: {e}"))
    }

    /// Sends [`backchannel_logout_request`](Self::backchannel_logout_request) to the
    /// client's routes and returns the status (200 when the session ended).
    pub async fn backchannel_logout(&self, session: &TestSession) -> StatusCode {
        let request = self.backchannel_logout_request(session);
        match self.router.clone().call(request).await {
            Ok(response) => response.status(),
            Err(never) => match never {},
        }
    }
}

/// The clock the client and the issuer share: the system's, plus what the test added.
#[derive(Clone, Default)]
struct TestClock(Arc<AtomicI64>);

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        let offset = self.0.load(Ordering::SeqCst).max(0);
        SystemTime::now() + Duration::from_secs(offset as u64)
    }
}
