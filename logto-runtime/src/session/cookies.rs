//! A request's view of its session cookies: read and decrypted on first use; written
//! back by [`set_cookie`](super::set_cookie) only when something changed.

use std::sync::Arc;

use http::{HeaderMap, header::COOKIE};
use serde::{Deserialize, Serialize};

use super::{SessionData, Transactions, chunks, codec};
use crate::settings::Settings;

/// A value read lazily from cookies.
#[derive(Debug)]
pub(super) enum Slot<T> {
    Unread,
    Read {
        value: T,
        /// The request carried a cookie that did not decrypt or has expired: clear it.
        stale: bool,
        /// Set since it was read: to be written.
        changed: bool,
    },
}

/// What the session cookie holds when sessions live in a store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SessionId {
    #[serde(rename = "s")]
    pub(super) id: String,
}

/// What a cookie's value is before it is sealed, and after it is opened.
pub(super) trait Plaintext: Sized {
    fn to_plaintext(&self) -> Option<Vec<u8>>;
    fn from_plaintext(bytes: &[u8]) -> Option<Self>;
}

/// The session in the binary form of `codec` (about half the JSON's bytes).
impl Plaintext for SessionData {
    fn to_plaintext(&self) -> Option<Vec<u8>> {
        Some(codec::encode(self))
    }

    fn from_plaintext(bytes: &[u8]) -> Option<Self> {
        codec::decode(bytes)
            .inspect_err(|error| {
                // Authenticated, so ours: of a format this version does not read.
                tracing::warn!(target: "logto::session", %error, "a sealed session did not decode: signed out");
            })
            .ok()
    }
}

/// The sign-ins in progress and the store's session id stay JSON: small, and a
/// format of their own would only add a second reader to keep.
macro_rules! json_plaintext {
    ($($type:ty),*) => {$(
        impl Plaintext for $type {
            fn to_plaintext(&self) -> Option<Vec<u8>> {
                serde_json::to_vec(self).ok()
            }

            fn from_plaintext(bytes: &[u8]) -> Option<Self> {
                serde_json::from_slice(bytes).ok()
            }
        }
    )*};
}
json_plaintext!(Transactions, SessionId);

/// The session and sign-in cookies of one request.
#[derive(Debug)]
pub(crate) struct RequestSession {
    /// Our cookies only, as (name, value).
    pub(super) cookies: Vec<(String, String)>,
    /// Shared, not copied: a session cache hit hands the same decoded session to every
    /// request that carries its cookie, and only a change copies it.
    pub(super) session: Slot<Option<Arc<SessionData>>>,
    pub(super) transactions: Slot<Transactions>,
    /// With a store, the session cookie holds only the session's id.
    pub(super) store_mode: bool,
    pub(super) id: Slot<Option<String>>,
    /// The stored version the session was read at (for compare-and-set).
    pub(super) version: Option<u64>,
    /// A new session id is due (sign-in), so a session id never outlives a sign-in.
    pub(super) renew: bool,
}

/// The `name=value` pairs of a request's `Cookie` headers. UTF-8, not only visible
/// ASCII: checking it is a fast word-at-a-time scan of a header that may hold kilobytes.
fn cookie_pairs(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| std::str::from_utf8(value.as_bytes()).ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            Some((name, value.trim_matches('"')))
        })
}

pub(super) fn transactions_name(settings: &Settings) -> String {
    format!("{}_signin", settings.cookie_name)
}

impl RequestSession {
    pub(crate) fn from_headers(headers: &HeaderMap, settings: &Settings) -> Self {
        let session_name = settings.cookie_name.as_str();
        let tx_name = transactions_name(settings);
        let cookies = cookie_pairs(headers)
            .filter(|(name, _)| {
                chunks::is_part_of(session_name, name) || chunks::is_part_of(&tx_name, name)
            })
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        Self {
            cookies,
            session: Slot::Unread,
            transactions: Slot::Unread,
            store_mode: settings.store.is_some(),
            id: Slot::Unread,
            version: None,
            renew: false,
        }
    }

    /// The session id the cookie carries (store mode).
    pub(crate) fn store_id(&mut self, settings: &Settings) -> Option<String> {
        if let Slot::Unread = self.id {
            let (value, stale) = self.read::<SessionId>(&settings.cookie_name, settings);
            self.id = Slot::Read {
                value: value.map(|v| v.id),
                stale,
                changed: false,
            };
        }
        match &self.id {
            Slot::Read { value, .. } => value.clone(),
            Slot::Unread => None,
        }
    }

    /// Whether the session still has to be read from the store.
    pub(crate) fn needs_load(&self) -> bool {
        self.store_mode && matches!(self.session, Slot::Unread)
    }

    /// The session as read from the store (`None`: the id names no live session, and
    /// the cookie goes).
    pub(crate) fn set_loaded(&mut self, value: Option<Arc<SessionData>>, version: Option<u64>) {
        if value.is_none()
            && let Slot::Read {
                stale,
                value: Some(_),
                ..
            } = &mut self.id
        {
            *stale = true;
        }
        self.version = version;
        self.session = Slot::Read {
            value,
            stale: false,
            changed: false,
        };
    }

    /// Whether the session has not been read yet (cookie mode: not decrypted yet).
    pub(crate) fn is_unread(&self) -> bool {
        matches!(self.session, Slot::Unread)
    }

    /// Takes `data` as the session the cookie holds, decoded before (the session
    /// cache's), instead of decrypting the cookie; only before the first read.
    pub(crate) fn adopt(&mut self, data: Arc<SessionData>) {
        if self.is_unread() {
            self.session = Slot::Read {
                value: Some(data),
                stale: false,
                changed: false,
            };
        }
    }

    pub(crate) fn version(&self) -> Option<u64> {
        self.version
    }

    /// Gives the session a new id when it is next saved (at sign-in).
    pub(crate) fn renew_id(&mut self) {
        self.renew = true;
    }

    /// What has to be saved: `Some(None)` deletes, `Some(Some(_))` saves, with whether
    /// a new id is due.
    pub(crate) fn pending(&self) -> Option<(Option<Arc<SessionData>>, bool)> {
        match &self.session {
            Slot::Read {
                value,
                changed: true,
                ..
            } => Some((value.clone(), self.renew)),
            _ => None,
        }
    }

    /// Records a save (or delete, with `data` `None`) under `id` at `version`.
    pub(crate) fn saved(
        &mut self,
        data: Option<Arc<SessionData>>,
        id: Option<String>,
        version: Option<u64>,
    ) {
        let id_changed = match &self.id {
            Slot::Read { value, .. } => *value != id,
            Slot::Unread => true,
        };
        let id_stale = matches!(self.id, Slot::Read { stale: true, .. });
        self.id = Slot::Read {
            value: id,
            stale: id_stale,
            changed: id_changed,
        };
        self.session = Slot::Read {
            value: data,
            stale: false,
            changed: false,
        };
        self.version = version;
        self.renew = false;
    }

    fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The sealed value of the cookie family `name` as the request carries it.
    pub(crate) fn sealed_value(&self, name: &str) -> Option<String> {
        chunks::join(name, |n| self.cookie(n))
    }

    /// The parts of [`sealed_value`](Self::sealed_value) and how many there are,
    /// without reassembling them.
    pub(crate) fn sealed_parts(&self, name: &str) -> Option<([&str; chunks::MAX_CHUNKS], usize)> {
        chunks::parts(name, |n| self.cookie(n))
    }

    fn read<T: Plaintext>(&self, name: &str, settings: &Settings) -> (Option<T>, bool) {
        let Some(sealed) = self.sealed_value(name) else {
            return (None, false);
        };
        let value = settings
            .keys
            .open(name, &sealed)
            .and_then(|plain| T::from_plaintext(&plain));
        let stale = value.is_none();
        (value, stale)
    }

    /// The session, if the request carries a valid, unexpired one. With a store, the
    /// session must have been loaded first (see `needs_load`).
    pub(crate) fn session(&mut self, settings: &Settings) -> Option<&Arc<SessionData>> {
        if let (Slot::Unread, false) = (&self.session, self.store_mode) {
            let (value, mut stale) = self.read::<SessionData>(&settings.cookie_name, settings);
            let now = settings.clock.unix_seconds();
            let value = value.filter(|s| {
                // A session back-channel logout ended is gone, as if expired.
                let live = s.expires_at > now
                    && !settings.revocations.revokes(
                        s.sid.as_deref(),
                        || s.sub(),
                        s.signed_in_at,
                        now,
                    );
                stale |= !live;
                live
            });
            self.session = Slot::Read {
                value: value.map(Arc::new),
                stale,
                changed: false,
            };
        }
        match &self.session {
            Slot::Read { value, .. } => value.as_ref(),
            Slot::Unread => None,
        }
    }

    /// Replaces the session (`None` signs out); written back on the response.
    pub(crate) fn set_session(&mut self, value: Option<Arc<SessionData>>) {
        let stale = matches!(self.session, Slot::Read { stale: true, .. });
        self.session = Slot::Read {
            value,
            stale,
            changed: true,
        };
    }

    /// Whether the session, sealed into cookies, fits the cookie budget (always true in
    /// store mode, where the cookie holds only an id). A session that does not fit
    /// cannot be read back: the app needs a session store for it.
    pub(crate) fn fits_in_cookies(&self, settings: &Settings) -> bool {
        let Slot::Read {
            value: Some(data), ..
        } = &self.session
        else {
            return true;
        };
        if self.store_mode {
            return true;
        }
        let Some(plain) = data.to_plaintext() else {
            return false;
        };
        let sealed = settings.keys.seal(&settings.cookie_name, &plain);
        chunks::pair_bytes(&chunks::split(&settings.cookie_name, &sealed))
            <= chunks::MAX_COOKIE_BYTES
    }

    /// Lets `update` bring a session about to be written up to date (with refreshes
    /// other requests made meanwhile), so a response never writes older tokens.
    pub(crate) fn update_before_write(&mut self, update: impl FnOnce(&mut SessionData) -> bool) {
        if let Slot::Read {
            value,
            changed: true,
            ..
        } = &mut self.session
            && let Some(data) = value.as_mut()
            && !update(Arc::make_mut(data))
        {
            *value = None;
        }
    }

    /// The sign-ins in progress, for changing; written back on the response.
    pub(crate) fn transactions(&mut self, settings: &Settings) -> &mut Transactions {
        if let Slot::Unread = self.transactions {
            let (value, stale) = self.read::<Transactions>(&transactions_name(settings), settings);
            self.transactions = Slot::Read {
                value: value.unwrap_or_default(),
                stale,
                changed: false,
            };
        }
        match &mut self.transactions {
            Slot::Read { value, changed, .. } => {
                *changed = true;
                value
            }
            Slot::Unread => unreachable!("the slot was filled above"),
        }
    }
}

#[cfg(test)]
mod tests {
    use http::{HeaderValue, header::COOKIE};

    use super::*;
    use crate::session::Transaction;
    use crate::session::set_cookie::MIN_TRANSACTION_BUDGET;

    fn request_with_session(settings: &Settings, plain: &[u8]) -> RequestSession {
        let name = &settings.cookie_name;
        let cookie = format!("{name}={}", settings.keys.seal(name, plain));
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(&cookie).unwrap());
        RequestSession::from_headers(&headers, settings)
    }

    #[test]
    fn session_cookies_sealed_before_the_upgrade_still_read() {
        let settings = crate::settings::tests::builder().validate().unwrap();
        let data = SessionData {
            id_token: "h.e30.s".into(),
            refresh_token: Some("r".repeat(43)),
            access_token: None,
            tokens: Default::default(),
            userinfo: None,
            id_expires_at: 10,
            issued_at: 1,
            expires_at: settings.clock.unix_seconds() + 600,
            sid: None,
            signed_in_at: 0,
        };
        // As main sealed it: JSON.
        let mut old = request_with_session(&settings, &serde_json::to_vec(&data).unwrap());
        assert_eq!(old.session(&settings).map(|d| &**d), Some(&data));
        assert!(
            old.set_cookie_headers(&settings).is_empty(),
            "left as it is"
        );
        // Rewritten on its next change, in this version's format.
        old.set_session(Some(Arc::new(data.clone())));
        let written = old.set_cookie_headers(&settings);
        let pair = written[0].split(';').next().unwrap();
        let (name, value) = pair.split_once('=').unwrap();
        let plain = settings.keys.open(name, value).unwrap();
        assert_eq!(plain[0], codec::FORMAT);
        let mut new = request_with_session(&settings, &plain);
        assert_eq!(new.session(&settings).map(|d| &**d), Some(&data));
    }

    #[test]
    fn a_session_cookie_of_an_unknown_format_signs_out_and_is_cleared() {
        let settings = crate::settings::tests::builder().validate().unwrap();
        let mut request = request_with_session(&settings, &[9, 1, 2, 3]);
        assert_eq!(request.session(&settings), None);
        let written = request.set_cookie_headers(&settings);
        assert_eq!(written.len(), 1, "{written:?}");
        assert!(written[0].contains("Max-Age=0"), "{written:?}");
    }

    #[test]
    fn a_sign_in_on_a_full_session_keeps_the_cookies_within_reach_of_proxies() {
        let settings = crate::settings::tests::builder().validate().unwrap();
        // The browser holds a session cookie close to the budget.
        let held = format!("{}={}", settings.cookie_name, "x".repeat(6_900));
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(&held).unwrap());
        let mut request = RequestSession::from_headers(&headers, &settings);
        // A crafted link: several sign-ins with the longest targets.
        for i in 0..3 {
            request.transactions(&settings).push(
                Transaction {
                    state: format!("state-{i}"),
                    pkce_verifier: "v".repeat(43),
                    nonce: "n".repeat(22),
                    redirect: format!("/{}", "a".repeat(2000)),
                    created_at: 0,
                },
                0,
            );
        }
        let written = request.set_cookie_headers(&settings);
        let tx: Vec<_> = written.iter().filter(|c| c.contains("_signin")).collect();
        assert_eq!(tx.len(), 1, "{written:?}");
        let pair = tx[0].split(';').next().unwrap_or_default();
        assert!(pair.len() <= MIN_TRANSACTION_BUDGET, "{} bytes", pair.len());
        // The one sign-in left is the newest, without its target.
        let (name, value) = pair.split_once('=').unwrap();
        let plain = settings.keys.open(name, value).unwrap();
        let txs: Transactions = serde_json::from_slice(&plain).unwrap();
        assert_eq!(txs.0.len(), 1);
        assert_eq!(txs.0[0].state, "state-2");
        assert_eq!(txs.0[0].redirect, "");
    }
}
