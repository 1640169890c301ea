//! Sessions in Redis: one node through the `redis` crate's connection manager (it
//! reconnects by itself once the server is back), or a Redis Cluster / Valkey cluster
//! through its cluster client (`cluster.rs`, the `redis-cluster` feature).

#[cfg(feature = "redis-cluster")]
mod cluster;
mod keys;
mod scripts;

use std::time::Duration;

use redis::{FromRedisValue, RedisResult, aio::ConnectionManager};

use self::{keys::Keys, scripts::Lua};
use super::{
    Expect, LockToken, LogoutTarget, Record, Revocation, SessionStore, StoreError, StoreFuture,
    address, unix_now,
};

/// Sessions in Redis, on one node ([`connect`](Self::connect)) or in a Redis Cluster or
/// Valkey cluster (`connect_cluster`, with the `redis-cluster` feature). One type for
/// both: the app's code, and the types it stores, stay the same when its Redis grows
/// into a cluster; only the line that connects changes.
///
/// On one node, sessions live under `<prefix>session:<id>` and locks under
/// `<prefix>lock:<key>`, the names of the first release. In a cluster, the part a
/// record belongs to is a hash tag: `<prefix>session:{<id>}`, and the session's refresh
/// lock `<prefix>lock:refresh:{<id>}` in the same slot. Every script touches one key,
/// so it runs on one node.
///
/// Back-channel logout keeps, per provider session and per user, the set of session
/// ids under `<prefix>logout:{sid:<sid>}` and `<prefix>logout:{sub:<sub>}` (in both
/// layouts), and the cookie sessions' revocations in the sorted set
/// `<prefix>revocations`. An index lives in its own slot, not its sessions': a logout
/// reads the index, then deletes each session and only then takes its id out of the
/// index, one key per command, so a failure part way leaves the rest indexed for the
/// provider's retry.
///
/// Needs the `redis` feature of `logto`. The store goes to
/// [`LogtoBuilder::session_store`](crate::LogtoBuilder::session_store):
///
/// ```no_run
/// #[logto::config]
/// pub struct Auth;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
/// // An error names the address (never the password): "cannot connect to the
/// // session store at redis://127.0.0.1:6379: ...".
/// let store = logto::RedisStore::connect(&url, "myapp:").await?;
/// let logto = logto::Logto::builder::<Auth>()
///     .from_env()
///     .session_store(store)
///     .build()?;
/// # let _ = logto; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    connection: Connection,
    /// The URL without its password (a cluster's: its seed nodes'), for errors and logs.
    address: String,
    keys: Keys,
    save: Lua,
    unlock: Lua,
    index: Lua,
}

/// A connection to one node or to a cluster; both clone cheaply and multiplex.
#[derive(Clone)]
enum Connection {
    Node(ConnectionManager),
    #[cfg(feature = "redis-cluster")]
    Cluster(redis::cluster_async::ClusterConnection),
}

impl Connection {
    async fn query<T: FromRedisValue>(&self, command: &redis::Cmd) -> RedisResult<T> {
        match self {
            Self::Node(connection) => command.query_async(&mut connection.clone()).await,
            #[cfg(feature = "redis-cluster")]
            Self::Cluster(connection) => command.query_async(&mut connection.clone()).await,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::Node(_) => "node",
            #[cfg(feature = "redis-cluster")]
            Self::Cluster(_) => "cluster",
        }
    }
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("address", &self.address)
            .field("connection", &self.connection.kind())
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

/// How long connecting may take, all attempts together.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one connection attempt, and one answer, may take. The runtime bounds each
/// call by its store timeout as well.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);

impl RedisStore {
    /// Connects to the single node at `url` (`redis://[user[:password]@]host[:port][/db]`,
    /// or `rediss://` for TLS); every key starts with `prefix`.
    ///
    /// A failure is [`StoreError::Connect`], naming the address without its password;
    /// once connected, the connection comes back by itself after an outage, and each
    /// failed call is a [`StoreError::Unavailable`] that names the address too (the
    /// client sees 503 `session_store_unavailable`, never the address).
    pub async fn connect(url: &str, prefix: impl Into<String>) -> Result<Self, StoreError> {
        let address = address::redacted(url);
        let connect_error = |reason: String| StoreError::Connect {
            address: address.clone(),
            reason,
        };
        let client = redis::Client::open(url).map_err(|e| connect_error(e.to_string()))?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(ATTEMPT_TIMEOUT))
            .set_response_timeout(Some(ATTEMPT_TIMEOUT))
            .set_number_of_retries(1);
        let connection = tokio::time::timeout(
            CONNECT_TIMEOUT,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| connect_error(format!("no answer within {CONNECT_TIMEOUT:?}")))?
        .map_err(|e| connect_error(e.to_string()))?;
        tracing::info!(target: "logto::store", %address, "sessions are kept in Redis");
        Ok(Self::with(
            Connection::Node(connection),
            address,
            Keys::single(prefix.into()),
        ))
    }

    fn with(connection: Connection, address: String, keys: Keys) -> Self {
        Self {
            connection,
            address,
            keys,
            save: Lua::new(scripts::SAVE),
            unlock: Lua::new(scripts::UNLOCK),
            index: Lua::new(scripts::INDEX),
        }
    }

    /// A failed call, naming the server (logs show it; clients never do).
    fn unavailable(&self, error: redis::RedisError) -> StoreError {
        StoreError::Unavailable(format!("{}: {error}", self.address))
    }

    async fn query<T: FromRedisValue>(&self, command: &redis::Cmd) -> Result<T, StoreError> {
        self.connection
            .query(command)
            .await
            .map_err(|e| self.unavailable(e))
    }

    async fn run<T: FromRedisValue>(
        &self,
        script: &Lua,
        key: &str,
        args: impl redis::ToRedisArgs,
    ) -> Result<T, StoreError> {
        script
            .run(&self.connection, key, args)
            .await
            .map_err(|e| self.unavailable(e))
    }
}

/// Milliseconds for `PEXPIRE`/`PX`, at least 1 (0 is an error to Redis).
fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl SessionStore for RedisStore {
    fn load<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Record>> {
        Box::pin(async move {
            let mut command = redis::cmd("HMGET");
            command.arg(self.keys.session(id)).arg("v").arg("d");
            let (version, data): (Option<u64>, Option<Vec<u8>>) = self.query(&command).await?;
            Ok(version
                .zip(data)
                .map(|(version, data)| Record { data, version }))
        })
    }

    fn save<'a>(
        &'a self,
        id: &'a str,
        data: &'a [u8],
        ttl: Duration,
        expect: Expect,
    ) -> StoreFuture<'a, Option<u64>> {
        Box::pin(async move {
            let expected = match expect {
                Expect::Absent => String::new(),
                Expect::Version(version) => version.to_string(),
            };
            let version: i64 = self
                .run(
                    &self.save,
                    &self.keys.session(id),
                    (expected, data, millis(ttl)),
                )
                .await?;
            Ok(u64::try_from(version).ok())
        })
    }

    fn delete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut command = redis::cmd("DEL");
            command.arg(self.keys.session(id));
            let _: i64 = self.query(&command).await?;
            Ok(())
        })
    }

    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Option<LockToken>> {
        Box::pin(async move {
            let token = LockToken::random();
            let mut command = redis::cmd("SET");
            command
                .arg(self.keys.lock(key))
                .arg(&token.0)
                .arg("NX")
                .arg("PX")
                .arg(millis(ttl));
            let set: Option<String> = self.query(&command).await?;
            Ok(set.map(|_| token))
        })
    }

    fn unlock<'a>(&'a self, key: &'a str, token: &'a LockToken) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let _: i64 = self
                .run(&self.unlock, &self.keys.lock(key), &token.0)
                .await?;
            Ok(())
        })
    }

    fn supports_backchannel_logout(&self) -> bool {
        true
    }

    fn index_session<'a>(
        &'a self,
        id: &'a str,
        sid: Option<&'a str>,
        sub: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let targets = sid
                .map(|sid| LogoutTarget::Sid(sid.to_owned()))
                .into_iter()
                .chain([LogoutTarget::Subject {
                    sub: sub.to_owned(),
                    at: 0,
                }]);
            // One script per index: the sid's and the sub's sets live in two slots.
            for target in targets {
                let _: i64 = self
                    .run(&self.index, &self.keys.index(&target), (id, millis(ttl)))
                    .await?;
            }
            Ok(())
        })
    }

    fn end_sessions<'a>(&'a self, target: &'a LogoutTarget) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let index = self.keys.index(target);
            // The sessions that exist now: one indexed later is not in this snapshot,
            // so this logout never ends it.
            let ids: Vec<String> = self.query(redis::cmd("SMEMBERS").arg(&index)).await?;
            // One key per command: in a cluster each session lives in a slot of its own,
            // apart from the index, so no script could span them. Each id leaves the
            // index only once its session is gone, so a failure part way (an error, a
            // failover, the store timeout dropping this future) leaves the rest indexed
            // for the provider's retry rather than forgotten; a retry deleting a session
            // already gone is harmless.
            let mut ended = 0;
            for id in ids {
                let deleted: i64 = self
                    .query(redis::cmd("DEL").arg(self.keys.session(&id)))
                    .await?;
                let _: i64 = self.query(redis::cmd("SREM").arg(&index).arg(&id)).await?;
                ended += u64::try_from(deleted).unwrap_or(0);
            }
            Ok(ended)
        })
    }

    fn add_revocation<'a>(&'a self, revocation: &'a Revocation) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let member = serde_json::to_string(&revocation.target)
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            // `GT`: a later logout of the same target only ever extends it.
            let mut command = redis::cmd("ZADD");
            command
                .arg(self.keys.revocations())
                .arg("GT")
                .arg(revocation.until)
                .arg(member);
            let _: i64 = self.query(&command).await?;
            Ok(())
        })
    }

    fn revocations(&self) -> StoreFuture<'_, Vec<Revocation>> {
        Box::pin(async move {
            let key = self.keys.revocations();
            let now = unix_now();
            let _: i64 = self
                .query(
                    redis::cmd("ZREMRANGEBYSCORE")
                        .arg(&key)
                        .arg("-inf")
                        .arg(now),
                )
                .await?;
            let entries: Vec<(String, i64)> = self
                .query(
                    redis::cmd("ZRANGEBYSCORE")
                        .arg(&key)
                        .arg(format!("({now}"))
                        .arg("+inf")
                        .arg("WITHSCORES"),
                )
                .await?;
            // An entry another version wrote in a form we cannot read is skipped, not
            // a failure of every poll.
            Ok(entries
                .into_iter()
                .filter_map(|(member, until)| {
                    let target = serde_json::from_str(&member).ok()?;
                    Some(Revocation { target, until })
                })
                .collect())
        })
    }
}
