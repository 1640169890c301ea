//! Procedural macros of the `logto` crate (placeholder).
