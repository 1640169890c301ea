//! Reading a JWT's payload without verifying it: only for tokens verified before (the
//! session's, sealed in a cookie or a store) or for decisions that do not trust it.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Map, Value};

/// Decodes a JWT's payload without verifying it: only for tokens verified before.
pub(crate) fn payload(jwt: &str) -> Option<Map<String, Value>> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}
