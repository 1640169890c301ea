//! The quickstart's app: the Logto Next.js guide's pages and routes in axum, shared by
//! the examples that differ only in where sessions live.
#![allow(dead_code)]

use axum::{
    Json, Router,
    extract::Query,
    http::StatusCode,
    response::{Html, IntoResponse, Response},
    routing::get,
};
use logto::{Claims, Context, Logto, OrganizationRole, TokenRequest, UnixMillis, UserScope};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// What this app asks of Logto; the claims of `User` add their scopes.
#[logto::config(
    scopes = [UserScope::Organizations, "read", "write", "read:members"],
    resources = ["https://shopping.example.com/api"],
    claims = [User],
)]
pub struct Auth;

/// The claims the pages show, typed.
#[derive(Claims, Serialize, Debug)]
pub struct User {
    pub sub: String,
    pub name: Option<String>,
    pub username: Option<String>,
    pub picture: Option<String>,
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub created_at: Option<UnixMillis>,
    pub organizations: Vec<String>,
    pub organization_roles: Vec<OrganizationRole>,
}


/// The pages and API routes, with Logto's routes and session layer.
pub fn router(logto: &Logto) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/api/profile", get(profile))
        .route("/api/access-token", get(access_token))
        .route("/api/organization-token", get(organization_token))
        .merge(logto.routes())
        .layer(logto.layer())
}

async fn home(ctx: Context<User>) -> Html<String> {
    let body = match ctx.claims() {
        None => r#"<p>You are signed out.</p>
<form method="get" action="/sign-in"><button type="submit" id="sign-in">Sign In</button></form>"#
            .to_owned(),
        Some(user) => {
            let claims = serde_json::to_value(user).unwrap_or_default();
            let rows: String = claims
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, value)| format!("<tr><td>{}</td><td>{}</td></tr>", escape(name), escape(&display(value))))
                .collect();
            let organization = user.organizations.first().map(String::as_str).unwrap_or("org_acme");
            format!(
                r#"<p id="greeting">Hello, {sub}</p>
<form method="post" action="/sign-out"><button type="submit" id="sign-out">Sign Out</button></form>
<h2>Claims</h2>
<table id="claims"><thead><tr><th>Name</th><th>Value</th></tr></thead><tbody>{rows}</tbody></table>
<h2>Tokens</h2>
<p><a id="access-token" href="/api/access-token">Get access token</a> ·
<a id="organization-token" href="/api/organization-token?organization_id={organization}">Get organization token</a></p>"#,
                sub = escape(&user.sub),
                organization = escape(organization),
            )
        }
    };
    Html(page(&body))
}

/// `{"claims": {...}}`, or 401 JSON when signed out (the extractor's rejection).
async fn profile(user: User) -> Json<Value> {
    Json(json!({ "claims": user }))
}

/// The API resource this app calls: the bundled provider knows it; with a real tenant,
/// create an API resource with this indicator in the console.
const RESOURCE: &str = <Auth as logto::Config>::RESOURCES[0];

#[derive(Deserialize)]
struct AccessTokenQuery {
    #[serde(default)]
    force_refresh: bool,
}

async fn access_token(ctx: Context, Query(query): Query<AccessTokenQuery>) -> Response {
    let request = TokenRequest::resource(RESOURCE).force_refresh(query.force_refresh);
    match ctx.token(&request).await {
        Ok(token) => Json(json!({
            "resource": RESOURCE,
            "access_token": token.as_str(),
            "scopes": token.scopes(),
        }))
        .into_response(),
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize)]
struct OrganizationQuery {
    organization_id: Option<String>,
}

async fn organization_token(ctx: Context, Query(query): Query<OrganizationQuery>) -> Response {
    if !ctx.is_authenticated() {
        return logto::AuthRejection::SignedOut.into_response();
    }
    let Some(organization_id) = query.organization_id.filter(|id| !id.is_empty()) else {
        let body = json!({"error": "invalid_request", "error_description": "organization_id is required"});
        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
    };
    match ctx.organization_token(&organization_id).await {
        Ok(token) => Json(json!({
            "organization_id": organization_id,
            "access_token": token.as_str(),
            "scopes": token.scopes(),
        }))
        .into_response(),
        Err(error) => error.into_response(),
    }
}

fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn page(body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Logto quickstart</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 48rem; margin: 3rem auto; padding: 0 1rem; color: #1f2328; }}
button {{ font: inherit; padding: .4rem 1rem; border-radius: 6px; border: 1px solid #5d34f2; background: #5d34f2; color: white; cursor: pointer; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ text-align: left; border-bottom: 1px solid #ddd; padding: .3rem .5rem; vertical-align: top; word-break: break-all; }}
</style></head><body><h1>Logto quickstart</h1>{body}</body></html>"#
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
