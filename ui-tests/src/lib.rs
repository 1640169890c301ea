//! trybuild UI tests of the `logto` macros live in `tests/`.
