//! Logto sign-in and API protection for axum.
pub use logto_macros::*;
pub use logto_runtime::*;
