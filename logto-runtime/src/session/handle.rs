//! One request's session, shared by the extractors and guards of that request and
//! written back by the layer on the response.

use std::sync::{Arc, Mutex, MutexGuard};

use super::RequestSession;

/// The session cookies of one request, shared by its extractors and written back by the
/// layer on the response.
#[derive(Clone)]
pub(crate) struct SessionHandle(Arc<Mutex<RequestSession>>);

impl SessionHandle {
    pub(crate) fn new(session: RequestSession) -> Self {
        Self(Arc::new(Mutex::new(session)))
    }

    /// Never held across an `.await`.
    pub(crate) fn lock(&self) -> MutexGuard<'_, RequestSession> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
