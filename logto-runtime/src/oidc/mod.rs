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

pub(crate) use crate::jwt::payload as jwt_payload;
