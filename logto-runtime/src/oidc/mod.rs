//! The OpenID Connect protocol: discovery, sign-in, callback, tokens, userinfo and
//! sign-out, on plain request data. Nothing here knows axum.

pub(crate) mod callback;
pub(crate) mod http;
pub(crate) mod id_token;
mod provider;
pub(crate) mod sign_in;
pub(crate) mod sign_out;
pub(crate) mod userinfo;

pub(crate) use callback::CallbackParams;
pub(crate) use http::HttpClient;
pub(crate) use id_token::IdTokenCheck;
pub(crate) use provider::{Provider, ProviderCache};
pub use sign_in::SignInOptions;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Map, Value};

/// Decodes a JWT's payload without verifying it: only for tokens verified before.
pub(crate) fn jwt_payload(jwt: &str) -> Option<Map<String, Value>> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}
