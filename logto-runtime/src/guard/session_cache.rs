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
    borrow::Cow,
    collections::HashMap,
    hash::BuildHasherDefault,
    sync::{Arc, RwLock},
};

use http::{HeaderMap, header::COOKIE};

use crate::{
    bearer::cache::{PassThrough, TokenHash},
    session::SessionData,
    settings::Settings,
    tokens::AccessToken,
};

/// How many verdicts are remembered (each holds a cookie, one to a few kilobytes).
const CAPACITY: usize = 4096;

/// A guard's verdict on one session cookie, for one token request.
pub(crate) struct Verdict {
    /// The `Cookie` header and the token request, as [`Key`] compares them.
    material: Box<[u8]>,
    /// Seconds since the epoch, by the settings' clock, until which it holds.
    valid_until: i64,
    /// The SHA-256 of the session's refresh token, to notice refreshes and revocations.
    refresh_token: Option<TokenHash>,
    /// The access token the guard judged (none for a guard that only needs a session).
    pub token: Option<AccessToken>,
}

/// What identifies a verdict: the request's `Cookie` header (all of it: cheaper than
/// picking our cookies out, and other cookies changing only costs a miss) and the
/// token request, borrowed from the request on the fast path.
pub(crate) struct Key<'a> {
    hash: u64,
    cookie: Cow<'a, [u8]>,
    /// `resource`, `organization` and whether a token is needed, as bytes.
    request: [&'a [u8]; 3],
}

#[derive(Default)]
pub(crate) struct SessionGuardCache {
    verdicts: RwLock<HashMap<u64, Arc<Verdict>, BuildHasherDefault<PassThrough>>>,
}

impl<'a> Key<'a> {
    /// The key of a request and a guard's token request, or `None` when there is
    /// nothing to cache (no `Cookie` header, or sessions in a store, which change
    /// behind an unchanged cookie).
    pub fn new(
        headers: &'a HeaderMap,
        settings: &Settings,
        resource: Option<&'a str>,
        organization: Option<&'a str>,
        needs_token: bool,
    ) -> Option<Self> {
        if settings.store.is_some() {
            return None;
        }
        let mut values = headers.get_all(COOKIE).iter();
        let first = values.next()?.as_bytes();
        let cookie = match values.next() {
            None => Cow::Borrowed(first),
            // HTTP/2 clients may send one header per cookie.
            Some(second) => {
                let mut joined = [first, b"; ", second.as_bytes()].concat();
                for value in values {
                    joined.extend_from_slice(b"; ");
                    joined.extend_from_slice(value.as_bytes());
                }
                Cow::Owned(joined)
            }
        };
        let request: [&'a [u8]; 3] = [
            resource.unwrap_or_default().as_bytes(),
            organization.unwrap_or_default().as_bytes(),
            if needs_token { b"t" } else { b"s" },
        ];
        let mut hash = fx_hash(0, &cookie);
        for part in request {
            hash = fx_hash(hash, part);
        }
        Some(Self {
            hash,
            cookie,
            request,
        })
    }

    fn parts(&self) -> impl Iterator<Item = &[u8]> {
        // Lengths first, so parts cannot run into each other.
        std::iter::once(&self.cookie[..]).chain(self.request)
    }

    fn material(&self) -> Box<[u8]> {
        let mut material = Vec::new();
        for part in self.parts() {
            material.extend_from_slice(&(part.len() as u64).to_le_bytes());
            material.extend_from_slice(part);
        }
        material.into_boxed_slice()
    }

    fn matches(&self, mut material: &[u8]) -> bool {
        for part in self.parts() {
            let Some((len, rest)) = material.split_first_chunk::<8>() else {
                return false;
            };
            if u64::from_le_bytes(*len) != part.len() as u64 || !rest.starts_with(part) {
                return false;
            }
            material = &rest[part.len()..];
        }
        material.is_empty()
    }
}

/// A four-lane FxHash: the lanes do not wait on each other, so a kilobyte of cookie
/// costs well under a hundred nanoseconds. A collision costs only a miss: entries are
/// compared in full.
fn fx_hash(seed: u64, bytes: &[u8]) -> u64 {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let word = |b: &[u8]| {
        let mut buf = [0; 8];
        buf[..b.len()].copy_from_slice(b);
        u64::from_le_bytes(buf)
    };
    let mut lanes = [seed ^ bytes.len() as u64, 1, 2, 3];
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        for (lane, chunk) in lanes.iter_mut().zip(block.chunks_exact(8)) {
            *lane = mix(*lane, word(chunk));
        }
    }
    let mut hash = lanes.iter().fold(0, |h, lane| mix(h, *lane));
    for chunk in blocks.remainder().chunks(8) {
        hash = mix(hash, word(chunk));
    }
    hash
}

impl SessionGuardCache {
    /// The verdict on `key`, if it still holds at `now` and the session's refresh token
    /// has no news (`has_news` asks the refresh coordinator).
    pub fn get(
        &self,
        key: &Key<'_>,
        now: i64,
        has_news: impl Fn(&TokenHash) -> bool,
    ) -> Option<Arc<Verdict>> {
        let verdict = self
            .verdicts
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key.hash)
            .cloned()?;
        (key.matches(&verdict.material)
            && now < verdict.valid_until
            && !verdict.refresh_token.as_ref().is_some_and(has_news))
        .then_some(verdict)
    }

    /// Remembers the verdict of a guard that passed on an unchanged `session`.
    pub fn insert(
        &self,
        key: &Key<'_>,
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
            material: key.material(),
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
        let cookie = b"logto_app=v1.abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop";
        let mut changed = *cookie;
        changed[40] ^= 1;
        assert_ne!(fx_hash(0, cookie), fx_hash(0, &changed));
        assert_ne!(fx_hash(0, cookie), fx_hash(1, cookie));
        assert_ne!(fx_hash(0, b"ab"), fx_hash(0, b"ab\0"));
    }

    #[test]
    fn keys_match_their_own_material_only() {
        let key = |cookie: &'static [u8], resource: &'static str| Key {
            hash: 0,
            cookie: Cow::Borrowed(cookie),
            request: [resource.as_bytes(), b"", b"t"],
        };
        let material = key(b"c=1", "https://a").material();
        assert!(key(b"c=1", "https://a").matches(&material));
        assert!(!key(b"c=1", "https://b").matches(&material));
        assert!(!key(b"c=12", "https://a").matches(&material));
        assert!(
            !key(b"c=", "1https://a").matches(&material),
            "parts cannot run into each other"
        );
    }
}
