//! The Logto Next.js guide's app, in axum: sign in, see your claims, sign out.
//!
//! ```sh
//! cargo run --example quickstart          # with the bundled test provider
//! LOGTO_ENDPOINT=https://tenant.logto.app LOGTO_APP_ID=... LOGTO_APP_SECRET=... \
//!   LOGTO_BASE_URL=http://localhost:3000 LOGTO_COOKIE_SECRET=... cargo run --example quickstart
//! ```

#[path = "support/dev.rs"]
mod dev;

use axum::{
    Json, Router,
    response::{Html, IntoResponse, Response},
    routing::get,
};
use logto::{AuthRejection, Context};
use serde_json::{Value, json};

/// What this app asks of Logto.
struct Auth;

impl logto::Config for Auth {
    const SCOPES: &'static [&'static str] = &["email", "phone", "custom_data", "urn:logto:scope:organizations", "read", "write"];
    const RESOURCES: &'static [&'static str] = &["https://shopping.example.com/api"];
}

#[tokio::main]
async fn main() {
    if let Err(error) = run().await {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let dev = dev::prepare("quickstart").await?;
    let logto = dev.builder::<Auth>().build().map_err(|e| e.to_string())?;
    let app = Router::new()
        .route("/", get(home))
        .route("/api/profile", get(profile))
        .merge(logto.routes())
        .layer(logto.layer());
    let listener = tokio::net::TcpListener::bind(dev.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e} (set PORT to another port)", dev.addr))?;
    println!("Open http://{} and click Sign In", dev.addr);
    println!("Redirect URI: {}  Post sign-out redirect URI: {}", logto.callback_url(), logto.post_sign_out_redirect_uri());
    axum::serve(listener, app).await.map_err(|e| e.to_string())
}

async fn home(ctx: Context) -> Html<String> {
    let body = match ctx.id_token_claims() {
        None => r#"<p>You are signed out.</p>
<form method="get" action="/sign-in"><button type="submit" id="sign-in">Sign In</button></form>"#
            .to_owned(),
        Some(claims) => {
            let sub = claims.get("sub").and_then(Value::as_str).unwrap_or_default();
            let rows: String = claims
                .iter()
                .map(|(name, value)| format!("<tr><td>{}</td><td>{}</td></tr>", escape(name), escape(&display(value))))
                .collect();
            format!(
                r#"<p id="greeting">Hello, {sub}</p>
<form method="post" action="/sign-out"><button type="submit" id="sign-out">Sign Out</button></form>
<h2>Claims</h2>
<table id="claims"><thead><tr><th>Name</th><th>Value</th></tr></thead><tbody>{rows}</tbody></table>"#,
                sub = escape(sub),
            )
        }
    };
    Html(page(&body))
}

async fn profile(ctx: Context) -> Response {
    match ctx.id_token_claims() {
        Some(claims) => Json(json!({ "claims": claims })).into_response(),
        None => AuthRejection::SignedOut.into_response(),
    }
}

fn display(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
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
