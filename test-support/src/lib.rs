//! Test support for logto-rs, shared by the integration tests (`tests/integration/`) and
//! the examples (as a dev-dependency of the `logto` package). Not published.
//!
//! - [`idp`]: starts the Logto-like test provider of `tests/idp/` (Node.js,
//!   `oidc-provider`) and drives its test-only admin API.
//! - [`Browser`]: a cookie-keeping HTTP client that follows redirects one hop at a time
//!   and signs in through the provider's login form.
//! - [`TestClock`]: a clock a test moves forward, so tokens expire without sleeping.
//! - [`unique_id`], [`free_port`]: names and ports no other test or run uses.

mod browser;
pub mod idp;

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, AtomicUsize, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

pub use browser::{Browser, Hop, form_action, hidden_inputs};
pub use idp::Idp;

/// `{prefix}_{pid}_{nanos}_{n}`: unique within this process (the counter) and across
/// runs (the process id and the clock), because Redis keys and PostgreSQL schemas
/// outlive a test run, and unique per test, because the provider's request counts are
/// kept per client id. Only ASCII digits and `_` are added, so a prefix that is a valid
/// SQL identifier or client id stays one.
pub fn unique_id(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}_{}_{nanos}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A TCP port on 127.0.0.1 that was free a moment ago, for a process that must be told
/// its port before it binds (an example binary, chromedriver). Another process can
/// take it in between: callers that can, retry with another.
pub fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// A clock the test moves forward, so tokens expire without sleeping. Clones share
/// the offset: the test keeps one, the app under test gets another.
#[derive(Clone, Default, Debug)]
pub struct TestClock(Arc<AtomicI64>);

impl TestClock {
    /// Moves the clock `seconds` forward (negative: back, but never before the
    /// system clock).
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl logto_runtime::Clock for TestClock {
    fn now(&self) -> SystemTime {
        SystemTime::now() + Duration::from_secs(self.0.load(Ordering::SeqCst).max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logto_runtime::Clock;

    #[test]
    fn unique_ids_differ_and_keep_the_prefix() {
        let (a, b) = (unique_id("logto_test_pg"), unique_id("logto_test_pg"));
        assert_ne!(a, b);
        for id in [&a, &b] {
            let rest = id.strip_prefix("logto_test_pg_").expect("the prefix");
            assert!(rest.chars().all(|c| c.is_ascii_digit() || c == '_'), "{id}");
        }
    }

    #[test]
    fn a_free_port_can_be_bound() {
        let port = free_port().unwrap();
        assert_ne!(port, 0);
        std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free");
    }

    #[test]
    fn the_test_clock_moves_forward_for_every_clone() {
        let clock = TestClock::default();
        let app_side = clock.clone();
        let before = app_side.unix_seconds();
        clock.advance(3600);
        let after = app_side.unix_seconds();
        assert!(
            (3600..3610).contains(&(after - before)),
            "{before} -> {after}"
        );
    }
}
