//! Runtime of the [`logto`](https://docs.rs/logto) crate.
//!
//! Users depend on `logto`, which re-exports everything here together with the macros.

pub mod claims;
pub mod config;

pub use claims::{ClaimError, Claims};
pub use config::{Config, UserScope};

/// Items the macros' generated code names; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::claims::__private::*;
    pub use serde_json;
}
