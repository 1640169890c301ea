//! The verdicts of session guards, keyed by the session cookie, so a guard on a busy
//! route does not decrypt and parse the same cookie on every request.
//!
//! With cookie sessions the cookie *is* the session: the same (authenticated,
//! encrypted) bytes always hold the same tokens, so the verdict on them holds until the
//! first of their deadlines (the ID token, the session, the access token's refresh
//! time), unless this process has since refreshed or revoked the session's refresh
//! token (then the slow path catches the cookie up, as without the cache). Sessions in
//! a store change behind an unchanged cookie: they are never cached.
//!
//! Entries keep the cookie's bytes (ciphertext) and are found by a fast hash of them,
//! then compared in full: cheaper than a cryptographic hash of a kilobyte or more, and
//! a collision costs only a miss.

use std::{
    collections::HashMap,
    hash::BuildHasherDefault,
    sync::{Arc, RwLock},
};

use http::{HeaderMap, header::COOKIE};

use crate::{
    bearer::cache::{PassThrough, TokenHash},
    session::{SessionData, chunks},
    settings::Settings,
    tokens::AccessToken,
};

/// How many verdicts are remembered (each holds a cookie, one to a few kilobytes).
const CAPACITY: usize = 4096;

/// A guard's verdict on one session cookie, for one token request.
pub(crate) struct Verdict {
    /// The session cookie's name-value pairs and the token request's key, as hashed.
    material: Box<str>,
    /// Seconds since the epoch, by the settings' clock, until which it holds.
    valid_until: i64,
    /// The SHA-256 of the session's refresh token, to notice refreshes and revocations.
    refresh_token: Option<TokenHash>,
    /// The access token the guard judged (none for a guard that only needs a session).
    pub token: Option<AccessToken>,
}

/// What identifies a verdict: a hash and the bytes it was computed from.
pub(crate) struct Key {
    hash: u64,
    material: String,
}

#[derive(Default)]
pub(crate) struct SessionGuardCache {
    verdicts: RwLock<HashMap<u64, Arc<Verdict>, BuildHasherDefault<PassThrough>>>,
}

/// The key of a request's session cookie and a guard's token request key, or `None`
/// when there is nothing to cache (no session cookie, or sessions in a store).
pub(crate) fn key(headers: &HeaderMap, settings: &Settings, request_key: &str) -> Option<Key> {
    if settings.store.is_some() {
        return None;
    }
    let mut material = String::new();
    for header in headers.get_all(COOKIE) {
        let Ok(header) = header.to_str() else {
            continue;
        };
        for pair in header.split(';') {
            let pair = pair.trim();
            if let Some((name, _)) = pair.split_once('=')
                && chunks::is_part_of(&settings.cookie_name, name)
            {
                material.push_str(pair);
                material.push(';');
            }
        }
    }
    if material.is_empty() {
        return None;
    }
    material.push_str(request_key);
    Some(Key {
        hash: fx_hash(material.as_bytes()),
        material,
    })
}

/// FxHash over 8-byte words: a few hundred instructions for a kilobyte.
fn fx_hash(bytes: &[u8]) -> u64 {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mut hash = bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut buf = [0; 8];
        buf.copy_from_slice(word);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(buf)).wrapping_mul(SEED);
    }
    for byte in words.remainder() {
        hash = (hash.rotate_left(5) ^ u64::from(*byte)).wrapping_mul(SEED);
    }
    hash
}

impl SessionGuardCache {
    /// The verdict on `key`, if it still holds at `now` and the session's refresh token
    /// has no news (`has_news` asks the refresh coordinator).
    pub fn get(
        &self,
        key: &Key,
        now: i64,
        has_news: impl Fn(&TokenHash) -> bool,
    ) -> Option<Arc<Verdict>> {
        let verdict = self
            .verdicts
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key.hash)
            .cloned()?;
        (*verdict.material == *key.material
            && now < verdict.valid_until
            && !verdict.refresh_token.as_ref().is_some_and(has_news))
        .then_some(verdict)
    }

    /// Remembers the verdict of a guard that passed on an unchanged `session`.
    pub fn insert(
        &self,
        key: Key,
        session: &SessionData,
        token_refresh_at: Option<i64>,
        token: Option<AccessToken>,
        now: i64,
    ) {
        let mut valid_until = session.id_expires_at.min(session.expires_at);
        if let Some(refresh_at) = token_refresh_at {
            valid_until = valid_until.min(refresh_at);
        }
        if valid_until <= now {
            return;
        }
        let verdict = Arc::new(Verdict {
            material: key.material.into_boxed_str(),
            valid_until,
            refresh_token: session.refresh_token.as_deref().map(TokenHash::of),
            token,
        });
        let mut verdicts = self.verdicts.write().unwrap_or_else(|e| e.into_inner());
        if verdicts.len() >= CAPACITY {
            verdicts.retain(|_, v| v.valid_until > now);
            if verdicts.len() >= CAPACITY {
                // Only a cache: losing it costs a decryption per session, once.
                verdicts.clear();
            }
        }
        verdicts.insert(key.hash, verdict);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_spreads_small_changes() {
        let a = fx_hash(b"logto_app=v1.abcdefgh;https://api.example.com#");
        let b = fx_hash(b"logto_app=v1.abcdefgi;https://api.example.com#");
        let c = fx_hash(b"logto_app=v1.abcdefgh;https://api.example.com#org");
        assert_ne!(a, b);
        assert_ne!(a, c);
    }
}
