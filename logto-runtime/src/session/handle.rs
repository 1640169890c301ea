//! One request's session, shared by the extractors and guards of that request and
//! written back by the layer on the response.

use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Map, Value};

use super::{RequestSession, SessionData};

/// The session cookies of one request, shared by its extractors and written back by the
/// layer on the response.
#[derive(Clone)]
pub(crate) struct SessionHandle(Arc<Shared>);

/// Claims decoded from an ID token, and the session value they were decoded from.
type ClaimsOf = (Arc<SessionData>, Arc<Map<String, Value>>);

struct Shared {
    session: Mutex<RequestSession>,
    /// The ID token claims of the session last asked about, so extractors of one
    /// request (a guard's, a claims type's, `Context`'s) decode the ID token once.
    id_claims: Mutex<Option<ClaimsOf>>,
}

impl SessionHandle {
    pub(crate) fn new(session: RequestSession) -> Self {
        Self(Arc::new(Shared {
            session: Mutex::new(session),
            id_claims: Mutex::new(None),
        }))
    }

    /// Never held across an `.await`.
    pub(crate) fn lock(&self) -> MutexGuard<'_, RequestSession> {
        self.0.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The claims of `data`'s ID token: decoded once per session value (a refresh that
    /// brings a new ID token is a new value), `None` when it does not decode.
    pub(crate) fn id_claims(&self, data: &Arc<SessionData>) -> Option<Arc<Map<String, Value>>> {
        let mut memo = self.0.id_claims.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((of, claims)) = memo.as_ref()
            && (Arc::ptr_eq(of, data) || of.id_token == data.id_token)
        {
            return Some(claims.clone());
        }
        let claims = Arc::new(data.id_token_claims()?);
        *memo = Some((data.clone(), claims.clone()));
        Some(claims)
    }

    /// Records claims decoded elsewhere (the session cache's) for `data`.
    pub(crate) fn remember_id_claims(
        &self,
        data: &Arc<SessionData>,
        claims: Arc<Map<String, Value>>,
    ) {
        *self.0.id_claims.lock().unwrap_or_else(|e| e.into_inner()) = Some((data.clone(), claims));
    }
}
