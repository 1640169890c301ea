//! The write side of a request's session cookies: the `Set-Cookie` values that bring
//! the browser up to date, within the cookie budget proxies accept.

use std::borrow::Cow;

use super::{
    SessionData, Transactions, chunks,
    cookies::{Plaintext, RequestSession, SessionId, Slot, transactions_name},
    data::{SESSION_LIFETIME_SECS, TRANSACTION_LIFETIME_SECS},
};
use crate::settings::Settings;

/// What a sign-in's cookie may always take, whatever the session holds: one sign-in
/// without a target, sealed (about 350 bytes), with room to spare.
pub(super) const MIN_TRANSACTION_BUDGET: usize = 600;

impl RequestSession {
    /// The `Set-Cookie` values that bring the browser up to date. Together this SDK's
    /// cookies stay within `chunks::MAX_COOKIE_BYTES`: a session that would outgrow it
    /// gives up the tokens it can fetch again (see `Evict for SessionData`).
    pub(crate) fn set_cookie_headers(&self, settings: &Settings) -> Vec<String> {
        fn dirty<T>(slot: &Slot<T>) -> bool {
            matches!(slot, Slot::Read { changed, stale, .. } if *changed || *stale)
        }
        // Most responses change nothing: no serialization, no counting.
        if !dirty(&self.transactions) && !dirty(&self.session) && !dirty(&self.id) {
            return Vec::new();
        }
        let mut headers = Vec::new();
        let transactions = match &self.transactions {
            // An empty list is no cookie at all.
            Slot::Read {
                value,
                stale,
                changed,
            } => Some(View {
                value: (!value.0.is_empty()).then_some(value),
                stale: *stale,
                changed: *changed,
            }),
            Slot::Unread => None,
        };
        // Sign-ins share the budget with the session the browser holds (a crafted link
        // with a long target must not push a signed-in user's cookies past what
        // proxies accept); one short sign-in always fits.
        let tx_budget = chunks::MAX_COOKIE_BYTES
            .saturating_sub(self.held_bytes(&settings.cookie_name))
            .max(MIN_TRANSACTION_BUDGET);
        let tx_bytes = self.write(
            transactions,
            &transactions_name(settings),
            TRANSACTION_LIFETIME_SECS,
            settings,
            &mut headers,
            |sealed| chunks::pair_bytes(sealed) <= tx_budget,
        );
        let budget = chunks::MAX_COOKIE_BYTES.saturating_sub(tx_bytes);
        if self.store_mode {
            let id = match &self.id {
                Slot::Read { value, .. } => value.as_ref().map(|id| SessionId { id: id.clone() }),
                Slot::Unread => None,
            };
            let view = View::of(&self.id).map(|view| View {
                value: id.as_ref(),
                stale: view.stale,
                changed: view.changed,
            });
            self.write(
                view,
                &settings.cookie_name,
                SESSION_LIFETIME_SECS,
                settings,
                &mut headers,
                |_| true,
            );
        } else {
            self.write(
                View::of_shared(&self.session),
                &settings.cookie_name,
                SESSION_LIFETIME_SECS,
                settings,
                &mut headers,
                |sealed| chunks::pair_bytes(sealed) <= budget,
            );
        }
        headers
    }

    /// Writes a slot's value as cookies of `name` if it changed (or clears a stale
    /// one); returns the bytes of the `name=value` pairs the browser then holds.
    /// `fits` says whether the sealed chunks are within budget; while they are not, the
    /// value gives up what can be fetched again ([`Evict`]).
    /// The bytes of the `name=value` pairs of the family `name` the browser holds.
    fn held_bytes(&self, name: &str) -> usize {
        self.cookies
            .iter()
            .filter(|(n, _)| chunks::is_part_of(name, n))
            .map(|(n, v)| n.len() + 1 + v.len())
            .sum()
    }

    fn write<T: Plaintext + Evict>(
        &self,
        view: Option<View<'_, T>>,
        name: &str,
        max_age: i64,
        settings: &Settings,
        out: &mut Vec<String>,
        fits: impl Fn(&[(String, String)]) -> bool,
    ) -> usize {
        let held = || self.held_bytes(name);
        let Some(View {
            value,
            stale,
            changed,
        }) = view
        else {
            return held();
        };
        if !changed && !stale {
            return held();
        }
        let mut written = Vec::new();
        if let Some(value) = value.filter(|_| changed) {
            let mut value = Cow::Borrowed(value);
            written = loop {
                let Some(plain) = value.to_plaintext() else {
                    return held();
                };
                let sealed = chunks::split(name, &settings.keys.seal(name, &plain));
                if fits(&sealed) {
                    break sealed;
                }
                if !value.to_mut().evict_one() {
                    // Reading would refuse it: clear the cookie rather than send bytes
                    // that only make proxies refuse the user's requests.
                    tracing::error!(
                        target: "logto::session",
                        cookie = name,
                        bytes = chunks::pair_bytes(&sealed),
                        "a cookie exceeds the cookie budget even without what it can fetch again: cleared (keep sessions in a store)"
                    );
                    break Vec::new();
                }
            };
            for (chunk_name, chunk) in &written {
                out.push(cookie(chunk_name, chunk, max_age, settings.cookie_secure));
            }
        }
        // Whatever the browser holds of this family and we did not just write goes.
        for (existing, _) in &self.cookies {
            if chunks::is_part_of(name, existing) && !written.iter().any(|(n, _)| n == existing) {
                out.push(cookie(existing, "", 0, settings.cookie_secure));
            }
        }
        chunks::pair_bytes(&written)
    }
}

/// A read slot, borrowed for writing.
struct View<'a, T> {
    value: Option<&'a T>,
    stale: bool,
    changed: bool,
}

impl<'a, T> View<'a, T> {
    /// A slot of a value shared with the session cache.
    fn of_shared(slot: &'a Slot<Option<std::sync::Arc<T>>>) -> Option<Self> {
        match slot {
            Slot::Read {
                value,
                stale,
                changed,
            } => Some(Self {
                value: value.as_deref(),
                stale: *stale,
                changed: *changed,
            }),
            Slot::Unread => None,
        }
    }

    fn of(slot: &'a Slot<Option<T>>) -> Option<Self> {
        match slot {
            Slot::Read {
                value,
                stale,
                changed,
            } => Some(Self {
                value: value.as_ref(),
                stale: *stale,
                changed: *changed,
            }),
            Slot::Unread => None,
        }
    }
}

/// What a cookie value may give up to fit the cookie budget.
trait Evict: Clone {
    /// Drops one thing that can be fetched again; `false` when nothing is left to drop.
    fn evict_one(&mut self) -> bool {
        false
    }
}

impl Evict for SessionId {}

impl Evict for Transactions {
    /// The oldest sign-in goes first; the last one left gives up its target (the
    /// callback then lands on the post-sign-in path).
    fn evict_one(&mut self) -> bool {
        if self.0.len() > 1 {
            self.0.remove(0);
            return true;
        }
        match self.0.first_mut() {
            Some(tx) if !tx.redirect.is_empty() => {
                tx.redirect.clear();
                true
            }
            _ => false,
        }
    }
}

impl Evict for SessionData {
    /// Organization tokens fetched longest ago go first (they share one lifetime, so
    /// the earliest expiry is the oldest fetch; not the least recently used, which
    /// would rewrite the cookie on every read), then other API tokens likewise, then
    /// the cached userinfo. The ID and refresh tokens are the session: never dropped.
    fn evict_one(&mut self) -> bool {
        let oldest = |organization: bool| {
            self.tokens
                .iter()
                .filter(|(key, _)| key.ends_with('#') != organization)
                .min_by_key(|(_, token)| token.expires_at)
                .map(|(key, _)| key.clone())
        };
        if let Some(key) = oldest(true).or_else(|| oldest(false)) {
            self.tokens.remove(&key);
            return true;
        }
        self.userinfo.take().is_some()
    }
}

fn cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}
