//! Sessions in PostgreSQL through `sqlx`. The tables are created on connect (the
//! migration is idempotent), with an index for the clean-up of expired rows.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use sqlx::{PgPool, Row, postgres::PgPoolOptions};

use super::{Expect, LockToken, Record, SessionStore, StoreError, StoreFuture};

/// How often expired rows are swept.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Sessions in PostgreSQL, in the tables `logto_sessions` and `logto_session_locks` of
/// a schema.
///
/// ```no_run
/// # async fn run() -> Result<(), logto_runtime::StoreError> {
/// let store = logto_runtime::PostgresStore::connect("postgres://localhost/app", "public").await?;
/// # let _ = store; Ok(()) }
/// ```
#[derive(Debug)]
pub struct PostgresStore {
    pool: PgPool,
    schema: String,
    last_sweep: Mutex<Instant>,
    saves: AtomicU64,
}

fn unavailable(error: sqlx::Error) -> StoreError {
    StoreError::Unavailable(error.to_string())
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
    /// Connects to `url` and creates the schema's tables if they are missing.
    pub async fn connect(url: &str, schema: &str) -> Result<Self, StoreError> {
        let schema = quoted(schema)?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(2))
            .connect(url)
            .await
            .map_err(unavailable)?;
        let store = Self {
            pool,
            schema,
            last_sweep: Mutex::new(Instant::now()),
            saves: AtomicU64::new(0),
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let s = &self.schema;
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
        ] {
            sqlx::query(&statement)
                .execute(&self.pool)
                .await
                .map_err(unavailable)?;
        }
        Ok(())
    }

    /// Deletes expired rows, at most once a minute.
    async fn sweep(&self) -> Result<(), StoreError> {
        {
            let mut last = self.last_sweep.lock().unwrap_or_else(|e| e.into_inner());
            if last.elapsed() < SWEEP_EVERY {
                return Ok(());
            }
            *last = Instant::now();
        }
        let s = &self.schema;
        sqlx::query(&format!(
            "DELETE FROM {s}.logto_sessions WHERE expires_at < now()"
        ))
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }
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
            .map_err(unavailable)?;
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
            .map_err(unavailable)?;
            if self
                .saves
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(64)
            {
                self.sweep().await?;
            }
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
                .map_err(unavailable)?;
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
            .map_err(unavailable)?;
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
            .map_err(unavailable)?;
            Ok(())
        })
    }
}
