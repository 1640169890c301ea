//! The OpenID Connect protocol: discovery, sign-in, callback, tokens, userinfo and
//! sign-out, on plain request data. Nothing here knows axum.

pub(crate) mod callback;
pub(crate) mod http;
pub(crate) mod id_token;
pub(crate) mod logout_token;
mod provider;
pub(crate) mod sign_in;
pub(crate) mod sign_out;
mod token_response;
pub(crate) mod userinfo;

pub(crate) use callback::CallbackParams;
pub(crate) use http::HttpClient;
pub(crate) use id_token::IdTokenCheck;
pub(crate) use provider::{Provider, ProviderCache};
pub(crate) use token_response::{id_token_lifetime, stored_token};

use std::sync::Arc;

use crate::{error::ProviderError, settings::Settings};

/// What the protocol core needs of a client, and nothing else: its settings, its HTTP
/// client and the provider's metadata. Another framework adapter could drive it.
#[derive(Clone, Copy)]
pub(crate) struct Client<'a> {
    pub settings: &'a Settings,
    pub http: &'a HttpClient,
    pub provider_cache: &'a ProviderCache,
}

impl Client<'_> {
    /// The provider's metadata and keys, discovered once and cached.
    pub(crate) async fn provider(&self) -> Result<Arc<Provider>, ProviderError> {
        self.provider_cache.get(self.settings, self.http).await
    }
}

pub(crate) use crate::jwt::payload as jwt_payload;
