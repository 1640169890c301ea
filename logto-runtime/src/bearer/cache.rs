//! Verified access tokens, keyed by the SHA-256 of the token, kept until they expire.
//!
//! A signature check costs tens of microseconds; the same token comes back with every
//! request of a client. Keys are hashes, so the cache never holds a usable token.

use std::{
    collections::HashMap,
    hash::{BuildHasherDefault, Hash, Hasher},
    sync::{Arc, RwLock},
};

use sha2::{Digest, Sha256};

/// The SHA-256 of a token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenHash([u8; 32]);

impl TokenHash {
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl Hash for TokenHash {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Already uniformly distributed: eight of its bytes are a perfect hash code.
        let mut first = [0; 8];
        first.copy_from_slice(&self.0[..8]);
        state.write_u64(u64::from_le_bytes(first));
    }
}

/// Passes [`TokenHash`]'s eight bytes through (no SipHash round on a SHA-256).
#[derive(Default)]
pub(crate) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// A bounded map from token hashes to what verifying them found.
pub(crate) struct VerifiedCache<V> {
    map: RwLock<HashMap<TokenHash, Arc<V>, BuildHasherDefault<PassThrough>>>,
    capacity: usize,
}

impl<V> VerifiedCache<V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            map: RwLock::new(HashMap::default()),
            capacity,
        }
    }

    pub fn get(&self, hash: &TokenHash) -> Option<Arc<V>> {
        if self.capacity == 0 {
            return None;
        }
        self.map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(hash)
            .cloned()
    }

    /// Stores `value`; when full, first drops what `expired` says has expired, then,
    /// if still full, everything (the cache only saves work: losing it is safe).
    pub fn insert(&self, hash: TokenHash, value: Arc<V>, expired: impl Fn(&V) -> bool) {
        if self.capacity == 0 {
            return;
        }
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= self.capacity {
            map.retain(|_, v| !expired(v));
            if map.len() >= self.capacity {
                map.clear();
            }
        }
        map.insert(hash, value);
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.read().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_within_capacity_dropping_expired_first() {
        let cache = VerifiedCache::new(2);
        cache.insert(TokenHash::of("a"), Arc::new(1), |v| *v < 2);
        cache.insert(TokenHash::of("b"), Arc::new(5), |v| *v < 2);
        cache.insert(TokenHash::of("c"), Arc::new(6), |v| *v < 2);
        assert_eq!(cache.len(), 2);
        assert!(
            cache.get(&TokenHash::of("a")).is_none(),
            "the expired entry went first"
        );
        assert_eq!(cache.get(&TokenHash::of("b")).as_deref(), Some(&5));
        cache.insert(TokenHash::of("d"), Arc::new(7), |v| *v < 2);
        assert_eq!(cache.len(), 1, "nothing expired: cleared, then stored");
        assert_eq!(cache.get(&TokenHash::of("d")).as_deref(), Some(&7));
    }
}
