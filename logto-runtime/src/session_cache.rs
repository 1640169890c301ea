//! What a session cookie's bytes decide, kept so a busy route does not decrypt and
//! parse the same cookie on every request: the decoded session with its ID token's
//! claims (for `Context`, the claims extractors and `access_token`), and the guards'
//! verdicts. One cache serves them all, under one key and one invalidation.
//!
//! With cookie sessions the cookie *is* the session: the same (authenticated,
//! encrypted) bytes always hold the same tokens, so what they decide holds until the
//! first of their deadlines (the ID token, the session, for a verdict the access
//! token's refresh time), unless this process has since refreshed or revoked the
//! session's refresh token (then the slow path catches the cookie up, as without the
//! cache). Sessions in a store change behind an unchanged cookie, so their cookie is
//! never a key; their records are: the bytes a store returns decode the same way every
//! time (each save seals afresh, with a new nonce), so a record read again unchanged is
//! served decoded, its store read still made.
//!
//! Entries are keyed by this SDK's session cookie only, never by the whole `Cookie`
//! header: other cookies (an attacker's junk included) change nothing. The key is short
//! whatever the session's size: the sealed value's length, its first bytes (format and
//! the AES-GCM nonce, fresh at every seal) and its last bytes (the GCM tag, which
//! authenticates everything between), plus what is looked up (the decoded session, or
//! a guard's token request). Entries keep that material and are found by a keyed
//! SipHash-1-3 of it (a random key per cache, so nobody can make keys collide to slow
//! the map down), then compared in full, the whole sealed value included: an entry
//! serves only the exact bytes that were decrypted and authenticated when it was made
//! (a cookie changed anywhere between its ends is decrypted, and refused, as without
//! the cache). The cache is bounded in entries and in bytes.
//!
//! An entry keeps the session's provider session (`sid`), user and sign-in time, and
//! every hit is checked against the back-channel logouts this instance knows: a
//! logged-out session is never served from an entry made before its logout.

use std::{
    collections::HashMap,
    hash::{BuildHasherDefault, Hasher},
    sync::{Arc, RwLock},
};

use serde_json::{Map, Value};
use siphasher::sip::SipHasher13;

use crate::{
    hash::{PassThrough, TokenHash},
    revocation::RevocationList,
    session::{RequestSession, SessionData, chunks::MAX_CHUNKS},
    settings::Settings,
    tokens::AccessToken,
};

/// How many entries are remembered.
const CAPACITY: usize = 4096;
/// How many bytes the entries may hold together (material, sessions, claims, tokens).
const MAX_BYTES: usize = 16 << 20;
/// The sealed value's head the key takes: `v1.` and the 12-byte nonce in base64url.
const HEAD: usize = 3 + 16;
/// The sealed value's tail the key takes: the 16-byte GCM tag in base64url.
const TAIL: usize = 22;

/// A session as its cookie decodes: the data and its ID token's claims, shared.
#[derive(Clone)]
pub(crate) struct Decoded {
    pub data: Arc<SessionData>,
    pub id_claims: Arc<Map<String, Value>>,
}

/// What an entry holds.
pub(crate) enum Cached {
    /// A guard passed the session, with the access token it judged (none for a guard
    /// that only needs a session).
    Verdict(Option<AccessToken>),
    /// The session, decoded.
    Session(Decoded),
}

/// What one session cookie decided, for one lookup.
pub(crate) struct Entry {
    /// The key's material, as [`Key`] compares it.
    material: Box<[u8]>,
    /// The whole sealed value the entry was made from, compared in full at every hit.
    sealed: Box<[u8]>,
    /// Seconds since the epoch, by the settings' clock, until which it holds.
    valid_until: i64,
    /// The SHA-256 of the session's refresh token, to notice refreshes and revocations.
    refresh_token: Option<TokenHash>,
    /// Whose session it is, for back-channel logout: the provider session, the user
    /// and the sign-in time.
    sid: Option<Box<str>>,
    sub: Option<Box<str>>,
    signed_in_at: i64,
    pub value: Cached,
    /// What it is charged against the cache's byte budget, computed once.
    size: usize,
}

impl Entry {
    /// The access token a verdict judged.
    pub(crate) fn token(&self) -> Option<&AccessToken> {
        match &self.value {
            Cached::Verdict(token) => token.as_ref(),
            Cached::Session(_) => None,
        }
    }

    /// What the entry holds in memory, generously: a decoded session is charged eight
    /// times its sealed size (its strings, and claims trees whose nodes and values
    /// weigh several times their JSON), so the byte budget bounds real memory.
    fn bytes(&self) -> usize {
        let value = match &self.value {
            Cached::Verdict(token) => token.as_ref().map_or(0, |t| {
                t.token.len()
                    + t.scopes.iter().map(|s| s.len() + 24).sum::<usize>()
                    + t.resource.as_ref().map_or(0, String::len)
                    + t.organization_id.as_ref().map_or(0, String::len)
            }),
            Cached::Session(_) => self.sealed.len() * 8,
        };
        let owner =
            self.sid.as_ref().map_or(0, |s| s.len()) + self.sub.as_ref().map_or(0, |s| s.len());
        std::mem::size_of::<Self>() + self.material.len() + self.sealed.len() + value + owner + 64
    }
}

/// What is looked up for a session cookie.
#[derive(Clone, Copy)]
pub(crate) enum Lookup<'a> {
    /// The decoded session.
    Session,
    /// A guard's verdict on a token request: the resource, the organization, and
    /// whether a token is needed at all.
    Verdict {
        resource: Option<&'a str>,
        organization: Option<&'a str>,
        needs_token: bool,
    },
}

/// What identifies an entry: the ends of the sealed session cookie (copied), its parts
/// (borrowed from the request, for the full comparison) and the lookup (borrowed); the
/// fast path allocates nothing.
pub(crate) struct Key<'a> {
    hash: u64,
    len: [u8; 8],
    head: ([u8; HEAD], usize),
    tail: ([u8; TAIL], usize),
    /// The resource, the organization, and what is looked up.
    request: [&'a [u8]; 3],
    /// The sealed value's parts (its cookie chunks, or a stored record), in order.
    sealed: ([&'a [u8]; MAX_CHUNKS], usize),
}

#[derive(Default)]
struct Entries {
    map: HashMap<u64, Arc<Entry>, BuildHasherDefault<PassThrough>>,
    bytes: usize,
}

pub(crate) struct SessionCache {
    entries: RwLock<Entries>,
    keys: (u64, u64),
    /// The back-channel logouts every hit is checked against.
    revocations: Arc<RevocationList>,
}

/// For tests only: a cache with a revocation list of its own, which no back-channel
/// logout reaches.
#[cfg(any(test, feature = "fuzzing"))]
impl Default for SessionCache {
    fn default() -> Self {
        Self::new(Arc::default())
    }
}

impl SessionCache {
    pub(crate) fn new(revocations: Arc<RevocationList>) -> Self {
        Self {
            entries: RwLock::default(),
            keys: (rand::random(), rand::random()),
            revocations,
        }
    }
}

impl<'a> Key<'a> {
    /// The key of a request's session cookie and a lookup, or `None` when there is
    /// nothing to cache (no session cookie, or sessions in a store, which change behind
    /// an unchanged cookie). The session's cookies are read exactly as the session
    /// reader reads them: it is the reader's own parse.
    pub(crate) fn new(
        cache: &SessionCache,
        session: &'a RequestSession,
        settings: &Settings,
        lookup: Lookup<'a>,
    ) -> Option<Self> {
        if settings.store.is_some() {
            return None;
        }
        let (chunks, count) = session.sealed_parts(&settings.cookie_name)?;
        let mut sealed = ([&b""[..]; MAX_CHUNKS], count);
        for (part, chunk) in sealed.0.iter_mut().zip(&chunks[..count]) {
            *part = chunk.as_bytes();
        }
        let request = match lookup {
            Lookup::Session => [&b""[..], b"", b"d"],
            Lookup::Verdict {
                resource,
                organization,
                needs_token,
            } => [
                resource.unwrap_or_default().as_bytes(),
                organization.unwrap_or_default().as_bytes(),
                if needs_token { b"t" } else { b"s" },
            ],
        };
        Self::of(cache, sealed, request)
    }

    /// The key of a session record as the store returned it under `id`: what it
    /// decrypts and decodes to depends on these bytes alone (every save seals afresh,
    /// with a new nonce), so a record read again unchanged is not decoded again.
    pub(crate) fn record(cache: &SessionCache, id: &'a str, record: &'a [u8]) -> Option<Self> {
        let mut sealed = ([&b""[..]; MAX_CHUNKS], 1);
        sealed.0[0] = record;
        Self::of(cache, sealed, [id.as_bytes(), b"", b"r"])
    }

    fn of(
        cache: &SessionCache,
        sealed: ([&'a [u8]; MAX_CHUNKS], usize),
        request: [&'a [u8]; 3],
    ) -> Option<Self> {
        let parts = &sealed.0[..sealed.1];
        let (first, last) = (parts.first()?, parts.last()?);
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let mut head = ([0; HEAD], HEAD.min(first.len()));
        head.0[..head.1].copy_from_slice(&first[..head.1]);
        let mut tail = ([0; TAIL], TAIL.min(last.len()));
        tail.0[..tail.1].copy_from_slice(&last[last.len() - tail.1..]);
        let mut key = Self {
            hash: 0,
            len: (len as u64).to_le_bytes(),
            head,
            tail,
            request,
            sealed,
        };
        let mut hasher = SipHasher13::new_with_keys(cache.keys.0, cache.keys.1);
        for part in key.all_parts() {
            // Lengths first, so parts cannot run into each other.
            hasher.write_usize(part.len());
            hasher.write(part);
        }
        key.hash = hasher.finish();
        Some(key)
    }

    fn all_parts(&self) -> impl Iterator<Item = &[u8]> {
        [
            &self.len[..],
            &self.head.0[..self.head.1],
            &self.tail.0[..self.tail.1],
        ]
        .into_iter()
        .chain(self.request)
    }

    /// The parts, length-prefixed, as an entry keeps them.
    fn material(&self) -> Box<[u8]> {
        let mut material = Vec::new();
        for part in self.all_parts() {
            material.extend_from_slice(&(part.len() as u64).to_le_bytes());
            material.extend_from_slice(part);
        }
        material.into_boxed_slice()
    }

    /// The sealed value, reassembled, as an entry keeps it.
    fn sealed_value(&self) -> Box<[u8]> {
        self.sealed.0[..self.sealed.1].concat().into_boxed_slice()
    }

    /// Whether `entry` was made from exactly this key: the material, then the whole
    /// sealed value, compared without reassembling it.
    fn matches_entry(&self, entry: &Entry) -> bool {
        if !self.matches(&entry.material) {
            return false;
        }
        let mut rest = &entry.sealed[..];
        for part in &self.sealed.0[..self.sealed.1] {
            let Some((head, tail)) = rest.split_at_checked(part.len()) else {
                return false;
            };
            if head != *part {
                return false;
            }
            rest = tail;
        }
        rest.is_empty()
    }

    /// Whether `material` is this key's, compared in full without building it.
    fn matches(&self, mut material: &[u8]) -> bool {
        for part in self.all_parts() {
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

impl SessionCache {
    /// The entry of `key`, if it still holds at `now` and the session's refresh token
    /// has no news (`has_news` asks the refresh coordinator).
    pub(crate) fn get(
        &self,
        key: &Key<'_>,
        now: i64,
        has_news: impl Fn(&TokenHash) -> bool,
    ) -> Option<Arc<Entry>> {
        let entry = self
            .entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .map
            .get(&key.hash)
            .cloned()?;
        (key.matches_entry(&entry)
            && now < entry.valid_until
            && !entry.refresh_token.as_ref().is_some_and(has_news)
            && !self.revocations.revokes(
                entry.sid.as_deref(),
                || entry.sub.as_deref().map(str::to_owned),
                entry.signed_in_at,
                now,
            ))
        .then_some(entry)
    }

    /// The decoded session of `key`, if it still holds, with the hash of its refresh
    /// token.
    pub(crate) fn session(
        &self,
        key: &Key<'_>,
        now: i64,
        has_news: impl Fn(&TokenHash) -> bool,
    ) -> Option<(Decoded, Option<TokenHash>)> {
        let entry = self.get(key, now, has_news)?;
        match &entry.value {
            Cached::Session(decoded) => Some((decoded.clone(), entry.refresh_token)),
            Cached::Verdict(_) => None,
        }
    }

    /// Remembers the verdict of a guard that passed on an unchanged `session`.
    pub(crate) fn insert_verdict(
        &self,
        key: &Key<'_>,
        session: &SessionData,
        token_refresh_at: Option<i64>,
        token: Option<AccessToken>,
        now: i64,
    ) {
        self.insert(key, session, token_refresh_at, Cached::Verdict(token), now);
    }

    /// Remembers a session as its cookie decoded, unchanged by the request.
    pub(crate) fn insert_session(&self, key: &Key<'_>, decoded: Decoded, now: i64) {
        let data = decoded.data.clone();
        self.insert(key, &data, None, Cached::Session(decoded), now);
    }

    fn insert(
        &self,
        key: &Key<'_>,
        session: &SessionData,
        token_refresh_at: Option<i64>,
        value: Cached,
        now: i64,
    ) {
        let mut valid_until = session.id_expires_at.min(session.expires_at);
        if let Some(refresh_at) = token_refresh_at {
            valid_until = valid_until.min(refresh_at);
        }
        if valid_until <= now {
            return;
        }
        let mut entry = Entry {
            material: key.material(),
            sealed: key.sealed_value(),
            valid_until,
            refresh_token: session.refresh_token.as_deref().map(TokenHash::of),
            sid: session.sid.as_deref().map(Box::from),
            sub: session.sub().map(String::into_boxed_str),
            signed_in_at: session.signed_in_at,
            value,
            size: 0,
        };
        entry.size = entry.bytes();
        let size = entry.size;
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.map.len() >= CAPACITY || entries.bytes + size > MAX_BYTES {
            entries.map.retain(|_, v| v.valid_until > now);
            // Still full: half the entries go, the map's order (by keyed hash) choosing
            // which, so one client cycling through many cookies cannot flush everyone
            // else's at once. Only a cache: an entry lost costs one decryption.
            let mut keep = false;
            while !entries.map.is_empty()
                && (entries.map.len() >= CAPACITY
                    || entries.map.values().map(|v| v.size).sum::<usize>() + size > MAX_BYTES)
            {
                entries.map.retain(|_, _| {
                    keep = !keep;
                    keep
                });
            }
            entries.bytes = entries.map.values().map(|v| v.size).sum();
        }
        if let Some(old) = entries.map.insert(key.hash, Arc::new(entry)) {
            entries.bytes -= old.size;
        }
        entries.bytes += size;
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).bytes
    }
}

#[cfg(test)]
mod tests {
    use http::{HeaderMap, HeaderValue, header::COOKIE};

    use super::*;
    use crate::session::chunks;

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for cookie in cookies {
            headers.append(COOKIE, HeaderValue::from_str(cookie).unwrap());
        }
        headers
    }

    /// A plain session guard's lookup.
    const PLAIN: Lookup<'static> = Lookup::Verdict {
        resource: None,
        organization: None,
        needs_token: false,
    };

    fn verdict<'a>(
        resource: Option<&'a str>,
        organization: Option<&'a str>,
        needs_token: bool,
    ) -> Lookup<'a> {
        Lookup::Verdict {
            resource,
            organization,
            needs_token,
        }
    }

    const SEALED: &str = "v1.AAAAAAAAAAAAAAAAmiddle-of-the-ciphertext-TTTTTTTTTTTTTTTTTTTTTT";

    fn settings() -> Settings {
        crate::settings::tests::builder().validate().unwrap()
    }

    /// The material of the key of a request with `cookies`, for a plain session guard.
    fn material(settings: &Settings, cookies: &[&str]) -> Option<Box<[u8]>> {
        let session = RequestSession::from_headers(&headers(cookies), settings);
        let cache = SessionCache::default();
        Key::new(&cache, &session, settings, PLAIN).map(|key| key.material())
    }

    #[test]
    fn only_our_cookie_counts() {
        let settings = settings();
        let ours = format!("{}={SEALED}", settings.cookie_name);
        let plain = material(&settings, &[&ours]).unwrap();
        let junk = format!("junk={}; {ours}; other=1", "x".repeat(100_000));
        assert_eq!(material(&settings, &[&junk]), Some(plain.clone()));
        assert_eq!(
            material(&settings, &["a=1", &ours, "b=2"]),
            Some(plain),
            "one header per cookie (HTTP/2)"
        );
        let apple = format!("{}le=1", settings.cookie_name);
        assert_eq!(material(&settings, &[&apple]), None);
        assert_eq!(material(&settings, &[]), None);
    }

    #[test]
    fn chunks_are_read_as_the_reader_reads_them() {
        let settings = settings();
        let name = settings.cookie_name.clone();
        let split = chunks::split(&name, &SEALED.repeat(100));
        assert_eq!(split.len(), 2);
        let pairs: Vec<String> = split
            .iter()
            .rev()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        let cookie = pairs.join("; ");
        let key = material(&settings, &[&cookie]).unwrap();
        assert!(key.windows(HEAD).any(|w| w == &SEALED.as_bytes()[..HEAD]));
        assert!(
            key.windows(TAIL)
                .any(|w| w == &SEALED.as_bytes()[SEALED.len() - TAIL..])
        );
        assert_eq!(
            material(&settings, &[&pairs[0]]),
            None,
            "the second chunk alone"
        );
        // Names the reader never looks up change nothing; a chunk past the limit makes
        // the reader refuse the session, so the cache has no key either.
        let odd = format!("{cookie}; {name}.01=x; {name}.+1=y");
        assert_eq!(material(&settings, &[&odd]), Some(key));
        let extra = format!("{cookie}; {name}.{}=x", chunks::MAX_CHUNKS);
        assert_eq!(material(&settings, &[&extra]), None);
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
            sid: None,
            signed_in_at: 0,
        }
    }

    #[test]
    fn junk_cookies_neither_miss_nor_grow_the_cache() {
        let cache = SessionCache::default();
        let settings = settings();
        let ours = format!("{}={SEALED}", settings.cookie_name);
        let request = RequestSession::from_headers(&headers(&[&ours]), &settings);
        let key = Key::new(&cache, &request, &settings, PLAIN).unwrap();
        cache.insert_verdict(&key, &session(), None, None, 0);
        let after_one = cache.bytes();
        for i in 0..1500 {
            let junk = format!("junk{i}={}; {ours}", "x".repeat(10_000));
            let request = RequestSession::from_headers(&headers(&[&junk]), &settings);
            let key = Key::new(&cache, &request, &settings, PLAIN).unwrap();
            assert!(
                cache.get(&key, 0, |_| false).is_some(),
                "a hit whatever the junk"
            );
            cache.insert_verdict(&key, &session(), None, None, 0);
        }
        assert_eq!(cache.bytes(), after_one, "the same entry, replaced");
        assert!(after_one < 1024, "{after_one} bytes for one verdict");
    }

    #[test]
    fn a_logged_out_session_never_passes_on_a_cached_verdict() {
        use crate::store::{LogoutTarget, Revocation};
        let revocations = Arc::new(RevocationList::default());
        let cache = SessionCache::new(revocations.clone());
        let settings = settings();
        let ours = format!("{}={SEALED}", settings.cookie_name);
        let request = RequestSession::from_headers(&headers(&[&ours]), &settings);
        let key = Key::new(&cache, &request, &settings, PLAIN).unwrap();
        let mut data = session();
        data.sid = Some("sid-1".into());
        data.signed_in_at = 10;
        cache.insert_verdict(&key, &data, None, None, 0);
        assert!(cache.get(&key, 20, |_| false).is_some());
        revocations.add(
            &Revocation {
                target: LogoutTarget::Sid("sid-1".into()),
                until: 500,
            },
            20,
        );
        assert!(cache.get(&key, 20, |_| false).is_none(), "revoked by sid");

        // By user: the ID token's `sub`, for sessions signed in up to the logout.
        let cache = SessionCache::new(revocations.clone());
        let mut data = session();
        let payload = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            br#"{"sub":"user-1"}"#,
        );
        data.id_token = format!("h.{payload}.s");
        data.signed_in_at = 30;
        cache.insert_verdict(&key, &data, None, None, 0);
        assert!(cache.get(&key, 40, |_| false).is_some());
        let by_user = |at| Revocation {
            target: LogoutTarget::Subject {
                sub: "user-1".into(),
                at,
            },
            until: 500,
        };
        revocations.add(&by_user(29), 40);
        assert!(
            cache.get(&key, 40, |_| false).is_some(),
            "signed in after that logout"
        );
        revocations.add(&by_user(30), 40);
        assert!(cache.get(&key, 40, |_| false).is_none(), "revoked by user");
    }

    #[test]
    fn the_cache_is_bounded_in_entries_and_bytes() {
        let cache = SessionCache::default();
        let settings = settings();
        for i in 0..(CAPACITY * 2) {
            let cookie = format!("{}=v1.{i:016}middle{i:022}", settings.cookie_name);
            let request = RequestSession::from_headers(&headers(&[&cookie]), &settings);
            let key = Key::new(&cache, &request, &settings, PLAIN).unwrap();
            cache.insert_verdict(&key, &session(), None, None, 0);
            assert!(cache.bytes() <= MAX_BYTES);
            assert!(cache.entries.read().unwrap().map.len() <= CAPACITY);
        }
    }

    #[test]
    fn keys_tell_requests_and_sessions_apart() {
        let cache = SessionCache::default();
        let settings = settings();
        let ours = format!("{}={SEALED}", settings.cookie_name);
        let request = RequestSession::from_headers(&headers(&[&ours]), &settings);
        let key = |resource, org, token| {
            Key::new(&cache, &request, &settings, verdict(resource, org, token))
                .unwrap()
                .material()
        };
        let base = key(Some("https://a"), None, true);
        assert_eq!(base, key(Some("https://a"), None, true));
        assert_ne!(base, key(Some("https://b"), None, true));
        assert_ne!(base, key(Some("https://a"), Some("o"), true));
        assert_ne!(base, key(Some("https://a"), None, false));
        let other = format!(
            "{}={}",
            settings.cookie_name,
            SEALED.replace("TTTT", "UUUU")
        );
        let other = RequestSession::from_headers(&headers(&[&other]), &settings);
        let other_key = Key::new(
            &cache,
            &other,
            &settings,
            verdict(Some("https://a"), None, true),
        )
        .unwrap();
        assert_ne!(base, other_key.material(), "another tag is another session");
        let first = Key::new(
            &cache,
            &request,
            &settings,
            verdict(Some("https://a"), None, true),
        )
        .unwrap();
        assert!(first.matches(&base) && !first.matches(&other_key.material()));
        let elsewhere = SessionCache::default();
        let second = Key::new(
            &elsewhere,
            &request,
            &settings,
            verdict(Some("https://a"), None, true),
        );
        assert_ne!(
            second.map(|k| k.hash),
            Some(first.hash),
            "hash keys are per cache"
        );
        let session = Key::new(&cache, &request, &settings, Lookup::Session).unwrap();
        assert_ne!(
            session.material(),
            key(None, None, false),
            "sessions are not verdicts"
        );
        assert_ne!(session.material(), key(None, None, true));
    }

    #[test]
    fn a_cookie_changed_between_its_ends_never_hits() {
        let cache = SessionCache::default();
        let settings = settings();
        let genuine = format!("{}={SEALED}", settings.cookie_name);
        let request = RequestSession::from_headers(&headers(&[&genuine]), &settings);
        let key = Key::new(&cache, &request, &settings, Lookup::Session).unwrap();
        cache.insert_session(&key, decoded(session()), 0);
        assert!(cache.session(&key, 0, |_| false).is_some());
        // The same length, nonce and tag: the same hash and material, other bytes.
        let tampered = format!(
            "{}={}",
            settings.cookie_name,
            SEALED.replace("middle", "muddle")
        );
        let request = RequestSession::from_headers(&headers(&[&tampered]), &settings);
        let other = Key::new(&cache, &request, &settings, Lookup::Session).unwrap();
        assert_eq!(other.hash, key.hash);
        assert!(
            cache.session(&other, 0, |_| false).is_none(),
            "compared in full"
        );
        // Split differently over chunks, the same value is the same session.
        let name = settings.cookie_name.clone();
        let chunked = format!("{name}.0={}; {name}.1={}", &SEALED[..30], &SEALED[30..]);
        let request = RequestSession::from_headers(&headers(&[&chunked]), &settings);
        let same = Key::new(&cache, &request, &settings, Lookup::Session).unwrap();
        assert!(cache.session(&same, 0, |_| false).is_some());
    }

    #[test]
    fn store_records_are_keyed_by_their_id_and_all_their_bytes() {
        let cache = SessionCache::default();
        let record = SEALED.as_bytes();
        let key = Key::record(&cache, "id-1", record).unwrap();
        cache.insert_session(&key, decoded(session()), 0);
        let again = Key::record(&cache, "id-1", record).unwrap();
        assert!(cache.session(&again, 0, |_| false).is_some());
        let other_id = Key::record(&cache, "id-2", record).unwrap();
        assert!(cache.session(&other_id, 0, |_| false).is_none());
        let changed = SEALED.replace("middle", "muddle");
        let other_bytes = Key::record(&cache, "id-1", changed.as_bytes()).unwrap();
        assert!(cache.session(&other_bytes, 0, |_| false).is_none());
        assert!(
            Key::record(&cache, "id-1", b"").is_some(),
            "an empty record keys too"
        );
        // A cookie carrying the record's bytes is another key.
        let settings = settings();
        let cookie = format!("{}={SEALED}", settings.cookie_name);
        let request = RequestSession::from_headers(&headers(&[&cookie]), &settings);
        let as_cookie = Key::new(&cache, &request, &settings, Lookup::Session).unwrap();
        assert!(cache.session(&as_cookie, 0, |_| false).is_none());
    }

    fn decoded(data: SessionData) -> Decoded {
        let id_claims = Arc::new(data.id_token_claims().unwrap_or_default());
        Decoded {
            data: Arc::new(data),
            id_claims,
        }
    }

    #[test]
    fn a_decoded_session_is_invalidated_as_a_verdict_is() {
        use crate::store::{LogoutTarget, Revocation};
        let revocations = Arc::new(RevocationList::default());
        let cache = SessionCache::new(revocations.clone());
        let settings = settings();
        let ours = format!("{}={SEALED}", settings.cookie_name);
        let request = RequestSession::from_headers(&headers(&[&ours]), &settings);
        let key = Key::new(&cache, &request, &settings, Lookup::Session).unwrap();
        let mut data = session();
        data.sid = Some("sid-2".into());
        data.id_expires_at = 100;
        cache.insert_session(&key, decoded(data.clone()), 0);
        let (hit, refresh) = cache.session(&key, 50, |_| false).expect("a hit");
        assert!(refresh == Some(TokenHash::of("r")));
        assert_eq!(*hit.data, data);
        assert!(
            cache
                .get(
                    &Key::new(&cache, &request, &settings, PLAIN).unwrap(),
                    50,
                    |_| false
                )
                .is_none(),
            "a decoded session is no guard's verdict"
        );
        // The ID token's expiry, a refresh elsewhere, a back-channel logout.
        assert!(cache.session(&key, 100, |_| false).is_none(), "expired");
        let refreshed = TokenHash::of("r");
        assert!(
            cache.session(&key, 50, |hash| *hash == refreshed).is_none(),
            "refreshed"
        );
        revocations.add(
            &Revocation {
                target: LogoutTarget::Sid("sid-2".into()),
                until: 500,
            },
            50,
        );
        assert!(cache.session(&key, 50, |_| false).is_none(), "logged out");
    }

    #[test]
    fn the_bytes_stay_bounded_and_a_full_cache_loses_only_half() {
        let cache = SessionCache::default();
        let settings = settings();
        // The longest session cookies the reader takes, in two chunks.
        let name = settings.cookie_name.clone();
        let mut most = 0;
        for i in 0..600 {
            let value = format!("v1.{i:016}{}{i:022}", "m".repeat(6_900));
            let cookie = format!("{name}.0={}; {name}.1={}", &value[..3_800], &value[3_800..]);
            let request = RequestSession::from_headers(&headers(&[&cookie]), &settings);
            let key = Key::new(&cache, &request, &settings, Lookup::Session).unwrap();
            cache.insert_session(&key, decoded(session()), 0);
            assert!(cache.bytes() <= MAX_BYTES);
            let len = cache.entries.read().unwrap().map.len();
            assert!(
                len >= most / 2,
                "{len} entries after {most}: more than half lost"
            );
            most = most.max(len);
            assert!(
                cache.session(&key, 0, |_| false).is_some(),
                "the newest is kept"
            );
        }
        assert!(most > 100 && most < 600, "{most}: the budget was reached");
    }
}
