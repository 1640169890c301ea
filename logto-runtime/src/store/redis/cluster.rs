//! Connecting to a Redis Cluster or Valkey cluster with the `redis` crate's async
//! cluster client: it follows `MOVED` and `ASK`, and after a failover learns the new
//! primary from the cluster itself.

use std::time::Duration;

use redis::cluster::ClusterClient;

use super::{ATTEMPT_TIMEOUT, CONNECT_TIMEOUT, Connection, Keys, RedisStore};
use crate::store::{StoreError, address};

/// Redirections and failed attempts are retried this many times within one call...
const RETRIES: u32 = 12;
/// ...waiting between 20 ms and this long, doubling: a primary that dies is replaced
/// within `cluster-node-timeout` and an election (a few seconds), and the runtime's
/// store timeout (2 s by default) ends the call first, as a clean 503, when the
/// failover takes longer.
const MAX_RETRY_WAIT: Duration = Duration::from_millis(400);
const MIN_RETRY_WAIT: Duration = Duration::from_millis(20);

impl RedisStore {
    /// Connects to a Redis Cluster or Valkey cluster through any of its nodes: `urls`
    /// are seed nodes (`redis://[user[:password]@]host:port`, or `rediss://` for TLS;
    /// one reachable node is enough, the client learns the rest from it). Every key
    /// starts with `prefix`, which may not hold a brace (it would be the hash tag of
    /// every key: one slot, one node).
    ///
    /// Key names differ from a single node's (`<prefix>session:{<id>}`): a cluster is
    /// a new server, so its users sign in once. Each call follows `MOVED`/`ASK`
    /// redirections and, after a primary fails, reaches the replica promoted in its
    /// place; until then it fails within the store timeout as 503
    /// `session_store_unavailable`. Errors name the seed nodes without their passwords,
    /// as [`connect`](Self::connect)'s do.
    ///
    /// Needs the `redis-cluster` feature of `logto`:
    ///
    /// ```no_run
    /// #[logto::config]
    /// pub struct Auth;
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// // REDIS_CLUSTER_URLS=redis://:pw@10.0.0.1:6379,redis://:pw@10.0.0.2:6379
    /// let urls = std::env::var("REDIS_CLUSTER_URLS")?;
    /// let store = logto::RedisStore::connect_cluster(urls.split(','), "myapp:").await?;
    /// let logto = logto::Logto::builder::<Auth>()
    ///     .from_env()
    ///     .session_store(store)
    ///     .build()?;
    /// # let _ = logto; Ok(()) }
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "redis-cluster")))]
    pub async fn connect_cluster<I>(urls: I, prefix: impl Into<String>) -> Result<Self, StoreError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let urls: Vec<String> = urls
            .into_iter()
            .map(|url| url.as_ref().trim().to_owned())
            .filter(|url| !url.is_empty())
            .collect();
        let address = urls
            .iter()
            .map(|url| address::redacted(url))
            .collect::<Vec<_>>()
            .join(",");
        let connect_error = |reason: String| StoreError::Connect {
            address: address.clone(),
            reason,
        };
        if urls.is_empty() {
            return Err(connect_error("no cluster node given".into()));
        }
        let keys = Keys::tagged(prefix.into()).map_err(connect_error)?;
        let client = ClusterClient::builder(urls.iter().map(String::as_str))
            .connection_timeout(ATTEMPT_TIMEOUT)
            .response_timeout(ATTEMPT_TIMEOUT)
            // The whole call (retries and redirections included) is bounded by the
            // runtime's store timeout, not by one attempt's.
            .overall_response_timeout(None)
            .retries(RETRIES)
            .min_retry_wait(MIN_RETRY_WAIT.as_millis() as u64)
            .max_retry_wait(MAX_RETRY_WAIT.as_millis() as u64)
            .retry_wait_formula(MIN_RETRY_WAIT.as_millis() as u64, 2)
            .build()
            .map_err(|e| connect_error(e.to_string()))?;
        let connection = tokio::time::timeout(CONNECT_TIMEOUT, client.get_async_connection())
            .await
            .map_err(|_| connect_error(format!("no answer within {CONNECT_TIMEOUT:?}")))?
            .map_err(|e| connect_error(e.to_string()))?;
        tracing::info!(target: "logto::store", %address, "sessions are kept in a Redis cluster");
        Ok(Self::with(Connection::Cluster(connection), address, keys))
    }
}
