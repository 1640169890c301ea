//! Hashes the runtime names things by: a token's SHA-256 (so maps never hold a
//! refresh token), and a `Hasher` for map keys that are hashes already.

use std::hash::Hasher;

use sha2::{Digest, Sha256};

/// The SHA-256 of a token: how the refresh coordinator and the guard cache name
/// refresh tokens without holding them.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TokenHash([u8; 32]);

impl TokenHash {
    pub(crate) fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Passes a precomputed hash code through (no second hashing of a hash).
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
