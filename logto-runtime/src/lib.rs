//! Runtime of the [`logto`](https://docs.rs/logto) crate: the OpenID Connect client,
//! encrypted cookie sessions, and the axum integration.
//!
//! Users depend on `logto`, which re-exports everything here together with the macros.
//! The protocol core (`oidc`, `session`, `context`) works on plain request data; only
//! the `axum` module knows axum.

mod axum;
pub mod claims;
mod clock;
pub mod config;
mod context;
mod error;
mod logto;
mod oidc;
mod session;
mod settings;
mod tokens;

pub use crate::axum::{AuthRejection, LogtoLayer, LogtoService, RedirectToSignIn};
pub use claims::{
    Address, ClaimError, Claims, IdTokenClaims, Identity, OrganizationData, OrganizationRole, SsoIdentity,
    UnixMillis,
};
pub use clock::{Clock, SystemClock};
pub use config::{Config, UserScope};
pub use context::{Context, ContextError};
pub use error::{CallbackError, ConfigError, Error, OAuthError, OAuthErrorCode, ProviderError};
pub use logto::Logto;
pub use oidc::SignInOptions;
pub use settings::LogtoBuilder;
pub use tokens::{AccessToken, TokenError, TokenRequest};

/// Items the macros' generated code names; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::axum::{extract_claims, extract_optional_claims};
    pub use crate::claims::__private::*;
    pub use crate::AuthRejection;
    pub use ::axum;
    pub use serde_json;
}
