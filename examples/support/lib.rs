//! The apps of the examples, as a library: `cargo run --example ...` and the integration
//! tests build the same app from the same code (the tests drive the quickstart's pages
//! and the API server's routes as a user would), without `#[path]` includes between
//! `examples/` and `tests/`.

pub mod api;
pub mod app;
pub mod dev;
