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
#[claims(config = Auth)]
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

/// What the quickstart turns on beyond the defaults: back-channel logout, so signing
/// out at Logto (in any app), or an admin ending the session there, signs this app out
/// too. `logto.routes()` then serves `POST /backchannel-logout`; register
/// `<LOGTO_BASE_URL>/backchannel-logout` as the application's back-channel logout URI
/// in the Logto console, with "Is session required" on.
pub fn configure(builder: logto::LogtoBuilder) -> logto::LogtoBuilder {
    builder.backchannel_logout(logto::BackchannelLogout::new())
}

/// The pages and API routes, with Logto's routes and session layer.
pub fn router(logto: &Logto) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/api/profile", get(profile))
        .route("/api/access-token", get(access_token))
        .route("/api/organization-token", get(organization_token))
        .merge(logto.routes())
        .fallback(not_found)
        .layer(logto.layer())
}

async fn home(ctx: Result<Context<User>, logto::Rejection>) -> Response {
    let ctx = match ctx {
        Ok(ctx) => ctx,
        // Claims the provider sent that `User` cannot read, a missing layer, ...: a
        // page that says so, not a JSON body in the browser. Its words are the public
        // ones; the details (URLs, error chains) are logged by `into_response`.
        Err(rejection) => {
            let detail = rejection.public_message().description().to_owned();
            let status = rejection.into_response().status();
            return error_page(status, "Cannot show your profile", &detail);
        }
    };
    let body = match ctx.claims() {
        None => page(
            false,
            r#"<section class="card">
<p class="lead">You are signed out.</p>
<p class="muted">Sign in with Logto to see who you are, the claims of your ID token, and
access tokens for an API and an organization.</p>
<form method="get" action="/sign-in"><button type="submit" id="sign-in">Sign In</button></form>
</section>"#,
        ),
        Some(user) => {
            let claims = serde_json::to_value(user).unwrap_or_default();
            let rows: String = claims
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, value)| {
                    format!(
                        "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                        escape(name),
                        display(name, value)
                    )
                })
                .collect();
            let organization = user
                .organizations
                .first()
                .map(String::as_str)
                .unwrap_or("org_acme");
            let about: Vec<&str> = [user.name.as_deref(), user.email.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            page(
                true,
                &format!(
                    r#"<section class="card row">
<div><p class="lead" id="greeting">Hello, {sub}</p><p class="muted">{about}</p></div>
<form method="post" action="/sign-out"><button type="submit" id="sign-out" class="secondary">Sign Out</button></form>
</section>
<h2>Claims</h2>
<p class="muted">From your ID token, read into the <code>User</code> type by <code>#[derive(Claims)]</code>.
As JSON: <a href="/api/profile">/api/profile</a>.</p>
<table id="claims"><thead><tr><th>Name</th><th>Value</th></tr></thead><tbody>{rows}</tbody></table>
<h2>Tokens</h2>
<ul class="actions">
<li><a id="access-token" class="button" href="/api/access-token">Get access token</a>
<span class="muted">for the API resource <code>{resource}</code></span></li>
<li><a id="organization-token" class="button" href="/api/organization-token?organization_id={organization}">Get organization token</a>
<span class="muted">for the organization <code>{organization}</code></span></li>
</ul>"#,
                    sub = escape(&user.sub),
                    about = escape(&about.join(" · ")),
                    resource = escape(RESOURCE),
                    organization = escape(organization),
                ),
            )
        }
    };
    Html(body).into_response()
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
        return logto::Rejection::SignedOut.into_response();
    }
    let Some(organization_id) = query.organization_id.filter(|id| !id.is_empty()) else {
        let body =
            json!({"error": "invalid_request", "error_description": "organization_id is required"});
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

/// A claim's value as HTML: text as it is, lists one item each, Logto's millisecond
/// timestamps as a date too, unset claims as a dash.
fn display(name: &str, value: &Value) -> String {
    match value {
        Value::String(s) => escape(s),
        Value::Null => r#"<span class="muted">—</span>"#.to_owned(),
        Value::Array(items) if items.is_empty() => r#"<span class="muted">none</span>"#.to_owned(),
        Value::Array(items) => items
            .iter()
            .map(|item| format!("<code>{}</code>", display(name, item)))
            .collect::<Vec<_>>()
            .join(" "),
        Value::Number(n) if name.ends_with("_at") => match n.as_i64().and_then(utc) {
            Some(date) => format!(r#"{} <span class="muted">({n})</span>"#, escape(&date)),
            None => n.to_string(),
        },
        other => escape(&other.to_string()),
    }
}

/// `YYYY-MM-DD hh:mm:ss UTC` for milliseconds since the epoch.
fn utc(millis: i64) -> Option<String> {
    let seconds = millis.div_euclid(1000);
    let (days, time) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Days to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (0..=9999).contains(&year).then(|| {
        format!(
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
            time / 3600,
            time % 3600 / 60,
            time % 60
        )
    })
}

/// A page for what the browser should not see as a bare status: unknown paths.
async fn not_found() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is nothing at this address.",
    )
}

fn error_page(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = format!(
        r#"<section class="card error"><p class="lead">{title}</p><p id="reason">{detail}</p>
<p><a href="/">Back to the home page</a></p></section>"#,
        title = escape(title),
        detail = escape(detail),
    );
    (status, Html(page_with_title(None, title, &body))).into_response()
}

fn page(signed_in: bool, body: &str) -> String {
    page_with_title(Some(signed_in), "Logto quickstart", body)
}

/// The layout: a header with the sign-in state, then `body`.
fn page_with_title(signed_in: Option<bool>, title: &str, body: &str) -> String {
    let state = match signed_in {
        Some(true) => r#"<span class="pill on">Signed in</span>"#,
        Some(false) => r#"<span class="pill">Signed out</span>"#,
        None => "",
    };
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>
:root {{ --accent: #5d34f2; --muted: #59636e; --line: #e4e6eb; }}
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 0 auto; padding: 0 1.25rem 3rem; color: #1f2328; }}
header {{ display: flex; align-items: center; justify-content: space-between; padding: 1.25rem 0; border-bottom: 1px solid var(--line); margin-bottom: 1.5rem; }}
header a {{ color: inherit; text-decoration: none; font-weight: 600; font-size: 1.15rem; }}
.pill {{ font-size: .8rem; padding: .15rem .6rem; border-radius: 999px; background: #eef0f3; color: var(--muted); }}
.pill.on {{ background: #e6f4ea; color: #1a7f37; }}
.card {{ border: 1px solid var(--line); border-radius: 10px; padding: 1.25rem 1.5rem; }}
.card.row {{ display: flex; align-items: center; justify-content: space-between; gap: 1rem; }}
.card p {{ margin: .25rem 0; }}
.card.error {{ border-color: #f1c1c1; background: #fff8f8; }}
.lead {{ font-size: 1.3rem; font-weight: 600; }}
.muted {{ color: var(--muted); }}
h2 {{ font-size: 1.1rem; margin: 2rem 0 .25rem; }}
h2 + p {{ margin-top: 0; font-size: .9rem; }}
button, .button {{ font: inherit; display: inline-block; padding: .45rem 1.1rem; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: white; cursor: pointer; text-decoration: none; }}
button.secondary, .button {{ background: white; color: var(--accent); }}
button:hover, .button:hover {{ filter: brightness(.95); }}
form {{ margin: .75rem 0 0; }} .card.row form {{ margin: 0; }}
table {{ border-collapse: collapse; width: 100%; font-size: .95rem; }}
td, th {{ text-align: left; border-bottom: 1px solid var(--line); padding: .4rem .5rem; vertical-align: top; overflow-wrap: anywhere; }}
thead th {{ color: var(--muted); font-weight: 500; font-size: .85rem; }}
tbody th {{ font-weight: 500; white-space: nowrap; width: 12rem; }}
code {{ font-family: ui-monospace, monospace; font-size: .85em; background: #f3f4f6; padding: .1rem .35rem; border-radius: 4px; }}
ul.actions {{ list-style: none; padding: 0; margin: .75rem 0; }}
ul.actions li {{ margin: .6rem 0; }}
</style></head><body><header><a href="/">Logto quickstart</a>{state}</header>
{body}
</body></html>"#,
        title = escape(title),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
