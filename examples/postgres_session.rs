//! The quickstart with its sessions in PostgreSQL (the table is created on start).
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo run --example postgres_session
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
    let dev = dev::prepare("postgres-session").await?;
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = std::env::var("DATABASE_SCHEMA").unwrap_or_else(|_| "public".into());
    let store = logto::PostgresStore::connect(&url, &schema)
        .await
        .map_err(|e| {
            format!("DATABASE_URL: {e} (start PostgreSQL, or point DATABASE_URL at it)")
        })?;
    let logto = app::configure(dev.builder::<app::Auth>())
        .session_store(store)
        .build()
        .map_err(|e| e.to_string())?;
    dev.serve(app::router(&logto), &logto).await
}
