//! Signed-in sessions, made by the app's own sign-in: `/sign-in` and `/callback` of
//! the client's routes run as for a browser, the issuer standing in for the login
//! page. The session is therefore sealed (or stored) by the same code as in
//! production, whatever its encoding.

use std::{collections::HashMap, time::Duration};

use axum::{
    body::Body,
    extract::Query,
    http::{Request, Response, StatusCode, header},
    response::IntoResponse,
};
use serde::Deserialize;
use tower_service::Service;

use super::{
    TestAuth,
    issuer::{Grant, Grantable},
    user::{TestUser, is_organizations_resource},
};
use crate::{context::Context, tokens::TokenRequest};

/// The path of the route, on `TestAuth`'s own router only, that puts access tokens
/// into a new session through `Context::token` (the grant the app would make).
pub(super) const PREFETCH_PATH: &str = "/__logto_testing/token";

/// A session about to be signed in: what its grant gives, then
/// [`sign_in`](Self::sign_in) (or [`cookie`](Self::cookie)).
///
/// Made by [`TestAuth::session`]. Access tokens named here are fetched at sign-in, so
/// the cookie (or the store) already holds them and a guard needs no request to the
/// issuer; resources and organizations not named get tokens without scopes.
#[derive(Debug)]
#[must_use]
pub struct SessionBuilder<'a> {
    auth: &'a TestAuth,
    grant: Grant,
    prefetch: Vec<TokenRequest>,
}

impl<'a> SessionBuilder<'a> {
    pub(super) fn new(auth: &'a TestAuth, user: &TestUser) -> Self {
        let lifetime = super::issuer::ACCESS_TOKEN_LIFETIME.as_secs() as i64;
        Self {
            auth,
            grant: Grant {
                user: user.clone(),
                sid: crate::session::random_id(),
                scopes: Vec::new(),
                resources: HashMap::new(),
                organizations: HashMap::new(),
                organization_resources: HashMap::new(),
                access_lifetime: lifetime,
                id_token_lifetime: lifetime,
                revoked: false,
            },
            prefetch: Vec::new(),
        }
    }

    /// The session's access token for `resource` carries `scopes`; it is fetched at
    /// sign-in (through the client's refresh grant) and kept in the session.
    pub fn access_token<S: Into<String>>(
        mut self,
        resource: &str,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        let granted = self.grantable(scopes);
        self.grant.resources.insert(resource.to_owned(), granted);
        self.prefetch.push(TokenRequest::resource(resource));
        self
    }

    /// The session's organization token for `organization_id` carries `scopes`
    /// (the user must be a member: [`TestUser::organization`]).
    pub fn organization_token<S: Into<String>>(
        mut self,
        organization_id: &str,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        let granted = self.grantable(scopes);
        self.grant
            .organizations
            .insert(organization_id.to_owned(), granted);
        self.prefetch
            .push(TokenRequest::organization(organization_id));
        self
    }

    /// The session's token for `resource` scoped to `organization_id` (its
    /// `organization_id` claim set) carries `scopes`.
    pub fn organization_access_token<S: Into<String>>(
        mut self,
        resource: &str,
        organization_id: &str,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        let granted = self.grantable(scopes);
        self.grant
            .organization_resources
            .insert((resource.to_owned(), organization_id.to_owned()), granted);
        self.prefetch
            .push(TokenRequest::resource(resource).organization_id(organization_id));
        self
    }

    /// How long the session's access tokens live (one hour by default): with
    /// [`TestAuth::advance`], a test sees them refreshed.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        let seconds = lifetime.as_secs() as i64;
        self.grant.access_lifetime = seconds;
        self.grant.id_token_lifetime = seconds;
        for granted in self
            .grant
            .resources
            .values_mut()
            .chain(self.grant.organizations.values_mut())
            .chain(self.grant.organization_resources.values_mut())
        {
            granted.lifetime = seconds;
        }
        self
    }

    fn grantable<S: Into<String>>(&self, scopes: impl IntoIterator<Item = S>) -> Grantable {
        Grantable {
            scopes: scopes.into_iter().map(Into::into).collect(),
            lifetime: self.grant.access_lifetime,
        }
    }

    /// Signs the user in through the client's `/sign-in` and `/callback` and returns
    /// the session.
    ///
    /// # Panics
    ///
    /// When the sign-in fails: the client refused the issuer's answer (a builder
    /// change that breaks sign-in, such as another issuer), with the status and body.
    pub async fn sign_in(self) -> TestSession {
        let auth = self.auth;
        let sub = self.grant.user.sub.clone();
        let sid = self.grant.sid.clone();
        let grant_id = auth.issuer.add_grant(self.grant);
        let mut jar = CookieJar::default();

        let sign_in = auth.call(&mut jar, auth.logto.sign_in_path()).await;
        let location = location(&sign_in)
            .unwrap_or_else(|| failed("the sign-in route did not redirect", sign_in));
        let authorize = url::Url::parse(&location)
            .unwrap_or_else(|e| panic!("logto::testing: a sign-in redirect `{location}`: {e}"));
        let query: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
        let state = query
            .iter()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let code = auth
            .issuer
            .authorize(&grant_id, &query)
            .unwrap_or_else(|| panic!("logto::testing: the authorization request `{location}` is not one the test issuer grants"));
        let callback: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("code", &code)
            .append_pair("state", &state)
            .append_pair("iss", &auth.issuer.url)
            .finish();
        let callback = format!("{}?{callback}", auth.logto.callback_path());
        let done = auth.call(&mut jar, &callback).await;
        if !done.status().is_redirection() {
            failed("the callback refused the sign-in", done);
        }
        for request in &self.prefetch {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            if let Some(resource) = request.resource_indicator() {
                query.append_pair("resource", resource);
            }
            if let Some(organization) = request.organization_indicator() {
                query.append_pair("organization_id", organization);
            }
            let path = format!("{PREFETCH_PATH}?{}", query.finish());
            let fetched = auth.call(&mut jar, &path).await;
            if fetched.status() != StatusCode::OK {
                failed("fetching an access token of the session failed", fetched);
            }
        }
        TestSession {
            cookie: jar.header(),
            sub,
            sid,
            grant: grant_id,
        }
    }

    /// [`sign_in`](Self::sign_in), then the session's `Cookie` header value.
    pub async fn cookie(self) -> String {
        self.sign_in().await.cookie
    }
}

/// A signed-in session: its `Cookie` header, and what identifies it at the issuer.
#[derive(Debug, Clone)]
pub struct TestSession {
    cookie: String,
    pub(super) sub: String,
    pub(super) sid: String,
    pub(super) grant: String,
}

impl TestSession {
    /// The `Cookie` header value that carries the session (the sealed session in
    /// cookie mode, the sealed session id in store mode).
    pub fn cookie(&self) -> &str {
        &self.cookie
    }

    /// The user's `sub`.
    pub fn sub(&self) -> &str {
        &self.sub
    }

    /// The provider session id (`sid` of the ID token), which logout tokens name.
    pub fn sid(&self) -> &str {
        &self.sid
    }
}

/// The cookies of one sign-in, as a browser keeps them.
#[derive(Default)]
pub(super) struct CookieJar(Vec<(String, String)>);

impl CookieJar {
    pub(super) fn header(&self) -> String {
        self.0
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(super) fn keep(&mut self, response: &Response<Body>) {
        for set_cookie in response.headers().get_all(header::SET_COOKIE) {
            let Ok(set_cookie) = set_cookie.to_str() else {
                continue;
            };
            let mut attributes = set_cookie.split(';');
            let Some((name, value)) = attributes.next().and_then(|nv| nv.split_once('=')) else {
                continue;
            };
            let (name, value) = (name.trim().to_owned(), value.trim().to_owned());
            let removed =
                value.is_empty() || attributes.any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            self.0.retain(|(kept, _)| *kept != name);
            if !removed {
                self.0.push((name, value));
            }
        }
    }
}

fn location(response: &Response<Body>) -> Option<String> {
    response
        .headers()
        .get(header::LOCATION)?
        .to_str()
        .ok()
        .map(str::to_owned)
}

fn failed(what: &str, response: Response<Body>) -> ! {
    panic!(
        "logto::testing: {what}: {} (see the `logto::oidc` logs)",
        response.status()
    )
}

#[derive(Deserialize)]
pub(super) struct PrefetchQuery {
    resource: Option<String>,
    organization_id: Option<String>,
}

/// `TestAuth`'s own route: one access token of the session, through the context.
pub(super) async fn prefetch(ctx: Context, Query(query): Query<PrefetchQuery>) -> Response<Body> {
    let request = match (query.resource, query.organization_id) {
        (Some(resource), organization) if !is_organizations_resource(&resource) => {
            let request = TokenRequest::resource(resource);
            match organization {
                Some(organization) => request.organization_id(organization),
                None => request,
            }
        }
        (_, Some(organization)) => TokenRequest::organization(organization),
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    match ctx.token(&request).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(error) => error.into_response(),
    }
}

impl TestAuth {
    /// One request to the client's routes (and the prefetch route), with the jar's
    /// cookies; the jar keeps what the answer sets.
    pub(super) async fn call(&self, jar: &mut CookieJar, path: &str) -> Response<Body> {
        let mut request = Request::get(path);
        let cookies = jar.header();
        if !cookies.is_empty() {
            request = request.header(header::COOKIE, cookies);
        }
        let request = request
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("logto::testing: a request to `{path}`: {e}"));
        let response = match self.router.clone().call(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        jar.keep(&response);
        response
    }
}
