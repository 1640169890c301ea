//! A resource server for the quickstart's API resource, as in the guide's two-app
//! setup: the quickstart signs users in and gets access tokens, this API accepts them.
//! Bearer tokens only (no cookies, no app id or secret): `GET /api/products` needs the
//! `read` scope, `POST /api/products` needs `write`.
//!
//! ```sh
//! cargo run --example api_server               # with the bundled test provider
//! LOGTO_ENDPOINT=https://tenant.logto.app PORT=3001 cargo run --example api_server
//! ```
//!
//! With the bundled provider it prints the command that runs the quickstart against
//! the same provider; sign in there as `demo`, open `/api/access-token`, then
//! `curl -H "Authorization: Bearer <access_token>" http://127.0.0.1:3001/api/products`.

use logto_examples::api;
use logto_examples::dev;

use std::net::SocketAddr;

use logto::BearerVerifier;

#[tokio::main]
async fn main() {
    // The SDK's own warnings (a refused callback, a failed revocation, a store that is
    // down) go to `tracing` under the `logto::*` targets the README lists; `RUST_LOG`
    // picks what shows (`RUST_LOG=info,logto=debug`); without it, the SDK's `info`
    // and everyone's warnings.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,logto=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(error) = run().await {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let port = match std::env::var("PORT") {
        Ok(port) => port
            .parse::<u16>()
            .map_err(|_| format!("PORT: `{port}` is not a port number"))?,
        Err(_) => 3001,
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    // Kept alive while the server runs.
    let mut _provider = None;
    let verifier = if std::env::var_os("LOGTO_ENDPOINT").is_some() {
        BearerVerifier::from_env::<api::Api>().map_err(|e| e.to_string())?
    } else {
        let provider = bundled_provider().await?;
        let verifier = BearerVerifier::builder::<api::Api>()
            .endpoint(&provider.endpoint)
            .build()
            .map_err(|e| e.to_string())?;
        _provider = Some(provider);
        verifier
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e} (set PORT to another port)"))?;
    println!(
        "API for {} listening on http://{addr}/api/products (issuer {})",
        api::RESOURCE,
        verifier.issuer()
    );
    axum::serve(listener, api::router(&verifier))
        .await
        .map_err(|e| e.to_string())
}

/// Starts `tests/idp/` and registers the quickstart with it, so both examples share a
/// provider on a fresh clone.
async fn bundled_provider() -> Result<logto_test_support::Idp, String> {
    let quickstart = "http://127.0.0.1:3000";
    let (provider, secret) = dev::start_bundled_provider("quickstart", quickstart).await?;
    println!(
        "Run the quickstart against it in another terminal, sign in as `demo` / `demo-password`:"
    );
    println!(
        "  LOGTO_ENDPOINT={} LOGTO_APP_ID=quickstart LOGTO_APP_SECRET={secret} LOGTO_BASE_URL={quickstart} \
         LOGTO_COOKIE_SECRET={} cargo run --example quickstart",
        provider.endpoint,
        dev::random_secret()
    );
    println!("then take the token from {quickstart}/api/access-token to this API.");
    Ok(provider)
}
