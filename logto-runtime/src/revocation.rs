//! The back-channel logouts cookie sessions must honour: the cookie cannot be reached,
//! so every instance keeps the list in memory and checks each session it reads (and
//! each cached verdict) against it. The list is filled by this instance's logout
//! route and, with a revocation store, by a poller that reads the others'.

use std::{
    collections::HashMap,
    sync::{
        RwLock,
        atomic::{AtomicBool, Ordering},
    },
};

use crate::store::{LogoutTarget, Revocation};

/// At most this many revocations are kept in memory; past it the ones that expire
/// first give way. Only the provider can sign a logout token, so this bounds a
/// misbehaving provider, not an attacker.
const CAPACITY: usize = 100_000;

#[derive(Default)]
struct Entries {
    /// `sid` → until.
    by_sid: HashMap<String, i64>,
    /// `sub` → (the logout's time, until). A later logout of the same user moves the
    /// time forward.
    by_sub: HashMap<String, (i64, i64)>,
}

/// The revocations an instance knows, checked in memory on every request.
#[derive(Default)]
pub(crate) struct RevocationList {
    /// Whether there is any entry: the per-request check of an app that never saw a
    /// logout is one atomic load.
    any: AtomicBool,
    entries: RwLock<Entries>,
}

impl RevocationList {
    /// Adds `revocation` (or extends the one it repeats).
    pub(crate) fn add(&self, revocation: &Revocation, now: i64) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.by_sid.len() + entries.by_sub.len() >= CAPACITY {
            prune(&mut entries, now);
            if entries.by_sid.len() + entries.by_sub.len() >= CAPACITY {
                let soonest = entries
                    .by_sid
                    .values()
                    .copied()
                    .chain(entries.by_sub.values().map(|(_, until)| *until))
                    .min()
                    .unwrap_or(now);
                entries.by_sid.retain(|_, until| *until > soonest);
                entries.by_sub.retain(|_, (_, until)| *until > soonest);
            }
        }
        match &revocation.target {
            LogoutTarget::Sid(sid) => {
                let until = entries.by_sid.entry(sid.clone()).or_insert(0);
                *until = (*until).max(revocation.until);
            }
            LogoutTarget::Subject { sub, at } => {
                let entry = entries.by_sub.entry(sub.clone()).or_insert((*at, 0));
                entry.0 = entry.0.max(*at);
                entry.1 = entry.1.max(revocation.until);
            }
        }
        self.any.store(true, Ordering::Release);
    }

    /// Adds what a poll of the revocation store returned and forgets what expired.
    pub(crate) fn merge(&self, revocations: &[Revocation], now: i64) {
        for revocation in revocations.iter().filter(|r| r.until > now) {
            self.add(revocation, now);
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        prune(&mut entries, now);
        self.any.store(
            !(entries.by_sid.is_empty() && entries.by_sub.is_empty()),
            Ordering::Release,
        );
    }

    /// Whether the session of provider session `sid`, user `sub` (read only when a
    /// logout by user is known), signed in at `signed_in_at` (milliseconds), has been
    /// logged out by `now` (seconds).
    pub(crate) fn revokes(
        &self,
        sid: Option<&str>,
        sub: impl FnOnce() -> Option<String>,
        signed_in_at: i64,
        now: i64,
    ) -> bool {
        if !self.any.load(Ordering::Acquire) {
            return false;
        }
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        if let Some(sid) = sid
            && entries.by_sid.get(sid).is_some_and(|until| *until > now)
        {
            return true;
        }
        if entries.by_sub.is_empty() {
            return false;
        }
        sub().is_some_and(|sub| {
            entries
                .by_sub
                .get(&sub)
                .is_some_and(|(at, until)| signed_in_at <= *at && *until > now)
        })
    }
}

fn prune(entries: &mut Entries, now: i64) {
    entries.by_sid.retain(|_, until| *until > now);
    entries.by_sub.retain(|_, (_, until)| *until > now);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sid(sid: &str, until: i64) -> Revocation {
        Revocation {
            target: LogoutTarget::Sid(sid.into()),
            until,
        }
    }

    fn sub(sub: &str, at: i64, until: i64) -> Revocation {
        Revocation {
            target: LogoutTarget::Subject {
                sub: sub.into(),
                at,
            },
            until,
        }
    }

    #[test]
    fn a_sid_ends_its_sessions_until_it_expires() {
        let list = RevocationList::default();
        assert!(!list.revokes(Some("s"), || Some("u".into()), 0, 10));
        list.add(&sid("s", 100), 10);
        assert!(list.revokes(Some("s"), || None, 50, 10));
        assert!(!list.revokes(Some("other"), || Some("u".into()), 0, 10));
        assert!(!list.revokes(None, || Some("u".into()), 0, 10));
        assert!(!list.revokes(Some("s"), || None, 50, 100), "expired");
    }

    #[test]
    fn a_sub_ends_the_sessions_signed_in_up_to_the_logout_never_a_later_one() {
        let list = RevocationList::default();
        list.add(&sub("u", 50, 200), 50);
        assert!(list.revokes(Some("any"), || Some("u".into()), 40, 60));
        assert!(list.revokes(None, || Some("u".into()), 50, 60));
        assert!(
            !list.revokes(None, || Some("u".into()), 51, 60),
            "signed in later"
        );
        assert!(
            !list.revokes(None, || Some("v".into()), 0, 60),
            "another user"
        );
        assert!(!list.revokes(None, || Some("u".into()), 40, 200), "expired");
        // A second logout moves the time forward.
        list.add(&sub("u", 70, 150), 70);
        assert!(list.revokes(None, || Some("u".into()), 60, 80));
    }

    #[test]
    fn the_user_is_read_only_when_a_logout_by_user_is_known() {
        let list = RevocationList::default();
        list.add(&sid("s", 100), 10);
        assert!(!list.revokes(None, || unreachable!("no logout by user"), 0, 10));
    }

    #[test]
    fn a_poll_adds_and_expiry_forgets() {
        let list = RevocationList::default();
        list.merge(&[sid("a", 100), sid("old", 5), sub("u", 10, 100)], 10);
        assert!(list.revokes(Some("a"), || None, 0, 10));
        assert!(!list.revokes(Some("old"), || None, 0, 10));
        list.merge(&[], 100);
        assert!(!list.any.load(Ordering::Acquire), "everything expired");
    }

    #[test]
    fn the_list_is_bounded() {
        let list = RevocationList::default();
        for i in 0..(CAPACITY + 10) {
            list.add(&sid(&i.to_string(), 1000 + i as i64), 0);
        }
        let entries = list.entries.read().unwrap();
        assert!(entries.by_sid.len() <= CAPACITY);
        assert!(entries.by_sid.contains_key(&(CAPACITY + 9).to_string()));
    }
}
