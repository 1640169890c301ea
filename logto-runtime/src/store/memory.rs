//! An in-process store: for tests and single-instance apps that want small cookies.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use super::{Expect, LockToken, Record, SessionStore, StoreFuture};

/// Sessions in this process's memory, expiring, at most `capacity` of them (the ones
/// closest to expiry give way first).
///
/// ```
/// let store = logto::MemoryStore::new(10_000);
/// # let _ = store;
/// ```
#[derive(Debug)]
pub struct MemoryStore {
    capacity: usize,
    sessions: Mutex<HashMap<String, (Record, Instant)>>,
    locks: Mutex<HashMap<String, (LockToken, Instant)>>,
}

impl MemoryStore {
    /// A store of at most `capacity` sessions.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            sessions: Mutex::default(),
            locks: Mutex::default(),
        }
    }

    /// How many live sessions it holds.
    pub fn len(&self) -> usize {
        let now = Instant::now();
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions
            .values()
            .filter(|(_, expires)| *expires > now)
            .count()
    }

    /// Bytes of sealed session data it holds, for sizing a deployment.
    pub fn bytes(&self) -> usize {
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.values().map(|(record, _)| record.data.len()).sum()
    }

    /// Whether it holds no live session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new(100_000)
    }
}

fn ready<'a, T: Send + 'a>(value: T) -> StoreFuture<'a, T> {
    Box::pin(std::future::ready(Ok(value)))
}

impl SessionStore for MemoryStore {
    fn load<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<Record>> {
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let record = sessions
            .get(id)
            .filter(|(_, expires)| *expires > Instant::now())
            .map(|(record, _)| record.clone());
        ready(record)
    }

    fn save<'a>(
        &'a self,
        id: &'a str,
        data: &'a [u8],
        ttl: Duration,
        expect: Expect,
    ) -> StoreFuture<'a, Option<u64>> {
        let now = Instant::now();
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let current = sessions
            .get(id)
            .filter(|(_, expires)| *expires > now)
            .map(|(r, _)| r.version);
        let version = match (expect, current) {
            (Expect::Absent, None) => 1,
            (Expect::Version(expected), Some(current)) if expected == current => current + 1,
            _ => return ready(None),
        };
        if !sessions.contains_key(id) && sessions.len() >= self.capacity {
            sessions.retain(|_, (_, expires)| *expires > now);
            if sessions.len() >= self.capacity {
                let soonest = sessions
                    .iter()
                    .min_by_key(|(_, (_, expires))| *expires)
                    .map(|(k, _)| k.clone());
                if let Some(soonest) = soonest {
                    sessions.remove(&soonest);
                }
            }
        }
        sessions.insert(
            id.to_owned(),
            (
                Record {
                    data: data.to_vec(),
                    version,
                },
                now + ttl,
            ),
        );
        ready(Some(version))
    }

    fn delete<'a>(&'a self, id: &'a str) -> StoreFuture<'a, ()> {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
        ready(())
    }

    fn try_lock<'a>(&'a self, key: &'a str, ttl: Duration) -> StoreFuture<'a, Option<LockToken>> {
        let now = Instant::now();
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.retain(|_, (_, expires)| *expires > now);
        if locks.contains_key(key) {
            return ready(None);
        }
        let token = LockToken::random();
        locks.insert(key.to_owned(), (token.clone(), now + ttl));
        ready(Some(token))
    }

    fn unlock<'a>(&'a self, key: &'a str, token: &'a LockToken) -> StoreFuture<'a, ()> {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        if locks.get(key).is_some_and(|(held, _)| held == token) {
            locks.remove(key);
        }
        ready(())
    }
}
