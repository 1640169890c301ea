//! Sessions in PostgreSQL through `sqlx`. The tables are created on connect (the
//! migration is idempotent), with indexes for the clean-up of expired rows.
//!
//! Expired rows are swept by a background task the store owns, never on a user's
//! request: a slow or failing `DELETE` inside `save` would turn a committed session
//! into a 503 at sign-in and leave its row behind.

use std::time::Duration;

use sqlx::{PgPool, Row, postgres::PgPoolOptions};
use tokio::{task::JoinHandle, time::MissedTickBehavior};

use super::{
    Expect, LockToken, LogoutTarget, Record, Revocation, SessionStore, StoreError, StoreFuture,
    address,
};

/// The first sweep comes this soon after connecting (or after one interval, when that
/// is shorter): rows left by a previous run go early, but not in the middle of startup.
const FIRST_SWEEP_AFTER: Duration = Duration::from_secs(5);
/// The shortest interval: a zero period would spin (and `tokio::time::interval` panics
/// on it).
const MIN_SWEEP_INTERVAL: Duration = Duration::from_millis(10);
/// Rows deleted per statement: short statements hold few row locks for little time.
const SWEEP_BATCH: u64 = 1000;
/// At most this many batches per table and sweep; the rest waits for the next sweep.
const SWEEP_MAX_BATCHES: usize = 100;

/// Sessions in PostgreSQL, in the tables `logto_sessions` and `logto_session_locks` of
/// a schema. Back-channel logout adds the indexed columns `sid` and `sub` to
/// `logto_sessions` (`ADD COLUMN IF NOT EXISTS`: tables of earlier versions are
/// upgraded in place on connect) and the table `logto_revocations`.
///
/// Needs the `postgres` feature of `logto`. The store goes to
/// [`LogtoBuilder::session_store`](crate::LogtoBuilder::session_store):
///
/// ```no_run
/// #[logto::config]
/// pub struct Auth;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let url = std::env::var("DATABASE_URL")?;
/// // An error names the address (never the password): "cannot connect to the
/// // session store at postgres://app@db:5432/app: ...".
/// let store = logto::PostgresStore::connect(&url, "public").await?;
/// let logto = logto::Logto::builder::<Auth>()
///     .from_env()
///     .session_store(store)
///     .build()?;
/// # let _ = logto; Ok(()) }
/// ```
///
/// Connecting starts a background task (on the current tokio runtime) that deletes
/// expired sessions and stale refresh locks every
/// [`DEFAULT_SWEEP_INTERVAL`](Self::DEFAULT_SWEEP_INTERVAL); it stops when the store
/// is dropped. Requests never wait for it.
#[derive(Debug)]
pub struct PostgresStore {
    pool: PgPool,
    /// The URL without its password and query, for errors and logs.
    address: String,
    schema: String,
    _sweeper: Sweeper,
}

/// The sweeping task, aborted when the store (its only owner) is dropped.
#[derive(Debug)]
struct Sweeper(JoinHandle<()>);

impl Drop for Sweeper {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `schema` as a quoted SQL identifier.
fn quoted(schema: &str) -> Result<String, StoreError> {
    if schema.is_empty()
        || !schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(StoreError::Unavailable(format!(
            "`{schema}` is not a schema name: use letters, digits and `_`"
        )));
    }
    Ok(format!("\"{schema}\""))
}

impl PostgresStore {
    /// How often expired rows are swept, unless
    /// [`connect_with_sweep_interval`](Self::connect_with_sweep_interval) says otherwise.
    pub const DEFAULT_SWEEP_INTERVAL: Duration = Duration::from_secs(60);

    /// Connects to `url`, creates the schema's tables if they are missing, and starts
    /// sweeping expired rows every [`DEFAULT_SWEEP_INTERVAL`](Self::DEFAULT_SWEEP_INTERVAL).
    pub async fn connect(url: &str, schema: &str) -> Result<Self, StoreError> {
        Self::connect_with_sweep_interval(url, schema, Self::DEFAULT_SWEEP_INTERVAL).await
    }

    /// As [`connect`](Self::connect), sweeping expired sessions and stale locks every
    /// `interval` (at least 10 ms) instead of every minute. Expired rows are never
    /// served either way; the sweep only keeps the tables small.
    pub async fn connect_with_sweep_interval(
        url: &str,
        schema: &str,
        interval: Duration,
    ) -> Result<Self, StoreError> {
        let schema = quoted(schema)?;
        let address = address::redacted(url);
        let connect_error = |error: sqlx::Error| StoreError::Connect {
            address: address.clone(),
            reason: error.to_string(),
        };
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(2))
            .connect(url)
            .await
            .map_err(connect_error)?;
        migrate(&pool, &schema).await.map_err(connect_error)?;
        tracing::info!(target: "logto::store", %address, "sessions are kept in PostgreSQL");
        let sweeper = Sweeper(tokio::spawn(sweep_forever(
            pool.clone(),
            schema.clone(),
            address.clone(),
            interval,
        )));
        Ok(Self {
            pool,
            address,
            schema,
            _sweeper: sweeper,
        })
    }

    /// A failed call, naming the server (logs show it; clients never do).
    fn unavailable(&self, error: sqlx::Error) -> StoreError {
        StoreError::Unavailable(format!("{}: {error}", self.address))
    }
}

async fn migrate(pool: &PgPool, s: &str) -> Result<(), sqlx::Error> {
    for statement in [
        format!("CREATE SCHEMA IF NOT EXISTS {s}"),
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.logto_sessions (
                    id text PRIMARY KEY,
                    data bytea NOT NULL,
                    version bigint NOT NULL,
                    expires_at timestamptz NOT NULL)"
        ),
        format!(
            "CREATE INDEX IF NOT EXISTS logto_sessions_expires_at ON {s}.logto_sessions (expires_at)"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.logto_session_locks (
                    key text PRIMARY KEY,
                    token text NOT NULL,
                    expires_at timestamptz NOT NULL)"
        ),
        format!(
            "CREATE INDEX IF NOT EXISTS logto_session_locks_expires_at ON {s}.logto_session_locks (expires_at)"
        ),
        // Back-channel logout: sessions by provider session and by user.
        format!("ALTER TABLE {s}.logto_sessions ADD COLUMN IF NOT EXISTS sid text"),
        format!("ALTER TABLE {s}.logto_sessions ADD COLUMN IF NOT EXISTS sub text"),
        format!("CREATE INDEX IF NOT EXISTS logto_sessions_sid ON {s}.logto_sessions (sid)"),
        format!("CREATE INDEX IF NOT EXISTS logto_sessions_sub ON {s}.logto_sessions (sub)"),
        format!(
            "CREATE TABLE IF NOT EXISTS {s}.logto_revocations (
                    entry text PRIMARY KEY,
                    expires_at timestamptz NOT NULL)"
        ),
    ] {
        sqlx::query(&statement).execute(pool).await?;
    }
    Ok(())
}

/// Sweeps every `interval` until the store drops (and aborts this task). A failed
/// sweep is logged and retried at the next tick; nobody waits for it.
async fn sweep_forever(pool: PgPool, schema: String, address: String, interval: Duration) {
    let interval = interval.max(MIN_SWEEP_INTERVAL);
    let first = tokio::time::Instant::now() + interval.min(FIRST_SWEEP_AFTER);
    let mut ticks = tokio::time::interval_at(first, interval);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match sweep(&pool, &schema).await {
            Ok(deleted) => tracing::debug!(
                target: "logto::store",
                deleted,
                %address,
                "swept expired sessions and refresh locks"
            ),
            Err(error) => tracing::error!(
                target: "logto::store",
                %error,
                %address,
                "sweeping expired sessions failed; the next sweep tries again"
            ),
        }
    }
}

/// Deletes expired sessions and stale locks, in batches. `SKIP LOCKED` leaves rows a
/// request holds (a save reviving an expired id, say) to the next sweep instead of
/// waiting for them, and the statement timeout bounds any other wait.
async fn sweep(pool: &PgPool, schema: &str) -> Result<u64, sqlx::Error> {
    let mut deleted = 0;
    for (table, key) in [
        ("logto_sessions", "id"),
        ("logto_session_locks", "key"),
        ("logto_revocations", "entry"),
    ] {
        let statement = format!(
            "DELETE FROM {schema}.{table} WHERE {key} IN (
                SELECT {key} FROM {schema}.{table} WHERE expires_at < now()
                LIMIT {SWEEP_BATCH} FOR UPDATE SKIP LOCKED)"
        );
        for _ in 0..SWEEP_MAX_BATCHES {
            let mut tx = pool.begin().await?;
            sqlx::query("SET LOCAL statement_timeout = '10s'")
                .execute(&mut *tx)
                .await?;
            let done = sqlx::query(&statement)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            deleted += done;
            if done < SWEEP_BATCH {
                break;
            }
        }
    }
    Ok(deleted)
}

fn millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX)
}

impl SessionStore for PostgresStore {
    fn load<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Record>> {
        Box::pin(async move {
            let s = &self.schema;
            let row = sqlx::query(&format!(
                "SELECT data, version FROM {s}.logto_sessions WHERE id = $1 AND expires_at > now()"
            ))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.unavailable(e))?;
            Ok(row.map(|row| Record {
                data: row.get("data"),
                version: row.get::<i64, _>("version").max(0) as u64,
            }))
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
            let s = &self.schema;
            let expires = "now() + make_interval(secs => $3::double precision / 1000)";
            let insert = format!(
                    "INSERT INTO {s}.logto_sessions (id, data, version, expires_at) VALUES ($1, $2, 1, {expires})
                     ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, version = {s}.logto_sessions.version + 1,
                         expires_at = EXCLUDED.expires_at
                     WHERE {s}.logto_sessions.expires_at <= now()
                     RETURNING version"
            );
            let update = format!(
                    "UPDATE {s}.logto_sessions SET data = $2, version = version + 1, expires_at = {expires}
                     WHERE id = $1 AND version = $4 AND expires_at > now()
                     RETURNING version"
            );
            let row = match expect {
                Expect::Absent => sqlx::query(&insert).bind(id).bind(data).bind(millis(ttl)),
                Expect::Version(version) => sqlx::query(&update)
                    .bind(id)
                    .bind(data)
                    .bind(millis(ttl))
                    .bind(i64::try_from(version).unwrap_or(i64::MAX)),
            }
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.unavailable(e))?;
            Ok(row.map(|row| row.get::<i64, _>("version").max(0) as u64))
        })
    }

    fn delete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let s = &self.schema;
            sqlx::query(&format!("DELETE FROM {s}.logto_sessions WHERE id = $1"))
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(|e| self.unavailable(e))?;
            Ok(())
        })
    }

    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Option<LockToken>> {
        Box::pin(async move {
            let s = &self.schema;
            let token = LockToken::random();
            let row = sqlx::query(&format!(
                "INSERT INTO {s}.logto_session_locks (key, token, expires_at)
                 VALUES ($1, $2, now() + make_interval(secs => $3::double precision / 1000))
                 ON CONFLICT (key) DO UPDATE SET token = EXCLUDED.token, expires_at = EXCLUDED.expires_at
                 WHERE {s}.logto_session_locks.expires_at <= now()
                 RETURNING token"
            ))
            .bind(key)
            .bind(&token.0)
            .bind(millis(ttl))
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.unavailable(e))?;
            Ok(row.map(|_| token))
        })
    }

    fn unlock<'a>(&'a self, key: &'a str, token: &'a LockToken) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let s = &self.schema;
            sqlx::query(&format!(
                "DELETE FROM {s}.logto_session_locks WHERE key = $1 AND token = $2"
            ))
            .bind(key)
            .bind(&token.0)
            .execute(&self.pool)
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
        _ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let s = &self.schema;
            // The row's own expiry is the index's.
            sqlx::query(&format!(
                "UPDATE {s}.logto_sessions SET sid = $2, sub = $3 WHERE id = $1"
            ))
            .bind(id)
            .bind(sid)
            .bind(sub)
            .execute(&self.pool)
            .await
            .map_err(|e| self.unavailable(e))?;
            Ok(())
        })
    }

    fn end_sessions<'a>(&'a self, target: &'a LogoutTarget) -> StoreFuture<'a, u64> {
        Box::pin(async move {
            let s = &self.schema;
            // One statement: the rows that exist when it runs, and no later one.
            let (column, value) = match target {
                LogoutTarget::Sid(sid) => ("sid", sid),
                LogoutTarget::Subject { sub, .. } => ("sub", sub),
            };
            let done = sqlx::query(&format!(
                "DELETE FROM {s}.logto_sessions WHERE {column} = $1"
            ))
            .bind(value)
            .execute(&self.pool)
            .await
            .map_err(|e| self.unavailable(e))?;
            Ok(done.rows_affected())
        })
    }

    fn add_revocation<'a>(&'a self, revocation: &'a Revocation) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let s = &self.schema;
            let entry = serde_json::to_string(&revocation.target)
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            sqlx::query(&format!(
                "INSERT INTO {s}.logto_revocations (entry, expires_at) VALUES ($1, to_timestamp($2))
                 ON CONFLICT (entry) DO UPDATE
                 SET expires_at = GREATEST({s}.logto_revocations.expires_at, EXCLUDED.expires_at)"
            ))
            .bind(entry)
            .bind(revocation.until as f64)
            .execute(&self.pool)
            .await
            .map_err(|e| self.unavailable(e))?;
            Ok(())
        })
    }

    fn revocations(&self) -> StoreFuture<'_, Vec<Revocation>> {
        Box::pin(async move {
            let s = &self.schema;
            let rows = sqlx::query(&format!(
                "SELECT entry, extract(epoch from expires_at)::bigint AS until
                 FROM {s}.logto_revocations WHERE expires_at > now()"
            ))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.unavailable(e))?;
            Ok(rows
                .iter()
                .filter_map(|row| {
                    let target = serde_json::from_str(row.get::<&str, _>("entry")).ok()?;
                    Some(Revocation {
                        target,
                        until: row.get("until"),
                    })
                })
                .collect())
        })
    }
}
