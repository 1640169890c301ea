//! Runtime of the [`logto`](https://docs.rs/logto) crate: the OpenID Connect client,
//! encrypted cookie sessions, and the axum integration.
//!
//! Users depend on `logto`, which re-exports everything here together with the macros.
//! The protocol core (`oidc`, `session`, `context`) works on plain request data; only
//! the `axum` module knows axum. `ARCHITECTURE.md` at the repository's root maps the
//! modules.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(test)]
mod architecture_tests;
mod axum;
mod backchannel;
pub mod bearer;
pub mod claims;
mod clock;
pub mod config;
mod context;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod guard_spec;
mod hash;
mod jwt;
#[cfg(test)]
mod log_targets_tests;
mod logto;
mod oidc;
mod redirect;
mod revocation;
mod seal;
mod session;
mod session_cache;
mod settings;
mod sign_in_options;
pub mod store;
mod stored_session;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod tokens;

#[doc(hidden)]
#[allow(deprecated)] // Re-exported until apps move to `Rejection`.
pub use crate::axum::{AuthRejection, GuardRejection};
pub use crate::axum::{
    BearerLayer, BearerService, Guard, GuardLayer, GuardService, LogtoLayer, LogtoService,
    RedirectToSignIn, Rejection,
};
pub use bearer::{BearerError, BearerVerifier, BearerVerifierBuilder};
pub use claims::{
    Address, ClaimError, Claims, IdTokenClaims, Identity, OrganizationData, OrganizationRole,
    OrganizationRoleError, SsoIdentity, UnixMillis,
};
pub use clock::{Clock, SystemClock};
pub use config::{Config, UserScope};
pub use context::{Context, ContextError};
pub use error::{
    CallbackError, ConfigError, Error, OAuthError, OAuthErrorCode, ProviderError, PublicMessage,
};
pub use logto::Logto;
pub use settings::{BackchannelLogout, LogtoBuilder};
pub use sign_in_options::SignInOptions;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use store::PostgresStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use store::RedisStore;
pub use store::{LogoutTarget, MemoryStore, Revocation, SessionStore, StoreError};
pub use tokens::{AccessToken, TokenError, TokenRequest};

/// Items the macros' generated code names; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::Rejection;
    pub use crate::axum::{GuardDef, Guarded, extract_claims, extract_optional_claims};
    pub use crate::claims::__private::*;
    pub use crate::guard_spec::{
        GuardSpec,
        rule::{
            Kind as GuardKind, Part as GuardPart, Requested as GuardRequested, requested_of,
            unmet_is as guard_unmet_is,
        },
    };
    pub use ::axum;
    pub use serde_json;
}
