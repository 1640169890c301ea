//! The quickstart with its sessions in PostgreSQL (the table is created on start).
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo run --example postgres_session
//! ```

#[path = "support/app.rs"]
mod app;
#[path = "support/dev.rs"]
mod dev;

#[tokio::main]
async fn main() {
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
