//! What a signed-in session holds, and how it travels in encrypted cookies.
//!
//! This module knows HTTP headers but not axum: [`RequestSession`] is read from a
//! request's `Cookie` headers and turns its changes into `Set-Cookie` values.

pub(crate) mod chunks;
pub(crate) mod codec;
mod cookies;
pub(crate) mod data;

pub(crate) use cookies::RequestSession;
pub(crate) use data::{CachedUserinfo, SessionData, StoredToken, Transaction, Transactions};
