//! The Logto Next.js guide's app, in axum: sign in, see your claims (from the ID token
//! and from the userinfo endpoint), get access tokens for an API resource and your
//! organizations, call a route guarded by `#[logto::protected]` with your session and,
//! from the page's script, with a bearer token from the token route; sign out.
//!
//! ```sh
//! cargo run --example quickstart          # with the bundled test provider
//! LOGTO_ENDPOINT=https://tenant.logto.app LOGTO_APP_ID=... LOGTO_APP_SECRET=... \
//!   LOGTO_BASE_URL=http://localhost:3000 LOGTO_COOKIE_SECRET=... cargo run --example quickstart
//! ```

use logto_examples::app;
use logto_examples::dev;

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
    dev::exit_on_error(run().await);
}

async fn run() -> Result<(), String> {
    let dev = dev::prepare("quickstart").await?;
    let logto = app::configure(dev.builder::<app::Auth>())
        .build()
        .map_err(|e| e.to_string())?;
    dev.serve(app::router(&logto), &logto).await
}
