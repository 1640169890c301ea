//! An in-process store: for tests and single-instance apps that want small cookies.

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
    time::{Duration, Instant},
};

use super::{
    Expect, LockToken, LogoutTarget, Record, Revocation, SessionStore, StoreFuture, unix_now,
};

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
    /// Back-channel logout's index: session ids by `sid:<sid>` and `sub:<sub>`.
    index: Mutex<HashMap<String, HashSet<String>>>,
    /// Cookie sessions' revocations, with their `until`.
    revocations: Mutex<HashMap<LogoutTarget, i64>>,
}

impl MemoryStore {
    /// A store of at most `capacity` sessions.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            sessions: Mutex::default(),
            locks: Mutex::default(),
            index: Mutex::default(),
            revocations: Mutex::default(),
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
        let mut index = self.index.lock().unwrap_or_else(|e| e.into_inner());
        // Ids of sessions gone (expired, evicted, signed out) go whenever a set is
        // touched, so the index never outgrows the sessions.
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let keys = sid
            .map(|sid| format!("sid:{sid}"))
            .into_iter()
            .chain([format!("sub:{sub}")]);
        for key in keys {
            let ids = index.entry(key).or_default();
            ids.retain(|id| sessions.contains_key(id));
            ids.insert(id.to_owned());
        }
        if index.len() > self.capacity.saturating_mul(2) {
            index.retain(|_, ids| ids.iter().any(|id| sessions.contains_key(id)));
        }
        ready(())
    }

    fn end_sessions<'a>(&'a self, target: &'a LogoutTarget) -> StoreFuture<'a, u64> {
        let key = match target {
            LogoutTarget::Sid(sid) => format!("sid:{sid}"),
            LogoutTarget::Subject { sub, .. } => format!("sub:{sub}"),
        };
        // One lock order everywhere (index, then sessions): the ids taken are exactly
        // the sessions that exist now.
        let mut index = self.index.lock().unwrap_or_else(|e| e.into_inner());
        let ids = index.remove(&key).unwrap_or_default();
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let ended = ids
            .iter()
            .filter(|id| sessions.remove(*id).is_some())
            .count();
        ready(ended as u64)
    }

    fn add_revocation<'a>(&'a self, revocation: &'a Revocation) -> StoreFuture<'a, ()> {
        let mut revocations = self.revocations.lock().unwrap_or_else(|e| e.into_inner());
        let until = revocations
            .entry(revocation.target.clone())
            .or_insert(revocation.until);
        *until = (*until).max(revocation.until);
        ready(())
    }

    fn revocations(&self) -> StoreFuture<'_, Vec<Revocation>> {
        let now = unix_now();
        let mut revocations = self.revocations.lock().unwrap_or_else(|e| e.into_inner());
        revocations.retain(|_, until| *until > now);
        let list = revocations
            .iter()
            .map(|(target, until)| Revocation {
                target: target.clone(),
                until: *until,
            })
            .collect();
        ready(list)
    }
}
