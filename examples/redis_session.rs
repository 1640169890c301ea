//! The quickstart with its sessions in Redis: the cookie carries only an encrypted
//! session id, so any number of instances behind a load balancer share sessions (and
//! refresh a session's tokens one instance at a time).
//!
//! ```sh
//! REDIS_URL=redis://127.0.0.1:6379 cargo run --example redis_session
//! PORT=3001 cargo run --example redis_session   # a second instance
//! # a Redis Cluster or Valkey cluster, through any of its nodes:
//! REDIS_CLUSTER_URLS=redis://127.0.0.1:7000,redis://127.0.0.1:7001 cargo run --example redis_session
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
    let dev = dev::prepare("redis-session").await?;
    let prefix = std::env::var("REDIS_PREFIX").unwrap_or_else(|_| "logto:".into());
    let store = match std::env::var("REDIS_CLUSTER_URLS") {
        Ok(urls) => logto::RedisStore::connect_cluster(urls.split(','), prefix)
            .await
            .map_err(|e| format!("REDIS_CLUSTER_URLS: {e}"))?,
        Err(_) => {
            let url =
                std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
            logto::RedisStore::connect(&url, prefix)
                .await
                .map_err(|e| format!("REDIS_URL: {e} (start Redis, or point REDIS_URL at it)"))?
        }
    };
    let logto = app::configure(dev.builder::<app::Auth>())
        .session_store(store)
        .build()
        .map_err(|e| e.to_string())?;
    dev.serve(app::router(&logto), &logto).await
}
