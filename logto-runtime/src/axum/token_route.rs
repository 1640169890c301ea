//! `GET /logto/token`: the session's access tokens for the app's own browser code,
//! which never sees the refresh token. Opt-in
//! ([`LogtoBuilder::token_route`](crate::LogtoBuilder::token_route)).
//!
//! The route hands out bearer tokens on the strength of a cookie, so it must answer
//! the app's own pages only. Three checks, any of which refuses with 403:
//! - `X-Logto-Token: 1` is required. A cross-site form, link, image or script cannot
//!   send a header, and a cross-origin `fetch` that sends one needs a CORS preflight,
//!   which this route never grants (an `OPTIONS` is 405 without CORS headers).
//! - `Sec-Fetch-Site`, when the browser sends it, must be `same-origin`: `same-site`
//!   (a sibling subdomain, which shares cookies but is not this app) is refused too.
//! - `Origin`, when sent, must be the base URL's origin (`null` is refused).
//!
//! A header sent twice is refused rather than guessed at. Every answer carries
//! `Cache-Control: no-store` (and `Pragma: no-cache` for HTTP/1.0 caches), as the
//! token endpoint of RFC 6749 §5.1 does, and `X-Content-Type-Options: nosniff`. The
//! route never redirects.

use axum::{
    Json,
    extract::Request,
    response::{IntoResponse, Response},
};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde_json::json;

use super::{
    layer::RequestLogto,
    rejection::{Rejection, json_error},
};
use crate::{
    config::{ORGANIZATIONS_RESOURCE, UserScope},
    context,
    error::PublicMessage,
    settings::Settings,
    tokens::TokenRequest,
};

/// The header the app's scripts send; lowercase, as `http` stores header names.
const TOKEN_HEADER: &str = "x-logto-token";

/// Why the route refused a request before looking at the session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum Refusal {
    #[error("the request is not a GET")]
    Method,
    #[error("no `X-Logto-Token: 1` header (or more than one)")]
    MissingHeader,
    #[error("`Sec-Fetch-Site` is not `same-origin` (or sent more than once)")]
    CrossSite,
    #[error("`Origin` is not the app's (or sent more than once)")]
    ForeignOrigin,
    #[error("the query is malformed: {0}")]
    Query(&'static str),
    #[error("the resource is not one of the config's API resources")]
    UnknownResource,
    #[error("the organization id has characters or a length no organization id has")]
    InvalidOrganizationId,
    #[error("the config does not request organization tokens")]
    OrganizationsNotRequested,
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Self::Method => StatusCode::METHOD_NOT_ALLOWED,
            Self::MissingHeader | Self::CrossSite | Self::ForeignOrigin => StatusCode::FORBIDDEN,
            Self::Query(_)
            | Self::UnknownResource
            | Self::InvalidOrganizationId
            | Self::OrganizationsNotRequested => StatusCode::BAD_REQUEST,
        }
    }

    /// The words a client gets: the rule it broke, never what it sent.
    fn public_message(&self) -> PublicMessage {
        let denied = |description| PublicMessage::fixed("access_denied", description);
        let invalid = |description| PublicMessage::fixed("invalid_request", description);
        match self {
            Self::Method => invalid("the token route answers GET only"),
            Self::MissingHeader => denied(
                "the token route answers the app's own scripts only: send `X-Logto-Token: 1` from a page of this app",
            ),
            Self::CrossSite | Self::ForeignOrigin => {
                denied("the token request came from another site")
            }
            Self::Query(why) => invalid(why),
            Self::UnknownResource => {
                invalid("the resource is not one this app serves access tokens for")
            }
            Self::InvalidOrganizationId => invalid("the organization id is malformed"),
            Self::OrganizationsNotRequested => {
                invalid("this app does not serve organization tokens")
            }
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        // A request from another site is worth a line; a malformed one is the
        // calling script's bug.
        if self.status() == StatusCode::FORBIDDEN {
            tracing::info!(target: "logto::tokens", refusal = %self, "token route refused a request");
        } else {
            tracing::debug!(target: "logto::tokens", refusal = %self, "token route refused a request");
        }
        let mut response = json_error(self.status(), &self.public_message());
        if self == Self::Method {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET"));
        }
        response
    }
}

/// The route's handler: any method, so that every answer (a 405 too) is `no-store`.
pub(super) async fn token_route(request: Request) -> Response {
    let mut response = answer(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    // A token is never to be read as anything but JSON (a `<script src>` of it, say).
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn answer(request: Request) -> Response {
    if request.method() != Method::GET {
        return Refusal::Method.into_response();
    }
    let Some(RequestLogto { logto, handle }) = request.extensions().get::<RequestLogto>().cloned()
    else {
        return Rejection::MissingLayer.into_response();
    };
    let inner = &logto.inner;
    let token_request = match same_origin(request.headers(), &inner.settings.base_url)
        .and_then(|()| token_request(request.uri().query(), &inner.settings))
    {
        Ok(token_request) => token_request,
        Err(refusal) => return refusal.into_response(),
    };
    match context::access_token(&inner.session_env(), &handle, &token_request).await {
        Ok(token) => Json(json!({
            "access_token": token.as_str(),
            "expires_at": token.expires_at,
            "scopes": token.scopes(),
        }))
        .into_response(),
        // 401 signed out, 403 refused by the provider, 503 store, 502/503/504 provider.
        Err(error) => error.into_response(),
    }
}

/// The only value of a header; `Err` when it is sent more than once.
fn only<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a HeaderValue>, ()> {
    let mut values = headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (first, None) => Ok(first),
        (Some(_), Some(_)) | (None, Some(_)) => Err(()),
    }
}

/// The checks of the module's docs, in order.
fn same_origin(headers: &HeaderMap, base: &url::Url) -> Result<(), Refusal> {
    match only(headers, TOKEN_HEADER) {
        Ok(Some(value)) if value.as_bytes() == b"1" => {}
        _ => return Err(Refusal::MissingHeader),
    }
    match only(headers, "sec-fetch-site") {
        Ok(None) => {}
        Ok(Some(site)) if site.as_bytes() == b"same-origin" => {}
        _ => return Err(Refusal::CrossSite),
    }
    match only(headers, header::ORIGIN.as_str()) {
        Ok(None) => Ok(()),
        Ok(Some(origin)) if origin.as_bytes() == base.origin().ascii_serialization().as_bytes() => {
            Ok(())
        }
        _ => Err(Refusal::ForeignOrigin),
    }
}

/// The token the query asks for, if the config can get it. Unknown parameters are
/// ignored (a cache-busting `_=`, say); `resource` and `organization_id` count once.
fn token_request(query: Option<&str>, settings: &Settings) -> Result<TokenRequest, Refusal> {
    let mut resource = None;
    let mut organization_id = None;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let slot = match &*name {
            "resource" => &mut resource,
            "organization_id" => &mut organization_id,
            _ => continue,
        };
        if slot.is_some() {
            return Err(Refusal::Query(
                "`resource` and `organization_id` may each be given once",
            ));
        }
        if value.is_empty() {
            return Err(Refusal::Query(
                "`resource` and `organization_id` must not be empty",
            ));
        }
        *slot = Some(value.into_owned());
    }
    if let Some(resource) = &resource
        // Exactly a configured indicator: never a prefix, a case variant or the
        // reserved organizations resource (its tokens carry every organization's
        // permissions).
        && (resource == ORGANIZATIONS_RESOURCE || !settings.knows_resource(resource))
    {
        return Err(Refusal::UnknownResource);
    }
    if let Some(organization_id) = &organization_id {
        if !crate::tokens::is_organization_id(organization_id) {
            return Err(Refusal::InvalidOrganizationId);
        }
        let organizations = UserScope::Organizations.as_str();
        if !settings.scopes.iter().any(|s| s == organizations) {
            return Err(Refusal::OrganizationsNotRequested);
        }
    }
    match (resource, organization_id) {
        (Some(resource), None) => Ok(TokenRequest::resource(resource)),
        (Some(resource), Some(org)) => Ok(TokenRequest::resource(resource).organization_id(org)),
        (None, Some(org)) => Ok(TokenRequest::organization(org)),
        (None, None) => Err(Refusal::Query(
            "name a `resource`, an `organization_id`, or both",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::tests::builder;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    const BASE: &str = "http://127.0.0.1:3000";

    fn check(pairs: &[(&str, &str)]) -> Result<(), Refusal> {
        same_origin(&headers(pairs), &url::Url::parse(BASE).unwrap())
    }

    #[test]
    fn the_header_is_required_once_and_exactly_one() {
        assert_eq!(check(&[]), Err(Refusal::MissingHeader));
        assert_eq!(check(&[("X-Logto-Token", "1")]), Ok(()));
        assert_eq!(
            check(&[("x-LOGTO-token", "1")]),
            Ok(()),
            "names ignore case"
        );
        for value in ["0", "true", " 1", "1, 1", ""] {
            assert_eq!(
                check(&[("x-logto-token", value)]),
                Err(Refusal::MissingHeader),
                "{value:?}"
            );
        }
        assert_eq!(
            check(&[("x-logto-token", "1"), ("X-Logto-Token", "1")]),
            Err(Refusal::MissingHeader),
            "twice"
        );
    }

    #[test]
    fn fetch_metadata_and_origin_must_be_ours_when_sent() {
        let token = ("x-logto-token", "1");
        assert_eq!(check(&[token, ("sec-fetch-site", "same-origin")]), Ok(()));
        for site in ["same-site", "cross-site", "none", "Same-Origin", ""] {
            assert_eq!(
                check(&[token, ("sec-fetch-site", site)]),
                Err(Refusal::CrossSite),
                "{site:?}"
            );
        }
        assert_eq!(
            check(&[
                token,
                ("sec-fetch-site", "same-origin"),
                ("sec-fetch-site", "cross-site")
            ]),
            Err(Refusal::CrossSite)
        );
        assert_eq!(check(&[token, ("origin", BASE)]), Ok(()));
        for origin in [
            "null",
            "http://127.0.0.1:3001",
            "https://127.0.0.1:3000",
            "http://127.0.0.1:3000/",
            "http://127.0.0.1:3000.evil.example",
            "HTTP://127.0.0.1:3000",
            "",
        ] {
            assert_eq!(
                check(&[token, ("origin", origin)]),
                Err(Refusal::ForeignOrigin),
                "{origin:?}"
            );
        }
        assert_eq!(
            check(&[token, ("origin", BASE), ("origin", "http://evil.example")]),
            Err(Refusal::ForeignOrigin)
        );
    }

    #[test]
    fn only_configured_resources_and_plain_organization_ids() {
        let settings = builder().validate().unwrap();
        let request = |query: &str| token_request(Some(query), &settings);
        let api = "https://api.example.com";
        assert_eq!(
            request("resource=https%3A%2F%2Fapi.example.com"),
            Ok(TokenRequest::resource(api))
        );
        assert_eq!(
            request("resource=https://api.example.com&organization_id=org_1&_=5"),
            Ok(TokenRequest::resource(api).organization_id("org_1"))
        );
        assert_eq!(
            request("organization_id=org_1"),
            Ok(TokenRequest::organization("org_1"))
        );
        for query in [
            "resource=https://api.example.co",
            "resource=https://api.example.com/",
            "resource=https://api.example.comm",
            "resource=HTTPS://API.EXAMPLE.COM",
            "resource=urn:logto:resource:organizations",
        ] {
            assert_eq!(request(query), Err(Refusal::UnknownResource), "{query}");
        }
        let long = format!(
            "organization_id={}",
            "a".repeat(crate::tokens::MAX_ORGANIZATION_ID_LEN + 1)
        );
        for query in [
            "organization_id=org%20acme",
            "organization_id=org_acme%23x",
            "organization_id=..%2Forg",
            "organization_id=org%0Aacme",
            "organization_id=%C3%A9",
            long.as_str(),
        ] {
            assert_eq!(
                request(query),
                Err(Refusal::InvalidOrganizationId),
                "{query}"
            );
        }
        for query in [
            "",
            "resource=",
            "organization_id=",
            "resource=https://api.example.com&resource=https://api.example.com",
            "organization_id=a&organization_id=b",
        ] {
            assert!(
                matches!(request(query), Err(Refusal::Query(_))),
                "{query}: {:?}",
                request(query)
            );
        }
        assert!(token_request(None, &settings).is_err());
    }

    #[test]
    fn organization_tokens_need_the_organizations_scope() {
        struct NoOrganizations;
        impl crate::Config for NoOrganizations {
            const SCOPES: &'static [&'static str] = &["read"];
            const RESOURCES: &'static [&'static str] = &["https://api.example.com"];
        }
        let settings = crate::settings::LogtoBuilder::new::<NoOrganizations>()
            .endpoint("http://127.0.0.2:3001")
            .app_id("app")
            .app_secret("secret")
            .base_url(BASE)
            .cookie_secret("0123456789abcdef0123456789abcdef")
            .validate()
            .unwrap();
        assert_eq!(
            token_request(Some("organization_id=org_1"), &settings),
            Err(Refusal::OrganizationsNotRequested)
        );
    }

    #[test]
    fn refusals_are_the_clients_4xx_with_stable_codes() {
        for refusal in [
            Refusal::Method,
            Refusal::MissingHeader,
            Refusal::CrossSite,
            Refusal::ForeignOrigin,
            Refusal::UnknownResource,
            Refusal::InvalidOrganizationId,
            Refusal::OrganizationsNotRequested,
        ] {
            let message = refusal.public_message();
            assert!(
                ["access_denied", "invalid_request"].contains(&message.code()),
                "{refusal:?}"
            );
            assert_eq!(
                refusal.status().as_u16() / 100,
                4,
                "{refusal:?} is the client's"
            );
        }
    }
}
