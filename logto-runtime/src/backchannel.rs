//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0), without a framework:
//! a logout token in, its sessions ended. The token is verified by
//! `oidc::logout_token`; this module refuses replays (`jti`), deletes store sessions
//! through the store's index, and revokes cookie sessions (in memory, and in the
//! revocation store that the other instances poll).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, Weak},
    time::Duration,
};

use crate::{
    error::ProviderError,
    hash::TokenHash,
    oidc::{
        Client,
        logout_token::{self, LogoutToken, LogoutTokenError},
    },
    revocation::RevocationList,
    settings::Settings,
    store::{LogoutTarget, Revocation, SessionStore, StoreError, bounded},
};

/// How long past its `exp` a `jti` is remembered: the clock skew a token's `exp` is
/// allowed.
const JTI_MARGIN: i64 = 60;
/// At most this many `jti`s are remembered in memory (one instance); past it the ones
/// that expire first give way. Logout tokens live minutes, so this is never reached
/// by a provider that sends them only as sessions end.
const MAX_SEEN: usize = 100_000;

/// What came of a logout token.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The sessions it names are ended (there may have been none).
    Done { ended: u64 },
    /// A bad token: 400 `invalid_request`.
    Invalid(LogoutTokenError),
    /// The token was seen before: 400 `invalid_request`.
    Replayed,
    /// The provider's keys or the store could not be reached: 503, the provider may
    /// send it again.
    Unavailable(Unavailable),
}

#[derive(Debug)]
pub(crate) enum Unavailable {
    Provider(ProviderError),
    Store(StoreError),
}

/// What one instance keeps: the `jti`s seen (without a shared store).
#[derive(Default)]
pub(crate) struct State {
    seen: Mutex<HashMap<TokenHash, i64>>,
}

impl State {
    /// Records `jti` until `until`; false when it was already there.
    fn first_use(&self, jti: TokenHash, until: i64, now: i64) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.get(&jti).is_some_and(|at| *at > now) {
            return false;
        }
        if seen.len() >= MAX_SEEN {
            seen.retain(|_, at| *at > now);
            if seen.len() >= MAX_SEEN
                && let Some(soonest) = seen.iter().min_by_key(|(_, at)| **at).map(|(k, _)| *k)
            {
                seen.remove(&soonest);
            }
        }
        seen.insert(jti, until);
        true
    }

    fn forget(&self, jti: &TokenHash) {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(jti);
    }
}

/// The store shared by every instance, if there is one: the session store, or the
/// revocation store of cookie sessions.
fn shared_store(settings: &Settings) -> Option<&Arc<dyn SessionStore>> {
    settings.store.as_ref().or(settings
        .backchannel
        .as_ref()
        .and_then(|b| b.revocation_store.as_ref()))
}

/// Verifies `raw` and ends the sessions it names.
pub(crate) async fn logout(client: &Client<'_>, state: &State, raw: &str) -> Outcome {
    let token = match logout_token::verify(client, raw).await {
        Ok(token) => token,
        Err(Ok(invalid)) => return Outcome::Invalid(invalid),
        Err(Err(provider)) => return Outcome::Unavailable(Unavailable::Provider(provider)),
    };
    let settings = client.settings;
    let now = settings.clock.unix_seconds();
    // Keyed by the issuer too: a `jti` is unique per issuer only.
    let jti = TokenHash::of(&format!("{}\n{}", settings.issuer, token.jti));
    let until = token.exp + JTI_MARGIN;
    let timeout = settings.store_timeout;
    // Recorded before the sessions are ended (two deliveries at once must not both
    // pass), and forgotten again when ending them fails, so the provider's retry is
    // not refused as a replay.
    let lock = match shared_store(settings) {
        Some(store) => {
            let key = format!("logout-jti:{}", hex(&jti));
            let ttl = Duration::from_secs(until.saturating_sub(now).max(1) as u64);
            match bounded(timeout, store.try_lock(&key, ttl)).await {
                Ok(Some(lock)) => Some((store, key, lock)),
                Ok(None) => return Outcome::Replayed,
                Err(error) => return Outcome::Unavailable(Unavailable::Store(error)),
            }
        }
        None => {
            if !state.first_use(jti, until, now) {
                return Outcome::Replayed;
            }
            None
        }
    };
    match end(settings, &token, now).await {
        Ok(ended) => Outcome::Done { ended },
        Err(error) => {
            match lock {
                Some((store, key, lock)) => {
                    if let Err(error) = bounded(timeout, store.unlock(&key, &lock)).await {
                        tracing::warn!(target: "logto::backchannel", %error, "forgetting a logout token's jti failed; it expires by itself");
                    }
                }
                None => state.forget(&jti),
            }
            Outcome::Unavailable(Unavailable::Store(error))
        }
    }
}

/// Ends the sessions `token` names: by `sid` when it has one (that provider session
/// only), else every session of its `sub` signed in until now. Not until its `iat`: a
/// provider clock behind ours would let a session signed in just before the logout
/// survive it; ending a sign-in made while the token was in flight is the safer error.
async fn end(settings: &Settings, token: &LogoutToken, now: i64) -> Result<u64, StoreError> {
    let target = match (&token.sid, &token.sub) {
        (Some(sid), _) => LogoutTarget::Sid(sid.clone()),
        (None, Some(sub)) => LogoutTarget::Subject {
            sub: sub.clone(),
            at: crate::clock::unix_millis(&*settings.clock),
        },
        (None, None) => return Ok(0),
    };
    let timeout = settings.store_timeout;
    if let Some(store) = &settings.store {
        return bounded(timeout, store.end_sessions(&target)).await;
    }
    let lifetime = settings
        .backchannel
        .as_ref()
        .map_or(crate::settings::SESSION_LIFETIME_SECS, |b| {
            i64::try_from(b.revocation_lifetime.as_secs()).unwrap_or(i64::MAX)
        });
    let revocation = Revocation {
        target,
        until: now.saturating_add(lifetime),
    };
    // This instance knows at once, whatever the store says.
    settings.revocations.add(&revocation, now);
    if let Some(store) = settings
        .backchannel
        .as_ref()
        .and_then(|b| b.revocation_store.as_ref())
    {
        bounded(timeout, store.add_revocation(&revocation)).await?;
    }
    Ok(0)
}

fn hex(hash: &TokenHash) -> String {
    hash.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Starts reading the revocation store every poll interval, if cookie sessions have
/// one; the task ends when `revocations` is dropped (with the client). Needs a Tokio
/// runtime: `false` when there is none yet.
pub(crate) fn start_polling(settings: &Settings, revocations: &Arc<RevocationList>) -> bool {
    let Some((store, interval)) = settings.backchannel.as_ref().and_then(|b| {
        b.revocation_store
            .clone()
            .map(|store| (store, b.poll_interval))
    }) else {
        return true;
    };
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return false;
    };
    let list: Weak<RevocationList> = Arc::downgrade(revocations);
    let clock = settings.clock.clone();
    let timeout = settings.store_timeout;
    runtime.spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(list) = list.upgrade() else { break };
            match bounded(timeout, store.revocations()).await {
                Ok(revocations) => list.merge(&revocations, clock.unix_seconds()),
                Err(error) => tracing::warn!(
                    target: "logto::backchannel",
                    %error,
                    "reading the revocation store failed; this instance learns logouts of other instances at the next poll"
                ),
            }
        }
    });
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jti_is_used_once_until_it_expires() {
        let state = State::default();
        let jti = TokenHash::of("a");
        assert!(state.first_use(jti, 100, 10));
        assert!(!state.first_use(jti, 100, 50));
        assert!(state.first_use(TokenHash::of("b"), 100, 50));
        assert!(
            state.first_use(jti, 200, 100),
            "remembered until it expired"
        );
        state.forget(&jti);
        assert!(state.first_use(jti, 200, 100));
    }

    #[test]
    fn the_memory_of_jtis_is_bounded() {
        let state = State::default();
        for i in 0..(MAX_SEEN + 5) {
            assert!(state.first_use(TokenHash::of(&i.to_string()), 1000 + i as i64, 0));
        }
        assert!(state.seen.lock().unwrap().len() <= MAX_SEEN);
    }
}
