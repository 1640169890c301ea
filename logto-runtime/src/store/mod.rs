//! External session storage: the cookie carries only an encrypted random session id,
//! the session lives in a store shared by every instance of the app.
//!
//! The store sees sealed bytes only (AES-256-GCM under the cookie secret), holds a
//! version per session for compare-and-set, and short locks with an expiry so one
//! instance at a time refreshes a session's tokens.

#[cfg(any(feature = "redis", feature = "postgres"))]
mod address;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;

use std::{future::Future, pin::Pin, time::Duration};

pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use postgres::PostgresStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis::RedisStore;

/// What the store methods return.
///
/// A boxed future, so [`SessionStore`] stays object safe; an implementation wraps an
/// `async` block in `Box::pin`:
///
/// ```
/// use logto::{StoreError, store::StoreFuture};
///
/// fn answer<'a>() -> StoreFuture<'a, Option<u64>> {
///     Box::pin(async { Ok::<_, StoreError>(Some(1)) })
/// }
/// # let _ = answer();
/// ```
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// A stored session: sealed bytes and the version compare-and-set works on.
///
/// ```
/// use std::time::Duration;
///
/// use logto::{MemoryStore, SessionStore, store::{Expect, Record}};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), logto::StoreError> {
/// let store = MemoryStore::new(100);
/// store.save("id", b"sealed", Duration::from_secs(60), Expect::Absent).await?;
/// assert_eq!(store.load("id").await?, Some(Record { data: b"sealed".to_vec(), version: 1 }));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The sealed session.
    pub data: Vec<u8>,
    /// Increases with every save.
    pub version: u64,
}

/// The precondition of a save.
///
/// ```
/// use std::time::Duration;
///
/// use logto::{MemoryStore, SessionStore, store::Expect};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), logto::StoreError> {
/// let store = MemoryStore::new(100);
/// let ttl = Duration::from_secs(60);
/// assert_eq!(store.save("id", b"one", ttl, Expect::Absent).await?, Some(1));
/// // A second "new" session under the same id fails, and so does a stale update.
/// assert_eq!(store.save("id", b"two", ttl, Expect::Absent).await?, None);
/// assert_eq!(store.save("id", b"two", ttl, Expect::Version(7)).await?, None);
/// assert_eq!(store.save("id", b"two", ttl, Expect::Version(1)).await?, Some(2));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A new session: no live record may exist under the id.
    Absent,
    /// An update: the live record must still have this version.
    Version(u64),
}

/// Proof of holding a lock, for releasing it.
///
/// ```
/// use std::time::Duration;
///
/// use logto::{MemoryStore, SessionStore};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), logto::StoreError> {
/// let store = MemoryStore::new(100);
/// let ttl = Duration::from_secs(5);
/// let token = store.try_lock("refresh:id", ttl).await?.expect("free");
/// assert_eq!(store.try_lock("refresh:id", ttl).await?, None); // held
/// store.unlock("refresh:id", &token).await?;
/// assert!(store.try_lock("refresh:id", ttl).await?.is_some());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockToken(pub String);

impl LockToken {
    /// A random token, unguessable by other holders.
    pub fn random() -> Self {
        Self(crate::session::random_id())
    }
}

/// What a back-channel logout ends: the sessions of one provider session, or those of
/// one user that existed at the logout's time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum LogoutTarget {
    /// The sessions signed in through the provider session `sid` (the ID token's `sid`).
    Sid(String),
    /// The sessions of the user `sub` signed in at or before `at` (milliseconds since
    /// the epoch); a later sign-in of the same user is not touched.
    Subject {
        /// The user.
        sub: String,
        /// When the logout was received.
        at: i64,
    },
}

/// A back-channel logout remembered for cookie sessions, which no store can delete:
/// until `until` (seconds since the epoch), a session it names is signed out.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Revocation {
    /// The sessions it ends.
    pub target: LogoutTarget,
    /// Seconds since the epoch after which it is forgotten (the ID tokens it could
    /// match have expired by then).
    pub until: i64,
}

/// Why the store could not answer.
///
/// ```
/// use logto::StoreError;
///
/// let error = StoreError::Connect {
///     address: "redis://127.0.0.1:6379".into(),
///     reason: "Connection refused (os error 111)".into(),
/// };
/// // The app's log says where; the client is told no more than this:
/// assert_eq!(
///     error.to_string(),
///     "cannot connect to the session store at redis://127.0.0.1:6379: Connection refused (os error 111)"
/// );
/// assert_eq!(error.public_message().code(), "session_store_unavailable");
/// assert!(!error.public_message().description().contains("127.0.0.1"));
/// ```
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Connecting failed (`RedisStore::connect`, `PostgresStore::connect`): `address` is
    /// the store's URL without its password or query.
    #[error("cannot connect to the session store at {address}: {reason}")]
    Connect {
        /// Where the store was looked for.
        address: String,
        /// What went wrong, in the store client's words.
        reason: String,
    },
    /// The store refused or dropped the connection (the stores of this crate start
    /// the message with their address, without the password).
    #[error("the session store is unavailable: {0}")]
    Unavailable(String),
    /// The store did not answer in time.
    #[error("the session store did not answer within {0:?}")]
    Timeout(Duration),
}

impl StoreError {
    /// What a client is told (503 `session_store_unavailable`): never the store's own
    /// message, which may name hosts, users or tables.
    pub fn public_message(&self) -> crate::error::PublicMessage {
        crate::error::PublicMessage::fixed(
            "session_store_unavailable",
            match self {
                Self::Unavailable(_) | Self::Connect { .. } => {
                    "the session store is unavailable: try again later"
                }
                Self::Timeout(_) => "the session store did not answer in time: try again later",
            },
        )
    }
}

/// A place to keep sessions. Implement it for any database; the runtime seals what it
/// stores, so an implementation sees opaque bytes.
///
/// Every method must be bounded in time by the implementation or the runtime's timeout
/// (set with [`LogtoBuilder::store_timeout`](crate::LogtoBuilder::store_timeout)).
///
/// A store that counts the saves of another, as a sketch of an implementation:
///
/// ```
/// use std::{
///     sync::atomic::{AtomicU64, Ordering},
///     time::Duration,
/// };
///
/// use logto::{
///     MemoryStore, SessionStore,
///     store::{Expect, LockToken, Record, StoreFuture},
/// };
///
/// struct Counting {
///     inner: MemoryStore,
///     saves: AtomicU64,
/// }
///
/// impl SessionStore for Counting {
///     fn load<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Record>> {
///         self.inner.load(id)
///     }
///     fn save<'a>(
///         &'a self,
///         id: &'a str,
///         data: &'a [u8],
///         ttl: Duration,
///         expect: Expect,
///     ) -> StoreFuture<'a, Option<u64>> {
///         self.saves.fetch_add(1, Ordering::Relaxed);
///         self.inner.save(id, data, ttl, expect)
///     }
///     fn delete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
///         self.inner.delete(id)
///     }
///     fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Option<LockToken>> {
///         self.inner.try_lock(key, ttl)
///     }
///     fn unlock<'a>(&'a self, key: &'a str, token: &'a LockToken) -> StoreFuture<'a, ()> {
///         self.inner.unlock(key, token)
///     }
/// }
///
/// #[logto::config]
/// pub struct Auth;
///
/// let store = Counting { inner: MemoryStore::new(10_000), saves: AtomicU64::new(0) };
/// let builder = logto::Logto::builder::<Auth>().session_store(store);
/// # let _ = builder;
/// ```
pub trait SessionStore: Send + Sync + 'static {
    /// The live record of `id`, if any (an expired one is `None`).
    fn load<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Record>>;

    /// Saves `data` under `id` for `ttl` if `expect` holds; returns the new version, or
    /// `None` when the precondition failed.
    fn save<'a>(
        &'a self,
        id: &'a str,
        data: &'a [u8],
        ttl: Duration,
        expect: Expect,
    ) -> StoreFuture<'a, Option<u64>>;

    /// Deletes `id`.
    fn delete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()>;

    /// Takes the lock `key` for at most `ttl` if nobody holds it.
    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Option<LockToken>>;

    /// Releases the lock `key` if `token` still holds it.
    fn unlock<'a>(&'a self, key: &'a str, token: &'a LockToken) -> StoreFuture<'a, ()>;

    // Back-channel logout. Default methods, so stores written before it keep
    // compiling; a store that does not override them cannot be used with
    // `LogtoBuilder::backchannel_logout` (the builder says so at startup).

    /// Whether this store implements the back-channel logout methods below: the index
    /// of sessions by `sid` and `sub`, and the revocation list of cookie sessions.
    fn supports_backchannel_logout(&self) -> bool {
        false
    }

    /// Records, after the first save of session `id`, that it belongs to the provider
    /// session `sid` (when the ID token has one) and the user `sub`, for as long as the
    /// session lives (`ttl`).
    fn index_session<'a>(
        &'a self,
        id: &'a str,
        sid: Option<&'a str>,
        sub: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        let _ = (id, sid, sub, ttl);
        Box::pin(std::future::ready(Err(unsupported())))
    }

    /// Deletes, at once, every session the index holds for `target` (for
    /// [`LogoutTarget::Subject`], those that exist now); returns how many.
    fn end_sessions<'a>(&'a self, target: &'a LogoutTarget) -> StoreFuture<'a, u64> {
        let _ = target;
        Box::pin(std::future::ready(Err(unsupported())))
    }

    /// Remembers `revocation` until its `until`, for every instance that polls
    /// [`revocations`](Self::revocations).
    fn add_revocation<'a>(&'a self, revocation: &'a Revocation) -> StoreFuture<'a, ()> {
        let _ = revocation;
        Box::pin(std::future::ready(Err(unsupported())))
    }

    /// Every revocation whose `until` has not passed.
    fn revocations(&self) -> StoreFuture<'_, Vec<Revocation>> {
        Box::pin(std::future::ready(Err(unsupported())))
    }
}

fn unsupported() -> StoreError {
    StoreError::Unavailable("this session store does not implement back-channel logout".into())
}

/// Bounds a store call by `timeout`.
pub(crate) async fn bounded<T>(
    timeout: Duration,
    call: StoreFuture<'_, T>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(timeout, call).await {
        Ok(result) => result,
        Err(_) => Err(StoreError::Timeout(timeout)),
    }
}

/// A shared store: one store behind several clients (or kept by the app to inspect).
impl<T: SessionStore + ?Sized> SessionStore for std::sync::Arc<T> {
    fn load<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Record>> {
        (**self).load(id)
    }

    fn save<'a>(
        &'a self,
        id: &'a str,
        data: &'a [u8],
        ttl: Duration,
        expect: Expect,
    ) -> StoreFuture<'a, Option<u64>> {
        (**self).save(id, data, ttl, expect)
    }

    fn delete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        (**self).delete(id)
    }

    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Option<LockToken>> {
        (**self).try_lock(key, ttl)
    }

    fn unlock<'a>(&'a self, key: &'a str, token: &'a LockToken) -> StoreFuture<'a, ()> {
        (**self).unlock(key, token)
    }

    fn supports_backchannel_logout(&self) -> bool {
        (**self).supports_backchannel_logout()
    }

    fn index_session<'a>(
        &'a self,
        id: &'a str,
        sid: Option<&'a str>,
        sub: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, ()> {
        (**self).index_session(id, sid, sub, ttl)
    }

    fn end_sessions<'a>(&'a self, target: &'a LogoutTarget) -> StoreFuture<'a, u64> {
        (**self).end_sessions(target)
    }

    fn add_revocation<'a>(&'a self, revocation: &'a Revocation) -> StoreFuture<'a, ()> {
        (**self).add_revocation(revocation)
    }

    fn revocations(&self) -> StoreFuture<'_, Vec<Revocation>> {
        (**self).revocations()
    }
}

/// Seconds since the epoch by the system clock, for stores that expire revocations.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
