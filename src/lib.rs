#![doc = include_str!("../README.md")]
//!
//! # Where things are
//!
//! - [`config`](macro@config), [`Claims`](derive@Claims) and [`protected`](macro@protected):
//!   the macros.
//! - [`Logto`] and [`LogtoBuilder`]: the client, its routes and its session layer.
//! - [`Context`], the claims extractors and [`RedirectToSignIn`]: who the user is.
//! - [`TokenRequest`], [`AccessToken`], [`TokenError`]: access tokens for resources and
//!   organizations; [`LogtoBuilder::token_route`]: the same tokens for the app's own
//!   browser code (see "Access tokens for the app's browser code" above).
//! - [`BearerVerifier`]: bearer access tokens for APIs (RFC 9068).
//! - [`SessionStore`], [`MemoryStore`], `RedisStore`, `PostgresStore`: external sessions.
//! - `testing` (feature `testing`, tests only): `TestAuth`, an in-process issuer to test
//!   an app's handlers without a provider (see "Testing your app" above).
//!
//! # Cargo features
//!
//! | feature | what it adds | default |
//! |---|---|---|
//! | `redis` | `RedisStore`: sessions in Redis | off |
//! | `redis-cluster` | `RedisStore::connect_cluster`: sessions in a Redis Cluster or Valkey cluster (implies `redis`) | off |
//! | `postgres` | `PostgresStore`: sessions in PostgreSQL | off |
//! | `testing` | `logto::testing`: an in-process issuer for the app's tests; in `[dev-dependencies]` only, **never in a production build** | off |
//!
//! ```toml
//! [dependencies]
//! logto = { git = "https://github.com/logto-rs/logto-rs", features = ["redis"] }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

pub use logto_macros::*;
pub use logto_runtime::*;
