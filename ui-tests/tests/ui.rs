//! Compile-time checks of `#[logto::config]` and `#[derive(logto::Claims)]`.
//!
//! Each file under `tests/ui/` holds one mistake (or one passing case). Regenerate the
//! `.stderr` snapshots with `TRYBUILD=overwrite cargo test -p logto-ui-tests`, using the
//! pinned toolchain, then read every message: it must say how to fix the code.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass_*.rs");
    t.compile_fail("tests/ui/fail_*.rs");
}
