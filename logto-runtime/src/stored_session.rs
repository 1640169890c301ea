//! A request's session, loaded and saved: read on first use (one store read, or the
//! cookie decrypted) and caught up with refreshes made meanwhile ([`current`]); after
//! the handler, saved with compare-and-set (merging with what another request saved
//! meanwhile, so newer tokens are never replaced by older ones) and written back as
//! cookies ([`finish`]); and the store lock that makes one instance at a time refresh a
//! session's tokens. The two catch-ups, at read and before write, run here and nowhere
//! else.

use std::{sync::Arc, time::Duration};

use crate::{
    oidc,
    session::{SessionData, SessionHandle, StoredToken, codec, random_id},
    session_cache::{Decoded, Key, Lookup, SessionCache},
    settings::Settings,
    store::{Expect, LockToken, SessionStore, StoreError, bounded},
    tokens::{CatchUp, RefreshCoordinator, TokenError, TokenRequest},
};

/// What a request's session needs of the client, and nothing more: the settings, the
/// protocol core (for refreshes and userinfo), the refresh coordinator and the session
/// cache. No bearer verifier, no back-channel state: the guards' session half, the
/// extractors and the layer work on this, and a unit test builds one without a client
/// or axum.
#[derive(Clone, Copy)]
pub(crate) struct SessionEnv<'a> {
    pub settings: &'a Settings,
    pub oidc: oidc::Client<'a>,
    pub refresh: &'a RefreshCoordinator,
    pub cache: &'a SessionCache,
}

/// How long one instance may hold a session's refresh lock: as long as the slowest
/// refresh the timeouts allow (discovery, JWKS, the token request and a JWKS refetch
/// for a new key, each up to the HTTP timeout; the store's load and a save that
/// conflicts once and saves again, each up to the store timeout), plus a margin. A
/// crashed holder frees it after that. A holder whose lease lapsed anyway still saves
/// what it got: `merge` keeps the most recently issued refresh token.
fn lock_lease(settings: &Settings) -> Duration {
    settings
        .http_timeout
        .saturating_mul(4)
        .saturating_add(settings.store_timeout.saturating_mul(4))
        .saturating_add(Duration::from_secs(1))
}
/// How soon a waiter asks for the lock again, at first.
const LOCK_POLL: Duration = Duration::from_millis(20);
/// How long a waiter waits between asks, at most.
const LOCK_POLL_MAX: Duration = Duration::from_millis(100);

fn sealed_name(id: &str) -> String {
    format!("logto-session:{id}")
}

/// A session sealed for the store: the binary session, sealed to bytes (stores keep
/// bytes, so no base64).
fn seal(env: &SessionEnv<'_>, id: &str, data: &SessionData) -> Vec<u8> {
    let plain = codec::encode(data);
    env.settings.keys.seal_bytes(&sealed_name(id), &plain)
}

/// A stored session, of this version's format or an earlier one (base64url text
/// sealing JSON); `None` if expired, or of no format this version reads (logged:
/// the request is signed out, never failed).
fn open(env: &SessionEnv<'_>, id: &str, bytes: &[u8]) -> Option<SessionData> {
    open_record(env.settings, id, bytes)
}

fn open_record(settings: &Settings, id: &str, bytes: &[u8]) -> Option<SessionData> {
    let plain = settings.keys.open_bytes(&sealed_name(id), bytes)?;
    let data = codec::decode(&plain)
        .inspect_err(|error| {
            tracing::warn!(target: "logto::session", %error, "a stored session did not decode: signed out");
        })
        .ok()?;
    (data.expires_at > settings.clock.unix_seconds()).then_some(data)
}

fn ttl(env: &SessionEnv<'_>, data: &SessionData) -> Duration {
    let left = data.expires_at - env.settings.clock.unix_seconds();
    Duration::from_secs(left.max(1) as u64)
}

/// Reads the request's session from the store, once; a no-op with cookie sessions.
pub(crate) async fn ensure_loaded(
    env: &SessionEnv<'_>,
    handle: &SessionHandle,
) -> Result<(), StoreError> {
    let Some(store) = &env.settings.store else {
        return Ok(());
    };
    let id = {
        let mut session = handle.lock();
        if !session.needs_load() {
            return Ok(());
        }
        session.store_id(env.settings)
    };
    let Some(id) = id else {
        handle.lock().set_loaded(None, None);
        return Ok(());
    };
    let record = bounded(env.settings.store_timeout, store.load(&id)).await?;
    let (data, version) = match record {
        Some(record) => (
            open_cached(env, handle, &id, &record.data),
            Some(record.version),
        ),
        None => (None, None),
    };
    let mut session = handle.lock();
    // Another extractor of the same request may have loaded it meanwhile.
    if session.needs_load() {
        let version = data.as_ref().and(version);
        session.set_loaded(data, version);
    }
    Ok(())
}

/// A stored record opened, or taken from the session cache when these exact bytes
/// were opened before: decrypting and decoding depend on the bytes alone, so only the
/// store read is left on the steady path of store sessions.
fn open_cached(
    env: &SessionEnv<'_>,
    handle: &SessionHandle,
    id: &str,
    bytes: &[u8],
) -> Option<Arc<SessionData>> {
    let now = env.settings.clock.unix_seconds();
    let key = Key::record(env.cache, id, bytes);
    let hit = key.as_ref().and_then(|key| {
        env.cache
            .session(key, now, |refresh| env.refresh.has_news(refresh))
    });
    if let Some((Decoded { data, id_claims }, refresh_token)) = hit {
        handle.remember(&data, id_claims, refresh_token);
        return Some(data);
    }
    let data = Arc::new(open(env, id, bytes)?);
    if let Some(key) = key
        && let Some(id_claims) = handle.id_claims(&data)
    {
        let decoded = Decoded {
            data: data.clone(),
            id_claims,
        };
        env.cache.insert_session(&key, decoded, now);
    }
    Some(data)
}

/// The request's session, read on first use and brought up to date with refreshes
/// this process made meanwhile for other requests of the same session; `None` when
/// signed out, or when such a refresh found the session ended. Awaits only a store
/// read not made yet (see [`current_loaded`]).
pub(crate) async fn current(
    env: &SessionEnv<'_>,
    handle: &SessionHandle,
) -> Result<Option<Arc<SessionData>>, StoreError> {
    if handle.lock().needs_load() {
        Box::pin(ensure_loaded(env, handle)).await?;
    }
    Ok(current_loaded(env, handle))
}

/// [`current`] when no store read is due (cookie sessions, or a store session this
/// request has read): no I/O. A cookie session comes from the session cache when its
/// cookie was decoded before (and nothing since refreshed or revoked it); otherwise it
/// is decrypted, and cached if it is live and unchanged.
pub(crate) fn current_loaded(
    env: &SessionEnv<'_>,
    handle: &SessionHandle,
) -> Option<Arc<SessionData>> {
    let now = env.settings.clock.unix_seconds();
    let cookie_mode = env.settings.store.is_none();
    // Whether this call decrypts the cookie: decided under the same lock as the read,
    // so only what the cookie itself decrypted to is ever cached under its bytes.
    let (mut data, fresh) = {
        let mut session = handle.lock();
        let fresh = cookie_mode && session.is_unread();
        if fresh {
            let hit =
                Key::new(env.cache, &session, env.settings, Lookup::Session).and_then(|key| {
                    env.cache
                        .session(&key, now, |refresh| env.refresh.has_news(refresh))
                });
            if let Some((Decoded { data, id_claims }, refresh_token)) = hit {
                session.adopt(data.clone());
                drop(session);
                handle.remember(&data, id_claims, refresh_token);
                return Some(data);
            }
        }
        (session.session(env.settings).cloned()?, fresh)
    };
    // Lock order: the session's before the coordinator's, never the reverse (`finish`
    // holds both); here the session's is let go before, which the order allows too.
    let refresh_token = handle.refresh_token_hash(&data);
    match env
        .refresh
        .catch_up_shared(&mut data, refresh_token.as_ref())
    {
        CatchUp::Revoked => {
            handle.lock().set_session(None);
            return None;
        }
        CatchUp::Changed => handle.lock().set_session(Some(data.clone())),
        // Decoded from the cookie just now, live and unchanged: what the cookie's
        // bytes decide, for the next request that carries them.
        CatchUp::Unchanged if fresh => {
            if let Some(id_claims) = handle.id_claims(&data) {
                let session = handle.lock();
                // Unless another extractor of this request changed it meanwhile.
                if session.pending().is_none()
                    && let Some(key) = Key::new(env.cache, &session, env.settings, Lookup::Session)
                {
                    let decoded = Decoded {
                        data: data.clone(),
                        id_claims,
                    };
                    env.cache.insert_session(&key, decoded, now);
                }
            }
        }
        CatchUp::Unchanged => {}
    }
    Some(data)
}

/// After the handler: saves what changed (store mode; the save's result), catches the
/// session up once more (a refresh of another request may have finished meanwhile),
/// and returns the `Set-Cookie` values that bring the browser up to date.
pub(crate) async fn finish(
    env: &SessionEnv<'_>,
    handle: &SessionHandle,
) -> (Result<(), StoreError>, Vec<String>) {
    let saved = save_pending(env, handle).await;
    let mut session = handle.lock();
    session.update_before_write(|data| env.refresh.catch_up(data) != CatchUp::Revoked);
    (saved, session.set_cookie_headers(env.settings))
}

/// What `ours` becomes when `stored` was saved meanwhile: the more recently issued pair
/// of refresh and ID tokens (a refresher's new tokens win over anything saved before
/// its refresh, and a holder whose lock lapsed never writes back an older token than
/// the one saved meanwhile), and for every other token the fresher.
pub(crate) fn merge(ours: SessionData, mut stored: SessionData) -> SessionData {
    if ours.issued_at > stored.issued_at {
        stored.refresh_token = ours.refresh_token;
        stored.id_token = ours.id_token;
        stored.id_expires_at = ours.id_expires_at;
        stored.issued_at = ours.issued_at;
    }
    for (key, token) in ours.tokens {
        match stored.tokens.get(&key) {
            Some(existing) if existing.refresh_at >= token.refresh_at => {}
            _ => {
                stored.tokens.insert(key, token);
            }
        }
    }
    if let Some(token) = ours.access_token
        && stored
            .access_token
            .as_ref()
            .is_none_or(|t| t.refresh_at < token.refresh_at)
    {
        stored.access_token = Some(token);
    }
    if let Some(userinfo) = ours.userinfo
        && stored
            .userinfo
            .as_ref()
            .is_none_or(|u| u.expires_at < userinfo.expires_at)
    {
        stored.userinfo = Some(userinfo);
    }
    stored
}

/// Saves `data` over version `version` of `id`, merging with whatever was saved
/// meanwhile. `None` when the session was deleted meanwhile (signed out elsewhere).
async fn save_merged(
    env: &SessionEnv<'_>,
    store: &dyn SessionStore,
    id: &str,
    mut data: SessionData,
    mut version: u64,
) -> Result<Option<(SessionData, u64)>, StoreError> {
    let timeout = env.settings.store_timeout;
    for _ in 0..8 {
        let sealed = seal(env, id, &data);
        if let Some(saved) = bounded(
            timeout,
            store.save(id, &sealed, ttl(env, &data), Expect::Version(version)),
        )
        .await?
        {
            return Ok(Some((data, saved)));
        }
        let Some(record) = bounded(timeout, store.load(id)).await? else {
            return Ok(None);
        };
        let Some(stored) = open(env, id, &record.data) else {
            return Ok(None);
        };
        data = merge(data, stored);
        version = record.version;
    }
    Err(StoreError::Unavailable(
        "concurrent saves of one session kept conflicting".into(),
    ))
}

/// Writes what the request changed to the store; the layer calls it before the
/// cookies are written.
async fn save_pending(env: &SessionEnv<'_>, handle: &SessionHandle) -> Result<(), StoreError> {
    let Some(store) = env.settings.store.as_deref() else {
        return Ok(());
    };
    let timeout = env.settings.store_timeout;
    let (pending, renew, id, version) = {
        let mut session = handle.lock();
        let Some((pending, renew)) = session.pending() else {
            return Ok(());
        };
        (
            pending,
            renew,
            session.store_id(env.settings),
            session.version(),
        )
    };
    let Some(data) = pending else {
        if let Some(id) = &id {
            bounded(timeout, store.delete(id)).await?;
        }
        handle.lock().saved(None, None, None);
        return Ok(());
    };
    match (id, version) {
        (Some(id), Some(version)) if !renew => {
            let data = Arc::unwrap_or_clone(data);
            match save_merged(env, store, &id, data, version).await? {
                Some((data, version)) => {
                    handle
                        .lock()
                        .saved(Some(Arc::new(data)), Some(id), Some(version));
                }
                None => handle.lock().saved(None, None, None),
            }
        }
        (old, _) => {
            // A new id at every sign-in: an id known before it is worth nothing after.
            let new_id = random_id();
            let sealed = seal(env, &new_id, &data);
            let version = bounded(
                timeout,
                store.save(&new_id, &sealed, ttl(env, &data), Expect::Absent),
            )
            .await?
            .ok_or_else(|| StoreError::Unavailable("a fresh session id was taken".into()))?;
            // Back-channel logout finds the sessions of a provider session or a user
            // through this index. Written after the save: a logout between the two
            // misses this one sign-in, racing the provider's end of its session.
            if env.settings.backchannel.is_some()
                && let Some(sub) = data.sub()
            {
                bounded(
                    timeout,
                    store.index_session(&new_id, data.sid.as_deref(), &sub, ttl(env, &data)),
                )
                .await?;
            }
            if let Some(old) = old {
                bounded(timeout, store.delete(&old)).await?;
            }
            handle.lock().saved(Some(data), Some(new_id), Some(version));
        }
    }
    Ok(())
}

async fn acquire(
    env: &SessionEnv<'_>,
    store: &dyn SessionStore,
    key: &str,
) -> Result<LockToken, StoreError> {
    let timeout = env.settings.store_timeout;
    let lease = lock_lease(env.settings);
    // A waiter outlasts one full lease of the holder before it gives up.
    let deadline = tokio::time::Instant::now() + lease + LOCK_POLL;
    let mut pause = LOCK_POLL;
    loop {
        if let Some(token) = bounded(timeout, store.try_lock(key, lease)).await? {
            return Ok(token);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(StoreError::Timeout(lease));
        }
        // Waiters back off (with jitter, so they do not ask in step): a slow refresh
        // must not turn every waiting request into a stream of store round trips.
        let jitter =
            Duration::from_millis(rand::random::<u64>() % (LOCK_POLL.as_millis() as u64 + 1));
        tokio::time::sleep(pause + jitter).await;
        pause = (pause * 2).min(LOCK_POLL_MAX);
    }
}

/// The token `request` needs, if `data` already holds a usable one (`None` request:
/// the ID token and the userinfo token). A forced request takes only a token other
/// than the one it had, and no request takes the token the provider `refused`.
fn usable(
    env: &SessionEnv<'_>,
    data: &SessionData,
    before: &SessionData,
    request: Option<&TokenRequest>,
    refused: Option<&str>,
) -> Option<StoredToken> {
    let now = env.settings.clock.unix_seconds();
    match request {
        Some(request) => {
            let key = request.key();
            let token = data.tokens.get(&key).filter(|t| t.is_fresh(now))?;
            let changed = before.tokens.get(&key) != Some(token);
            (!request.is_forced() || changed).then(|| token.clone())
        }
        None => (data.id_expires_at > now)
            .then(|| {
                data.access_token
                    .clone()
                    .filter(|t| t.is_fresh(now) && Some(t.token.as_str()) != refused)
            })
            .flatten(),
    }
}

/// Refreshes the token of `request` into `data`: in-process single flight, and with a
/// store, under the session's store lock, reading the session again once the lock is
/// held so a waiter uses the tokens the holder got instead of refreshing again.
/// `refused` is a token the provider just refused: never handed out again.
pub(crate) async fn refresh_with_store_lock(
    env: &SessionEnv<'_>,
    handle: &SessionHandle,
    data: &mut SessionData,
    request: Option<&TokenRequest>,
    refused: Option<&str>,
    sub: &str,
) -> Result<StoredToken, TokenError> {
    let forced = refused.is_some();
    let Some(store) = env.settings.store.as_deref() else {
        return env
            .refresh
            .refresh_single_flight(&env.oidc, data, request, forced, sub)
            .await;
    };
    let id = handle.lock().store_id(env.settings);
    let Some(id) = id else {
        return env
            .refresh
            .refresh_single_flight(&env.oidc, data, request, forced, sub)
            .await;
    };
    let key = format!("refresh:{id}");
    let lock = acquire(env, store, &key).await.map_err(TokenError::Store)?;
    let result =
        refresh_holding_store_lock(env, handle, store, &id, data, request, refused, sub).await;
    if let Err(error) = bounded(env.settings.store_timeout, store.unlock(&key, &lock)).await {
        // The lock expires by itself.
        tracing::warn!(target: "logto::store", %error, "releasing a session's refresh lock failed");
    }
    result
}

#[allow(clippy::too_many_arguments)]
async fn refresh_holding_store_lock(
    env: &SessionEnv<'_>,
    handle: &SessionHandle,
    store: &dyn SessionStore,
    id: &str,
    data: &mut SessionData,
    request: Option<&TokenRequest>,
    refused: Option<&str>,
    sub: &str,
) -> Result<StoredToken, TokenError> {
    let timeout = env.settings.store_timeout;
    let before = data.clone();
    let record = bounded(timeout, store.load(id))
        .await
        .map_err(TokenError::Store)?;
    let Some((stored, mut version)) =
        record.and_then(|r| Some((open(env, id, &r.data)?, r.version)))
    else {
        // Signed out meanwhile.
        return Err(TokenError::SessionEnded);
    };
    *data = merge(data.clone(), stored);
    if let Some(token) = usable(env, data, &before, request, refused) {
        handle.lock().saved(
            Some(Arc::new(data.clone())),
            Some(id.to_owned()),
            Some(version),
        );
        return Ok(token);
    }
    let token = env
        .refresh
        .refresh_single_flight(&env.oidc, data, request, refused.is_some(), sub)
        .await?;
    match save_merged(env, store, id, data.clone(), version)
        .await
        .map_err(TokenError::Store)?
    {
        Some((saved, saved_version)) => {
            *data = saved;
            version = saved_version;
        }
        None => return Err(TokenError::SessionEnded),
    }
    handle.lock().saved(
        Some(Arc::new(data.clone())),
        Some(id.to_owned()),
        Some(version),
    );
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::CachedUserinfo;

    fn token(value: &str, refresh_at: i64) -> StoredToken {
        StoredToken {
            token: value.into(),
            scope: None,
            expires_at: refresh_at + 60,
            refresh_at,
        }
    }

    fn session(refresh_token: &str, issued_at: i64) -> SessionData {
        SessionData {
            id_token: format!("id-{refresh_token}"),
            refresh_token: Some(refresh_token.into()),
            access_token: None,
            tokens: Default::default(),
            userinfo: None,
            id_expires_at: 100,
            issued_at,
            expires_at: 1000,
            sid: None,
            signed_in_at: 0,
        }
    }

    #[test]
    fn records_stored_before_the_upgrade_still_open_and_unknown_ones_sign_out() {
        let settings = crate::settings::tests::builder().validate().unwrap();
        let mut data = session("r", 1);
        data.expires_at = settings.clock.unix_seconds() + 600;
        let name = sealed_name("id");
        // As main stored them: JSON, sealed to base64url text.
        let json = serde_json::to_vec(&data).unwrap();
        let old = settings.keys.seal(&name, &json).into_bytes();
        assert_eq!(open_record(&settings, "id", &old), Some(data.clone()));
        assert_eq!(open_record(&settings, "other", &old), None);
        // This version's: binary, sealed to bytes.
        let new = settings.keys.seal_bytes(&name, &codec::encode(&data));
        assert!(new.len() * 2 < old.len(), "{} vs {}", new.len(), old.len());
        assert_eq!(open_record(&settings, "id", &new), Some(data));
        // A format no version wrote: signed out, not an error.
        let unknown = settings.keys.seal_bytes(&name, &[9, 1, 2]);
        assert_eq!(open_record(&settings, "id", &unknown), None);
    }

    #[test]
    fn merge_keeps_the_newer_refresh_token_and_the_fresher_of_each_token() {
        let mut ours = session("old", 1);
        ours.tokens.insert("a#".into(), token("ours-a", 50));
        ours.tokens.insert("b#".into(), token("ours-b", 10));
        ours.userinfo = Some(CachedUserinfo {
            claims: Default::default(),
            expires_at: 90,
        });
        let mut stored = session("new", 2);
        stored.tokens.insert("b#".into(), token("stored-b", 40));
        let merged = merge(ours, stored);
        assert_eq!(merged.refresh_token.as_deref(), Some("new"));
        assert_eq!(merged.id_token, "id-new");
        assert_eq!(merged.tokens["a#"].token, "ours-a");
        assert_eq!(merged.tokens["b#"].token, "stored-b");
        assert_eq!(merged.userinfo.map(|u| u.expires_at), Some(90));
    }

    #[test]
    fn a_refreshers_new_tokens_win_over_a_save_made_before_its_refresh() {
        // Another request of the session saved its first userinfo fetch while this one
        // held the lock and refreshed: the stored record has the consumed token.
        let mut stored = session("consumed", 1);
        stored.userinfo = Some(CachedUserinfo {
            claims: Default::default(),
            expires_at: 90,
        });
        let mut ours = session("rotated", 2);
        ours.tokens.insert("a#".into(), token("new-a", 50));
        let merged = merge(ours, stored);
        assert_eq!(merged.refresh_token.as_deref(), Some("rotated"));
        assert_eq!(merged.id_token, "id-rotated");
        assert_eq!(merged.issued_at, 2);
        assert_eq!(merged.tokens["a#"].token, "new-a");
        assert!(
            merged.userinfo.is_some(),
            "the other save's userinfo is kept"
        );
    }

    proptest::proptest! {
        /// Whatever two copies of a session meet, in either order, the merge holds the
        /// most recently issued refresh token and the fresher of each access token.
        #[test]
        fn merge_never_goes_back_in_time(
            a_issued in 0i64..4, b_issued in 0i64..4,
            a_tokens in proptest::collection::btree_map("[a-c]", 0i64..100, 0..3),
            b_tokens in proptest::collection::btree_map("[a-c]", 0i64..100, 0..3),
        ) {
            let mut a = session("a", a_issued);
            let mut b = session("b", b_issued);
            for (key, at) in &a_tokens { a.tokens.insert(key.clone(), token("a", *at)); }
            for (key, at) in &b_tokens { b.tokens.insert(key.clone(), token("b", *at)); }
            let merged = merge(a.clone(), b.clone());
            let newest = a_issued.max(b_issued);
            proptest::prop_assert_eq!(merged.issued_at, newest);
            let expected = if a_issued > b_issued { "a" } else { "b" };
            proptest::prop_assert_eq!(merged.refresh_token.as_deref(), Some(expected));
            proptest::prop_assert_eq!(merged.id_token, format!("id-{expected}"));
            for key in a_tokens.keys().chain(b_tokens.keys()) {
                let best = a_tokens.get(key).max(b_tokens.get(key)).copied();
                proptest::prop_assert_eq!(merged.tokens.get(key).map(|t| t.refresh_at), best);
            }
        }
    }

    fn outcome(refresh_token: &str, issued_at: i64) -> crate::tokens::RefreshOutcome {
        crate::tokens::RefreshOutcome {
            refresh_token: Some(refresh_token.into()),
            id_token: None,
            key: None,
            issued_at,
            token: token("access", 30),
        }
    }

    #[test]
    fn a_refresh_is_newer_than_its_parent_even_on_a_clock_behind() {
        // Another instance, its clock ahead, issued the parent at 1000; this one
        // refreshes with its clock at 400, while a save of the parent lands meanwhile.
        let parent = session("parent", 1000);
        let mut child = parent.clone();
        outcome("child", 400).apply(&mut child);
        assert_eq!(child.issued_at, 1001);
        let merged = merge(child, parent.clone());
        assert_eq!(merged.refresh_token.as_deref(), Some("child"));
        let merged = merge(parent, {
            let mut child = session("parent", 1000);
            outcome("child", 400).apply(&mut child);
            child
        });
        assert_eq!(
            merged.refresh_token.as_deref(),
            Some("child"),
            "in either order"
        );
    }
}
