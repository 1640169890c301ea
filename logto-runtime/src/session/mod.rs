//! What a signed-in session holds, and how it travels in encrypted cookies.
//!
//! This module knows HTTP headers but not axum: [`RequestSession`] is read from a
//! request's `Cookie` headers and turns its changes into `Set-Cookie` values.

pub(crate) mod chunks;
pub(crate) mod codec;
mod cookies;
pub(crate) mod data;
mod handle;
mod set_cookie;

pub(crate) use cookies::RequestSession;
pub(crate) use data::{CachedUserinfo, SessionData, StoredToken, Transaction, Transactions};
pub(crate) use handle::SessionHandle;

/// A random identifier: 256 bits from the OS, base64url.
pub(crate) fn random_id() -> String {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
