//! Sessions in Redis, through the `redis` crate's connection manager (it reconnects by
//! itself once the server is back).

use std::time::Duration;

use redis::{AsyncCommands, Script, aio::ConnectionManager};

use super::{Expect, LockToken, Record, SessionStore, StoreError, StoreFuture, address};

/// Compare-and-set of a session hash (`v` version, `d` data) in one round trip.
const SAVE: &str = r"
local current = redis.call('HGET', KEYS[1], 'v')
if ARGV[1] == '' then
  if current then return -1 end
elseif current ~= ARGV[1] then
  return -1
end
local version = (tonumber(current) or 0) + 1
redis.call('HSET', KEYS[1], 'v', version, 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return version
";

/// Deletes a lock only if the caller still holds it.
const UNLOCK: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// Sessions in Redis under `<prefix>session:<id>`, locks under `<prefix>lock:<key>`.
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
    connection: ConnectionManager,
    /// The URL without its password, for errors and logs.
    address: String,
    prefix: String,
    save: Script,
    unlock: Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("address", &self.address)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// How long connecting may take, all attempts together.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

impl RedisStore {
    /// Connects to `url` (`redis://[user[:password]@]host[:port][/db]`, or `rediss://`
    /// for TLS); every key starts with `prefix`.
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
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1);
        let connection = tokio::time::timeout(
            CONNECT_TIMEOUT,
            ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| connect_error(format!("no answer within {CONNECT_TIMEOUT:?}")))?
        .map_err(|e| connect_error(e.to_string()))?;
        tracing::info!(target: "logto::store", %address, "sessions are kept in Redis");
        Ok(Self {
            connection,
            address,
            prefix: prefix.into(),
            save: Script::new(SAVE),
            unlock: Script::new(UNLOCK),
        })
    }

    fn session_key(&self, id: &str) -> String {
        format!("{}session:{id}", self.prefix)
    }

    fn lock_key(&self, key: &str) -> String {
        format!("{}lock:{key}", self.prefix)
    }

    /// A failed call, naming the server (logs show it; clients never do).
    fn unavailable(&self, error: redis::RedisError) -> StoreError {
        StoreError::Unavailable(format!("{}: {error}", self.address))
    }
}

impl SessionStore for RedisStore {
    fn load<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Record>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let (version, data): (Option<u64>, Option<Vec<u8>>) = redis::cmd("HMGET")
                .arg(self.session_key(id))
                .arg("v")
                .arg("d")
                .query_async(&mut connection)
                .await
                .map_err(|e| self.unavailable(e))?;
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
            let mut connection = self.connection.clone();
            let expected = match expect {
                Expect::Absent => String::new(),
                Expect::Version(version) => version.to_string(),
            };
            let version: i64 = self
                .save
                .key(self.session_key(id))
                .arg(expected)
                .arg(data)
                .arg(ttl.as_millis().max(1) as u64)
                .invoke_async(&mut connection)
                .await
                .map_err(|e| self.unavailable(e))?;
            Ok(u64::try_from(version).ok())
        })
    }

    fn delete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let _: i64 = connection
                .del(self.session_key(id))
                .await
                .map_err(|e| self.unavailable(e))?;
            Ok(())
        })
    }

    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Option<LockToken>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let token = LockToken::random();
            let set: Option<String> = redis::cmd("SET")
                .arg(self.lock_key(key))
                .arg(&token.0)
                .arg("NX")
                .arg("PX")
                .arg(ttl.as_millis().max(1) as u64)
                .query_async(&mut connection)
                .await
                .map_err(|e| self.unavailable(e))?;
            Ok(set.map(|_| token))
        })
    }

    fn unlock<'a>(&'a self, key: &'a str, token: &'a LockToken) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let _: i64 = self
                .unlock
                .key(self.lock_key(key))
                .arg(&token.0)
                .invoke_async(&mut connection)
                .await
                .map_err(|e| self.unavailable(e))?;
            Ok(())
        })
    }
}
