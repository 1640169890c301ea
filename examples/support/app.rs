//! The quickstart's app: the Logto Next.js guide's pages and routes in axum, shared by
//! the examples that differ only in where sessions live.

use std::collections::HashMap;

use axum::{
    Json, Router,
    extract::Query,
    http::StatusCode,
    response::{Html, IntoResponse, Response},
    routing::get,
};
use logto::{
    Claims, Context, Identity, Logto, OrganizationData, OrganizationRole, Rejection, TokenRequest,
    UnixMillis, UserScope,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// What this app asks of Logto; the claims of `User` and `UserInfo` add their scopes.
#[logto::config(
    scopes = [UserScope::Organizations, "read", "write", "read:members"],
    resources = ["https://shopping.example.com/api"],
    claims = [User, UserInfo],
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

/// The guide's "Fetch user information": claims only the userinfo endpoint has. Any
/// field of this kind makes the SDK fetch userinfo once per session and cache it.
#[derive(Claims, Serialize, Debug)]
#[claims(config = Auth)]
pub struct UserInfo {
    pub sub: String,
    pub custom_data: Option<Value>,
    pub identities: Option<HashMap<String, Identity>>,
    pub organization_data: Vec<OrganizationData>,
}

/// What the quickstart turns on beyond the defaults: back-channel logout, so signing
/// out at Logto (in any app), or an admin ending the session there, signs this app out
/// too. `logto.routes()` then serves `POST /backchannel-logout`; register
/// `<LOGTO_BASE_URL>/backchannel-logout` as the application's back-channel logout URI
/// in the Logto console, with "Is session required" on. And the token route,
/// `GET /logto/token`: access tokens for the home page's own script.
pub fn configure(builder: logto::LogtoBuilder) -> logto::LogtoBuilder {
    builder
        .backchannel_logout(logto::BackchannelLogout::new())
        .token_route(true)
}

/// The pages and API routes, with Logto's routes and session layer.
pub fn router(logto: &Logto) -> Router {
    // The home page's script calls the token route when the app enabled it.
    let token_route = logto.token_route_path().map(str::to_owned);
    Router::new()
        .route(
            "/",
            get(move |ctx, info| home(ctx, info, token_route.clone())),
        )
        .route("/api/profile", get(profile))
        .route("/api/userinfo", get(userinfo))
        .route("/api/orders", get(orders))
        .route("/api/access-token", get(access_token))
        .route("/api/organization-token", get(organization_token))
        .merge(logto.routes())
        .fallback(not_found)
        .layer(logto.layer())
}

async fn home(
    ctx: Result<Context<User>, Rejection>,
    info: Result<Option<UserInfo>, Rejection>,
    token_route: Option<String>,
) -> Response {
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
<p class="muted">Sign in with Logto to see who you are, the claims of your ID token and of
the userinfo endpoint, access tokens for an API and your organizations, and an API route
guarded by a scope, called with your session and from the browser with a bearer token.</p>
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
<h2>User information</h2>
<p class="muted">From the userinfo endpoint, read into the <code>UserInfo</code> type: fetched once per
session, then cached. As JSON: <a href="/api/userinfo">/api/userinfo</a>.</p>
{userinfo}
<h2>Tokens</h2>
<ul class="actions">
<li><a id="access-token" class="button" href="/api/access-token">Get access token</a>
<span class="muted">for the API resource <code>{resource}</code></span></li>
{organizations}
</ul>
<h2>Orders</h2>
<p class="muted">A route guarded by <code>#[logto::protected(config = Auth, scope = "read")]</code>: your
session's access token must carry <code>read</code> (otherwise 403), and signed out it answers 401.</p>
<ul class="actions">
<li><a id="orders" class="button" href="/api/orders">Open /api/orders</a>
<span class="muted">with your session</span></li>
{browser_call}
</ul>"#,
                    sub = escape(&user.sub),
                    about = escape(&about.join(" · ")),
                    resource = escape(RESOURCE),
                    userinfo = userinfo_card(info),
                    organizations = organization_actions(&user.organizations),
                    browser_call = browser_call(token_route.as_deref()),
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

/// The userinfo claims as `{"claims": {...}}`, or 401 JSON when signed out.
async fn userinfo(info: UserInfo) -> Json<Value> {
    Json(json!({ "claims": info }))
}

/// The guide's protected API: a session (or a bearer token, as the home page's script
/// sends) whose access token for the API resource carries `read`. Signed out: 401;
/// without `read`: 403 with `WWW-Authenticate: Bearer error="insufficient_scope"`.
#[logto::protected(config = Auth, scope = "read")]
async fn orders() -> Json<Value> {
    Json(json!({
        "orders": [
            { "id": "order_1001", "item": "Rust in Action", "quantity": 1 },
            { "id": "order_1002", "item": "Zero To Production", "quantity": 2 },
        ]
    }))
}

/// The userinfo card: the claims of `UserInfo`, or why they could not be had (the
/// rejection's public words; its details are logged).
fn userinfo_card(info: Result<Option<UserInfo>, Rejection>) -> String {
    let rows = match info {
        Ok(Some(info)) => {
            let claims = serde_json::to_value(info).unwrap_or_default();
            claims
                .as_object()
                .into_iter()
                .flatten()
                .map(|(name, value)| {
                    let value = match value {
                        // Objects and lists of objects as compact JSON.
                        Value::Object(_) | Value::Array(_) if !value_is_flat(value) => {
                            format!("<code>{}</code>", escape(&value.to_string()))
                        }
                        _ => display(name, value),
                    };
                    format!(
                        "<tr><th scope=\"row\">{}</th><td>{value}</td></tr>",
                        escape(name)
                    )
                })
                .collect::<String>()
        }
        Ok(None) => return String::new(),
        Err(rejection) => {
            let detail = rejection.public_message().description().to_owned();
            // Only for its log line: the details (URLs, error chains) go to `tracing`.
            drop(rejection.into_response());
            return format!(
                r#"<section class="card error"><p id="userinfo-error">{}</p></section>"#,
                escape(&detail)
            );
        }
    };
    format!(
        r#"<table id="userinfo"><thead><tr><th>Name</th><th>Value</th></tr></thead><tbody>{rows}</tbody></table>"#
    )
}

/// Whether a claim's value is text or a list of text (shown as `display` shows it).
fn value_is_flat(value: &Value) -> bool {
    match value {
        Value::Array(items) => items
            .iter()
            .all(|item| !item.is_object() && !item.is_array()),
        Value::Object(_) => false,
        _ => true,
    }
}

/// One "Get organization token" action per organization the user belongs to (the
/// `organizations` claim): an organization the user is not in would only answer 403.
fn organization_actions(organizations: &[String]) -> String {
    if organizations.is_empty() {
        return r#"<li id="no-organizations" class="muted">You belong to no organization, so there is no
organization token to get.</li>"#
            .to_owned();
    }
    organizations
        .iter()
        .map(|id| {
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("organization_id", id)
                .finish();
            format!(
                r#"<li><a class="button organization-token" href="/api/organization-token?{query}">Get organization token</a>
<span class="muted">for the organization <code>{id}</code></span></li>"#,
                query = escape(&query),
                id = escape(id),
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The browser's own call: an access token from the token route, then `/api/orders`
/// with it as a bearer and without cookies (`credentials: 'omit'`), so the token alone
/// gets through. Values reach the script through `data-` attributes, never inside it.
fn browser_call(token_route: Option<&str>) -> String {
    let Some(token_route) = token_route else {
        return String::new();
    };
    format!(
        r#"<li><button type="button" id="call-orders" class="secondary" data-token-route="{route}" data-resource="{resource}">Call /api/orders from the browser</button>
<span class="muted">with a token from <code>{route}</code>, no cookies</span>
<pre id="orders-result" class="muted"></pre></li>
<script>
document.getElementById('call-orders').addEventListener('click', async (event) => {{
  const {{ tokenRoute, resource }} = event.currentTarget.dataset;
  const result = document.getElementById('orders-result');
  const show = (status, body) => {{
    result.textContent = `${{status}} ${{JSON.stringify(body, null, 2)}}`;
    result.dataset.status = status;
    result.scrollIntoView({{ block: 'nearest' }});
  }};
  try {{
    const tokenAnswer = await fetch(`${{tokenRoute}}?resource=${{encodeURIComponent(resource)}}`, {{
      headers: {{ 'X-Logto-Token': '1' }},
    }});
    const token = await tokenAnswer.json();
    if (!tokenAnswer.ok) return show(tokenAnswer.status, token);
    const orders = await fetch('/api/orders', {{
      headers: {{ Authorization: `Bearer ${{token.access_token}}` }},
      credentials: 'omit',
    }});
    show(orders.status, await orders.json());
  }} catch (error) {{
    show(0, String(error));
  }}
}});
</script>"#,
        route = escape(token_route),
        resource = escape(RESOURCE),
    )
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
pre {{ white-space: pre-wrap; font-size: .85rem; margin: .5rem 0 0; }}
pre:empty {{ display: none; }}
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
