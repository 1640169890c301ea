//! The contents of a session and of the sign-in transactions, as serialized in cookies.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub(crate) use crate::settings::SESSION_LIFETIME_SECS;
/// How long a sign-in may take between the redirect and the callback.
pub(crate) const TRANSACTION_LIFETIME_SECS: i64 = 600;
/// Sign-ins in progress at once in one browser (tabs); the oldest is dropped beyond.
pub(crate) const MAX_TRANSACTIONS: usize = 8;
/// The most the serialized sign-ins may take, so their sealed cookie stays one cookie
/// (under `chunks::CHUNK_LEN` once sealed) however long their targets are; the oldest
/// give way first. One transaction with the longest target always fits.
pub(crate) const MAX_TRANSACTIONS_BYTES: usize = 2700;

/// A signed-in session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SessionData {
    /// The ID token as received, verified at sign-in (or at its last refresh).
    #[serde(rename = "i")]
    pub id_token: String,
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The access token without a resource: opaque, good for userinfo only.
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<StoredToken>,
    /// Access tokens for resources and organizations, keyed as Logto keys them.
    #[serde(rename = "t", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tokens: BTreeMap<String, StoredToken>,
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub userinfo: Option<CachedUserinfo>,
    /// When the ID token stops making the session live, by our clock: its lifetime
    /// (`exp - iat`) counted from when we received it.
    #[serde(rename = "ie")]
    pub id_expires_at: i64,
    /// When the refresh token and the ID token were issued to us, in microseconds since
    /// the epoch by the system clock: when two saves of one session meet, the more
    /// recently issued pair wins, never an older one (a consumed refresh token written
    /// back ends the session at the next refresh on a rotating provider).
    #[serde(rename = "ri", default)]
    pub issued_at: i64,
    /// Seconds since the epoch after which the session is void, whatever its tokens say.
    #[serde(rename = "e")]
    pub expires_at: i64,
    /// The provider's session id (the ID token's `sid`) at sign-in, which back-channel
    /// logout names. Sessions sealed before it was kept have none (`default`).
    #[serde(rename = "sid", default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Milliseconds since the epoch of the sign-in, by the settings' clock: a logout by
    /// `sub` ends the sessions signed in up to its time, never a later one. 0 for
    /// sessions sealed before it was kept (a logout by `sub` then ends them).
    #[serde(rename = "si", default)]
    pub signed_in_at: i64,
}

/// An access token with what the token response said of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredToken {
    #[serde(rename = "v")]
    pub token: String,
    /// Granted scopes, space-separated, when the provider said.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Seconds since the epoch, by our clock: `expires_in` counted from receipt.
    #[serde(rename = "x")]
    pub expires_at: i64,
    /// From when on the token is refreshed before use (the refresh leeway before expiry).
    #[serde(rename = "f")]
    pub refresh_at: i64,
}

impl StoredToken {
    /// Whether the token is still good to hand out at `now`.
    pub(crate) fn is_fresh(&self, now: i64) -> bool {
        now < self.refresh_at
    }
}

/// The userinfo response, kept so it is fetched once per session and lifetime.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CachedUserinfo {
    #[serde(rename = "c")]
    pub claims: Map<String, Value>,
    #[serde(rename = "x")]
    pub expires_at: i64,
}

/// The system time in microseconds since the epoch: orders the refresh tokens a
/// session was given, across instances (not the settings' clock, which tests stop).
pub(crate) fn issue_time() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

impl SessionData {
    /// The ID token's payload. It was verified before it was stored, and the cookie is
    /// authenticated, so only decoding is left.
    pub(crate) fn id_token_claims(&self) -> Option<Map<String, Value>> {
        crate::jwt::payload(&self.id_token)
    }

    /// The ID token's `sub`.
    pub(crate) fn sub(&self) -> Option<String> {
        match self.id_token_claims()?.remove("sub")? {
            Value::String(sub) => Some(sub),
            _ => None,
        }
    }
}

/// One sign-in in progress, keyed by its `state`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Transaction {
    pub state: String,
    pub pkce_verifier: String,
    pub nonce: String,
    /// A same-origin path to land on after the callback.
    pub redirect: String,
    pub created_at: i64,
}

/// The sign-ins in progress in one browser.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Transactions(pub Vec<Transaction>);

impl Transactions {
    pub(crate) fn push(&mut self, tx: Transaction, now: i64) {
        self.prune(now);
        if self.0.len() >= MAX_TRANSACTIONS {
            self.0.remove(0);
        }
        self.0.push(tx);
        while self.0.len() > 1 && self.serialized_len() > MAX_TRANSACTIONS_BYTES {
            self.0.remove(0);
        }
    }

    fn serialized_len(&self) -> usize {
        serde_json::to_vec(self).map_or(usize::MAX, |json| json.len())
    }

    /// Removes and returns the live transaction of `state`: each is used at most once.
    pub(crate) fn take(&mut self, state: &str, now: i64) -> Option<Transaction> {
        self.prune(now);
        let index = self.0.iter().position(|tx| tx.state == state)?;
        Some(self.0.remove(index))
    }

    fn prune(&mut self, now: i64) {
        self.0.retain(|tx| {
            now - tx.created_at < TRANSACTION_LIFETIME_SECS && tx.created_at <= now + 60
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(state: &str, created_at: i64) -> Transaction {
        Transaction {
            state: state.into(),
            pkce_verifier: "v".into(),
            nonce: "n".into(),
            redirect: "/".into(),
            created_at,
        }
    }

    #[test]
    fn sessions_sealed_before_sid_was_kept_still_read() {
        let old = r#"{"i":"id","ie":10,"ri":1,"e":20}"#;
        let data: SessionData = serde_json::from_str(old).unwrap();
        assert_eq!((data.sid, data.signed_in_at), (None, 0));
        let mut data: SessionData = serde_json::from_str(old).unwrap();
        data.sid = Some("s".into());
        data.signed_in_at = 5;
        let json = serde_json::to_string(&data).unwrap();
        assert!(
            json.contains(r#""sid":"s""#) && json.contains(r#""si":5"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<SessionData>(&json).unwrap(), data);
    }

    #[test]
    fn transactions_are_used_once_and_expire() {
        let mut txs = Transactions::default();
        txs.push(tx("a", 100), 100);
        txs.push(tx("b", 100), 100);
        assert_eq!(txs.take("a", 150).map(|t| t.state), Some("a".into()));
        assert_eq!(txs.take("a", 150), None);
        assert_eq!(txs.take("b", 100 + TRANSACTION_LIFETIME_SECS), None);
    }

    #[test]
    fn long_targets_cannot_inflate_the_sign_in_cookie() {
        let mut txs = Transactions::default();
        for i in 0..MAX_TRANSACTIONS {
            let mut long = tx(&i.to_string(), 0);
            // The longest target a sign-in keeps (2 KB).
            long.redirect = format!("/{}", "a".repeat(2047));
            txs.push(long, 0);
            assert!(txs.serialized_len() <= MAX_TRANSACTIONS_BYTES);
        }
        assert_eq!(txs.0.len(), 1, "only the newest long one is kept");
        assert!(txs.take(&(MAX_TRANSACTIONS - 1).to_string(), 0).is_some());
    }

    #[test]
    fn the_oldest_transaction_gives_way() {
        let mut txs = Transactions::default();
        for i in 0..=MAX_TRANSACTIONS {
            txs.push(tx(&i.to_string(), 0), 0);
        }
        assert_eq!(txs.0.len(), MAX_TRANSACTIONS);
        assert!(txs.take("0", 0).is_none());
        assert!(txs.take(&MAX_TRANSACTIONS.to_string(), 0).is_some());
    }
}
