//! Verified access tokens, keyed by a keyed 128-bit hash of the token, kept until they
//! expire.
//!
//! A signature check costs tens of microseconds; the same token comes back with every
//! request of a client. Keys are hashes, so the cache never holds a usable token. The
//! hash is SipHash-1-3 with 128-bit output under a random key drawn per verifier: a
//! pseudorandom function, so nobody without the key can make two tokens collide, at a
//! third of the cost of SHA-256 (which alone took 3.5% of a guarded server's time in
//! `BENCHMARKS.md`).

use std::{
    collections::HashMap,
    hash::{BuildHasherDefault, Hash, Hasher},
    sync::{Arc, RwLock},
};

use siphasher::sip128::{Hasher128, SipHasher13};

use crate::hash::PassThrough;

/// A cache key: the keyed 128-bit hash of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenKey(u128);

impl Hash for TokenKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Already uniformly distributed: half of it is a perfect hash code.
        state.write_u64(self.0 as u64);
    }
}

/// A bounded map from token keys to what verifying the tokens found.
pub(crate) struct VerifiedCache<V> {
    map: RwLock<HashMap<TokenKey, Arc<V>, BuildHasherDefault<PassThrough>>>,
    capacity: usize,
    keys: (u64, u64),
}

impl<V> VerifiedCache<V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            map: RwLock::new(HashMap::default()),
            capacity,
            keys: (rand::random(), rand::random()),
        }
    }

    /// The cache key of `token`.
    pub(crate) fn key(&self, token: &str) -> TokenKey {
        let mut hasher = SipHasher13::new_with_keys(self.keys.0, self.keys.1);
        hasher.write(token.as_bytes());
        TokenKey(hasher.finish128().as_u128())
    }

    pub(crate) fn get(&self, key: &TokenKey) -> Option<Arc<V>> {
        if self.capacity == 0 {
            return None;
        }
        self.map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    /// Stores `value`; when full, first drops what `expired` says has expired, then,
    /// if still full, everything (the cache only saves work: losing it is safe).
    pub(crate) fn insert(&self, key: TokenKey, value: Arc<V>, expired: impl Fn(&V) -> bool) {
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
        map.insert(key, value);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.read().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_within_capacity_dropping_expired_first() {
        let cache = VerifiedCache::new(2);
        let key = |token| cache.key(token);
        cache.insert(key("a"), Arc::new(1), |v| *v < 2);
        cache.insert(key("b"), Arc::new(5), |v| *v < 2);
        cache.insert(key("c"), Arc::new(6), |v| *v < 2);
        assert_eq!(cache.len(), 2);
        assert!(
            cache.get(&key("a")).is_none(),
            "the expired entry went first"
        );
        assert_eq!(cache.get(&key("b")).as_deref(), Some(&5));
        cache.insert(key("d"), Arc::new(7), |v| *v < 2);
        assert_eq!(cache.len(), 1, "nothing expired: cleared, then stored");
        assert_eq!(cache.get(&key("d")).as_deref(), Some(&7));
    }

    #[test]
    fn keys_depend_on_the_whole_token_and_the_cache() {
        let (a, b) = (VerifiedCache::<()>::new(1), VerifiedCache::<()>::new(1));
        assert_eq!(a.key("header.payload.sig"), a.key("header.payload.sig"));
        assert_ne!(a.key("header.payload.sig"), a.key("header.payloaD.sig"));
        assert_ne!(
            a.key("header.payload.sig"),
            b.key("header.payload.sig"),
            "keys are per cache"
        );
    }
}
