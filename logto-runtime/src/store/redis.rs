//! Sessions in Redis, through the `redis` crate's connection manager (it reconnects by
//! itself once the server is back).

use std::time::Duration;

use redis::{AsyncCommands, Script, aio::ConnectionManager};

use super::{
    Expect, LockToken, LogoutTarget, Record, Revocation, SessionStore, StoreError, StoreFuture,
    address, unix_now,
};

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

/// Adds a session id to an index set, whose expiry only grows (the set outlives its
/// longest-lived session, and no longer).
const INDEX: &str = r"
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
";

/// Sessions in Redis under `<prefix>session:<id>`, locks under `<prefix>lock:<key>`.
///
/// Back-channel logout keeps, per provider session and per user, the set of session
/// ids under `<prefix>logout:{sid:<sid>}` and `<prefix>logout:{sub:<sub>}`, and the
/// cookie sessions' revocations in the sorted set `<prefix>revocations`. Every script
/// touches one key (a session, a lock or an index set), so each one's keys sit in one
/// hash slot, as Redis Cluster requires; the index keys carry their hash tag
/// (`{...}`) so any later key per sid or sub can share the slot.
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
    index: Script,
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
            index: Script::new(INDEX),
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

    fn index_key(&self, target: &LogoutTarget) -> String {
        match target {
            LogoutTarget::Sid(sid) => format!("{}logout:{{sid:{sid}}}", self.prefix),
            LogoutTarget::Subject { sub, .. } => format!("{}logout:{{sub:{sub}}}", self.prefix),
        }
    }

    fn revocations_key(&self) -> String {
        format!("{}revocations", self.prefix)
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
            let mut connection = self.connection.clone();
            let targets = sid
                .map(|sid| LogoutTarget::Sid(sid.to_owned()))
                .into_iter()
                .chain([LogoutTarget::Subject {
                    sub: sub.to_owned(),
                    at: 0,
                }]);
            for target in targets {
                let _: i64 = self
                    .index
                    .key(self.index_key(&target))
                    .arg(id)
                    .arg(ttl.as_millis().max(1) as u64)
                    .invoke_async(&mut connection)
                    .await
                    .map_err(|e| self.unavailable(e))?;
            }
            Ok(())
        })
    }

    fn end_sessions<'a>(&'a self, target: &'a LogoutTarget) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let index = self.index_key(target);
            // The sessions that exist now: one indexed later is not in this snapshot,
            // so this logout never ends it.
            let ids: Vec<String> = connection
                .smembers(&index)
                .await
                .map_err(|e| self.unavailable(e))?;
            // One key per command: sessions live in slots of their own. Each id leaves
            // the index only once its session is gone, so a failure part way (an error,
            // the store timeout dropping this future) leaves the rest indexed for the
            // provider's retry rather than forgotten.
            let mut ended = 0;
            for id in ids {
                let deleted: i64 = connection
                    .del(self.session_key(&id))
                    .await
                    .map_err(|e| self.unavailable(e))?;
                let _: i64 = connection
                    .srem(&index, &id)
                    .await
                    .map_err(|e| self.unavailable(e))?;
                ended += deleted.max(0) as u64;
            }
            Ok(ended)
        })
    }

    fn add_revocation<'a>(&'a self, revocation: &'a Revocation) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let member = serde_json::to_string(&revocation.target)
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            // `GT`: a later logout of the same target only ever extends it.
            let _: i64 = redis::cmd("ZADD")
                .arg(self.revocations_key())
                .arg("GT")
                .arg(revocation.until)
                .arg(member)
                .query_async(&mut connection)
                .await
                .map_err(|e| self.unavailable(e))?;
            Ok(())
        })
    }

    fn revocations(&self) -> StoreFuture<'_, Vec<Revocation>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let key = self.revocations_key();
            let now = unix_now();
            let _: i64 = connection
                .zrembyscore(&key, "-inf", now)
                .await
                .map_err(|e| self.unavailable(e))?;
            let entries: Vec<(String, i64)> = connection
                .zrangebyscore_withscores(&key, format!("({now}"), "+inf")
                .await
                .map_err(|e| self.unavailable(e))?;
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
