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
//! Entries are keyed by this SDK's session cookie only, never by the whole `Cookie`
//! header: other cookies (an attacker's junk included) change nothing. The key is short
//! whatever the session's size: the sealed value's length, its first bytes (format and
//! the AES-GCM nonce, fresh at every seal) and its last bytes (the GCM tag, which
//! authenticates everything between), plus the token request. Entries keep that
//! material and are found by a keyed 128-bit SipHash of it (a random key per cache, so
//! nobody can make two keys collide), then compared in full. The cache is bounded in
//! entries and in bytes.

use std::{
    collections::HashMap,
    hash::{BuildHasherDefault, Hasher},
    sync::{Arc, RwLock},
};

use http::{HeaderMap, header::COOKIE};
use siphasher::sip128::{Hasher128, SipHasher13};

use crate::{
    bearer::cache::{PassThrough, TokenHash},
    session::{SessionData, chunks},
    settings::Settings,
    tokens::AccessToken,
};

/// How many verdicts are remembered.
const CAPACITY: usize = 4096;
/// How many bytes the verdicts may hold together (material and tokens).
const MAX_BYTES: usize = 8 << 20;
/// The sealed value's head the key takes: `v1.` and the 12-byte nonce in base64url.
const HEAD: usize = 3 + 16;
/// The sealed value's tail the key takes: the 16-byte GCM tag in base64url.
const TAIL: usize = 22;

/// A guard's verdict on one session cookie, for one token request.
pub(crate) struct Verdict {
    /// The key's material, as [`Key`] compares it.
    material: Box<[u8]>,
    /// Seconds since the epoch, by the settings' clock, until which it holds.
    valid_until: i64,
    /// The SHA-256 of the session's refresh token, to notice refreshes and revocations.
    refresh_token: Option<TokenHash>,
    /// The access token the guard judged (none for a guard that only needs a session).
    pub token: Option<AccessToken>,
}

impl Verdict {
    /// What the verdict holds in memory, roughly.
    fn bytes(&self) -> usize {
        let token = self.token.as_ref().map_or(0, |t| {
            t.token.len()
                + t.scopes.iter().map(|s| s.len() + 24).sum::<usize>()
                + t.resource.as_ref().map_or(0, String::len)
                + t.organization_id.as_ref().map_or(0, String::len)
        });
        std::mem::size_of::<Self>() + self.material.len() + token + 64
    }
}

/// What identifies a verdict: the ends of the sealed session cookie and the token
/// request, as length-prefixed parts.
pub(crate) struct Key {
    hash: u128,
    material: Vec<u8>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<u64, Arc<Verdict>, BuildHasherDefault<PassThrough>>,
    bytes: usize,
}

pub(crate) struct SessionGuardCache {
    verdicts: RwLock<Entries>,
    keys: (u64, u64),
}

impl Default for SessionGuardCache {
    fn default() -> Self {
        Self {
            verdicts: RwLock::default(),
            keys: (rand::random(), rand::random()),
        }
    }
}

/// The ends of the sealed session value exactly as the session reader finds it
/// (`RequestSession::from_headers`, then `chunks::join`): the first plain cookie, or
/// the first of each chunk `.0`, `.1`, ... named exactly as `join` names them. `None`
/// when the reader finds no value (none at all, a chunk past the limit, more bytes
/// than the budget).
fn sealed_ends<'h>(headers: &'h HeaderMap, name: &str) -> Option<(usize, &'h [u8], &'h [u8])> {
    let mut plain: Option<&str> = None;
    let mut parts: [Option<&str>; chunks::MAX_CHUNKS + 1] = [None; chunks::MAX_CHUNKS + 1];
    let pairs = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='));
    for (cookie, value) in pairs {
        let Some(rest) = cookie.strip_prefix(name) else {
            continue;
        };
        let value = value.trim_matches('"');
        if rest.is_empty() {
            plain.get_or_insert(value);
        } else if let Some(index) = rest.strip_prefix('.').and_then(chunk_index)
            && let Some(slot) = parts.get_mut(index)
        {
            slot.get_or_insert(value);
        }
    }
    let (first, last, len) = match plain {
        Some(value) => (value, value, value.len()),
        None => {
            let present = parts.iter().map_while(|p| *p);
            if present.clone().count() > chunks::MAX_CHUNKS {
                return None;
            }
            let len = present.clone().map(str::len).sum();
            (present.clone().next()?, present.last()?, len)
        }
    };
    if len > chunks::MAX_COOKIE_BYTES {
        return None;
    }
    let head = &first.as_bytes()[..HEAD.min(first.len())];
    let tail = &last.as_bytes()[last.len().saturating_sub(TAIL)..];
    Some((len, head, tail))
}

/// A chunk's index as `chunks::join` writes it: decimal, no sign, no leading zero.
fn chunk_index(digits: &str) -> Option<usize> {
    let canonical = digits == "0" || (!digits.starts_with('0') && !digits.is_empty());
    if !canonical || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl Key {
    /// The key of a request and a guard's token request, or `None` when there is
    /// nothing to cache (no session cookie, or sessions in a store, which change
    /// behind an unchanged cookie).
    pub fn new(
        cache: &SessionGuardCache,
        headers: &HeaderMap,
        settings: &Settings,
        resource: Option<&str>,
        organization: Option<&str>,
        needs_token: bool,
    ) -> Option<Self> {
        if settings.store.is_some() {
            return None;
        }
        let (len, head, tail) = sealed_ends(headers, &settings.cookie_name)?;
        let len = (len as u64).to_le_bytes();
        let parts: [&[u8]; 6] = [
            &len,
            head,
            tail,
            resource.unwrap_or_default().as_bytes(),
            organization.unwrap_or_default().as_bytes(),
            if needs_token { b"t" } else { b"s" },
        ];
        let mut material = Vec::with_capacity(128);
        // Lengths first, so parts cannot run into each other.
        for part in parts {
            material.extend_from_slice(&(part.len() as u64).to_le_bytes());
            material.extend_from_slice(part);
        }
        let mut hasher = SipHasher13::new_with_keys(cache.keys.0, cache.keys.1);
        hasher.write(&material);
        Some(Self {
            hash: hasher.finish128().as_u128(),
            material,
        })
    }
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
            .map
            .get(&(key.hash as u64))
            .cloned()?;
        (*verdict.material == *key.material
            && now < verdict.valid_until
            && !verdict.refresh_token.as_ref().is_some_and(has_news))
        .then_some(verdict)
    }

    /// Remembers the verdict of a guard that passed on an unchanged `session`.
    pub fn insert(
        &self,
        key: &Key,
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
            material: key.material.clone().into_boxed_slice(),
            valid_until,
            refresh_token: session.refresh_token.as_deref().map(TokenHash::of),
            token,
        });
        let size = verdict.bytes();
        let mut entries = self.verdicts.write().unwrap_or_else(|e| e.into_inner());
        if entries.map.len() >= CAPACITY || entries.bytes + size > MAX_BYTES {
            entries.map.retain(|_, v| v.valid_until > now);
            entries.bytes = entries.map.values().map(|v| v.bytes()).sum();
            if entries.map.len() >= CAPACITY || entries.bytes + size > MAX_BYTES {
                // Only a cache: losing it costs a decryption per session, once.
                entries.map.clear();
                entries.bytes = 0;
            }
        }
        if let Some(old) = entries.map.insert(key.hash as u64, verdict) {
            entries.bytes -= old.bytes();
        }
        entries.bytes += size;
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.verdicts
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .bytes
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for cookie in cookies {
            headers.append(COOKIE, HeaderValue::from_str(cookie).unwrap());
        }
        headers
    }

    const SEALED: &str = "v1.AAAAAAAAAAAAAAAAmiddle-of-the-ciphertext-TTTTTTTTTTTTTTTTTTTTTT";

    #[test]
    fn only_our_cookie_counts() {
        let ours = format!("logto_app={SEALED}");
        let ours_only = headers(&[&ours]);
        let plain = sealed_ends(&ours_only, "logto_app").unwrap();
        let junk = format!("junk={}; {ours}; other=1", "x".repeat(100_000));
        assert_eq!(sealed_ends(&headers(&[&junk]), "logto_app"), Some(plain));
        assert_eq!(
            sealed_ends(&headers(&["a=1", &ours, "b=2"]), "logto_app"),
            Some(plain),
            "one header per cookie (HTTP/2)"
        );
        assert_eq!(plain.1, b"v1.AAAAAAAAAAAAAAAA");
        assert_eq!(plain.2, b"TTTTTTTTTTTTTTTTTTTTTT");
        assert_eq!(sealed_ends(&headers(&["logto_apple=1"]), "logto_app"), None);
        assert_eq!(sealed_ends(&headers(&[]), "logto_app"), None);
    }

    #[test]
    fn chunks_are_read_as_join_reads_them() {
        let split = chunks::split("logto_app", &SEALED.repeat(100));
        assert_eq!(split.len(), 2);
        let cookie = split
            .iter()
            .rev()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let chunked = headers(&[&cookie]);
        let (len, head, tail) = sealed_ends(&chunked, "logto_app").unwrap();
        assert_eq!(len, SEALED.len() * 100);
        assert_eq!(head, b"v1.AAAAAAAAAAAAAAAA");
        assert_eq!(tail, b"TTTTTTTTTTTTTTTTTTTTTT");
        let only_second = format!("{}={}", split[1].0, split[1].1);
        assert_eq!(sealed_ends(&headers(&[&only_second]), "logto_app"), None);
        // Names the reader never looks up change nothing; a chunk past the limit makes
        // the reader refuse the session, so the cache has no key either.
        let odd = format!("{cookie}; logto_app.01=x; logto_app.+1=y");
        assert_eq!(
            sealed_ends(&headers(&[&odd]), "logto_app"),
            Some((len, head, tail))
        );
        let extra = format!("{cookie}; logto_app.{}=x", chunks::MAX_CHUNKS);
        assert_eq!(sealed_ends(&headers(&[&extra]), "logto_app"), None);
    }

    fn session() -> SessionData {
        SessionData {
            id_token: "id".into(),
            refresh_token: Some("r".into()),
            access_token: None,
            tokens: Default::default(),
            userinfo: None,
            id_expires_at: 1000,
            issued_at: 0,
            expires_at: 1000,
        }
    }

    fn settings() -> Settings {
        crate::settings::tests::builder().validate().unwrap()
    }

    #[test]
    fn junk_cookies_neither_miss_nor_grow_the_cache() {
        let cache = SessionGuardCache::default();
        let settings = settings();
        let ours = format!("{}={SEALED}", settings.cookie_name);
        let key = Key::new(&cache, &headers(&[&ours]), &settings, None, None, false).unwrap();
        cache.insert(&key, &session(), None, None, 0);
        let after_one = cache.bytes();
        for i in 0..1500 {
            let junk = format!("junk{i}={}; {ours}", "x".repeat(10_000));
            let key = Key::new(&cache, &headers(&[&junk]), &settings, None, None, false).unwrap();
            assert!(
                cache.get(&key, 0, |_| false).is_some(),
                "a hit whatever the junk"
            );
            cache.insert(&key, &session(), None, None, 0);
        }
        assert_eq!(cache.bytes(), after_one, "the same entry, replaced");
        assert!(after_one < 1024, "{after_one} bytes for one verdict");
    }

    #[test]
    fn the_cache_is_bounded_in_entries_and_bytes() {
        let cache = SessionGuardCache::default();
        let settings = settings();
        for i in 0..(CAPACITY * 2) {
            let cookie = format!("{}=v1.{i:016}middle{i:022}", settings.cookie_name);
            let key = Key::new(&cache, &headers(&[&cookie]), &settings, None, None, false).unwrap();
            cache.insert(&key, &session(), None, None, 0);
            assert!(cache.bytes() <= MAX_BYTES);
            assert!(cache.verdicts.read().unwrap().map.len() <= CAPACITY);
        }
    }

    #[test]
    fn keys_tell_requests_and_sessions_apart() {
        let cache = SessionGuardCache::default();
        let settings = settings();
        let ours = format!("{}={SEALED}", settings.cookie_name);
        let h = headers(&[&ours]);
        let key =
            |resource, org, token| Key::new(&cache, &h, &settings, resource, org, token).unwrap();
        let base = key(Some("https://a"), None, true);
        assert_eq!(base.material, key(Some("https://a"), None, true).material);
        assert_ne!(base.material, key(Some("https://b"), None, true).material);
        assert_ne!(
            base.material,
            key(Some("https://a"), Some("o"), true).material
        );
        assert_ne!(base.material, key(Some("https://a"), None, false).material);
        let other = format!(
            "{}={}",
            settings.cookie_name,
            SEALED.replace("TTTT", "UUUU")
        );
        let h2 = headers(&[&other]);
        let other_key = Key::new(&cache, &h2, &settings, Some("https://a"), None, true).unwrap();
        assert_ne!(
            base.material, other_key.material,
            "another tag is another session"
        );
        assert_ne!(
            Key::new(
                &SessionGuardCache::default(),
                &h,
                &settings,
                Some("https://a"),
                None,
                true
            )
            .unwrap()
            .hash,
            base.hash,
            "hash keys are per cache"
        );
    }
}
