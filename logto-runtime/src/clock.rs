//! The time tokens and sessions are judged by, injectable so tests never sleep.

use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time.
///
/// [`SystemClock`] unless a test injects its own, through
/// [`LogtoBuilder::clock`](crate::LogtoBuilder::clock) or
/// [`BearerVerifierBuilder::clock`](crate::BearerVerifierBuilder::clock):
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
///
/// use logto::Clock;
///
/// /// Always 2026-01-01T00:00:00Z.
/// struct Fixed;
///
/// impl Clock for Fixed {
///     fn now(&self) -> SystemTime {
///         UNIX_EPOCH + Duration::from_secs(1_767_225_600)
///     }
/// }
///
/// assert_eq!(Fixed.unix_seconds(), 1_767_225_600);
///
/// #[logto::config]
/// pub struct Auth;
/// let builder = logto::Logto::builder::<Auth>().clock(Fixed);
/// # let _ = builder;
/// ```
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> SystemTime;

    /// Now, in whole seconds since the Unix epoch.
    fn unix_seconds(&self) -> i64 {
        match self.now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        }
    }
}

/// Now by `clock`, in milliseconds since the Unix epoch: orders a sign-in and a logout
/// of the same second.
pub(crate) fn unix_millis(clock: &dyn Clock) -> i64 {
    match clock.now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// The operating system's clock.
///
/// ```
/// use logto::{Clock, SystemClock};
///
/// assert!(SystemClock.unix_seconds() > 1_700_000_000);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}
