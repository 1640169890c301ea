//! Typed claims (owned by the macros work; placeholder).
pub trait Claims: Sized {}
#[derive(Debug)]
pub struct ClaimError;
#[doc(hidden)]
pub mod __private {}
