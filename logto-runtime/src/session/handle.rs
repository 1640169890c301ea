//! One request's session, shared by the extractors and guards of that request and
//! written back by the layer on the response.

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value};

use super::{RequestSession, SessionData};
use crate::hash::TokenHash;

/// The session cookies of one request, shared by its extractors and written back by the
/// layer on the response.
#[derive(Clone)]
pub(crate) struct SessionHandle(Arc<Shared>);

/// What a session value decodes to, kept for the value it was decoded from.
struct Memo {
    of: Arc<SessionData>,
    id_claims: Option<Arc<Map<String, Value>>>,
    /// The SHA-256 of its refresh token (`Some(None)`: it has none), as the refresh
    /// coordinator knows tokens.
    refresh_token: Option<Option<TokenHash>>,
}

struct Shared {
    session: Mutex<RequestSession>,
    /// What the session last asked about decodes to, so the extractors of one request
    /// (a guard's, a claims type's, `Context`'s, `access_token`) decode the ID token
    /// and hash the refresh token once.
    memo: Mutex<Option<Memo>>,
}

impl SessionHandle {
    pub(crate) fn new(session: RequestSession) -> Self {
        Self(Arc::new(Shared {
            session: Mutex::new(session),
            memo: Mutex::new(None),
        }))
    }

    /// Never held across an `.await`.
    pub(crate) fn lock(&self) -> MutexGuard<'_, RequestSession> {
        self.0.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The memo of `data`, started afresh when it is another value.
    fn memo<T>(&self, data: &Arc<SessionData>, read: impl FnOnce(&mut Memo) -> T) -> T {
        let mut memo = self.0.memo.lock().unwrap_or_else(|e| e.into_inner());
        let memo = match memo.as_mut() {
            Some(memo) if Arc::ptr_eq(&memo.of, data) => memo,
            _ => memo.insert(Memo {
                of: data.clone(),
                id_claims: None,
                refresh_token: None,
            }),
        };
        read(memo)
    }

    /// The claims of `data`'s ID token, decoded once per session value (a refresh that
    /// brings a new ID token makes a new value); `None` when it does not decode.
    pub(crate) fn id_claims(&self, data: &Arc<SessionData>) -> Option<Arc<Map<String, Value>>> {
        self.memo(data, |memo| {
            if memo.id_claims.is_none() {
                memo.id_claims = data.id_token_claims().map(Arc::new);
            }
            memo.id_claims.clone()
        })
    }

    /// The SHA-256 of `data`'s refresh token, hashed once per session value.
    pub(crate) fn refresh_token_hash(&self, data: &Arc<SessionData>) -> Option<TokenHash> {
        self.memo(data, |memo| {
            *memo
                .refresh_token
                .get_or_insert_with(|| data.refresh_token.as_deref().map(TokenHash::of))
        })
    }

    /// Records what the session cache decoded `data` to.
    pub(crate) fn remember(
        &self,
        data: &Arc<SessionData>,
        id_claims: Arc<Map<String, Value>>,
        refresh_token: Option<TokenHash>,
    ) {
        *self.0.memo.lock().unwrap_or_else(|e| e.into_inner()) = Some(Memo {
            of: data.clone(),
            id_claims: Some(id_claims),
            refresh_token: Some(refresh_token),
        });
    }
}
