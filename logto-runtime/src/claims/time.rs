//! Logto's timestamps.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch: the unit of Logto's `created_at` and
/// `updated_at` claims.
///
/// Logto departs from OIDC here (whose `updated_at` is in seconds), so reading these
/// claims as seconds would place users in the year 55840; this type keeps the unit in
/// the name.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use logto::claims::UnixMillis;
///
/// let created_at: UnixMillis = serde_json::from_str("1700000000123")?;
/// assert_eq!(created_at.as_millis(), 1_700_000_000_123);
/// assert_eq!(
///     created_at.as_system_time(),
///     Some(SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123)),
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixMillis(pub i64);

impl UnixMillis {
    /// The milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// The instant, or `None` when the platform's `SystemTime` cannot represent it
    /// (never for a real timestamp: `SystemTime` spans at least years 1601 to 30828).
    pub fn as_system_time(self) -> Option<SystemTime> {
        let offset = Duration::from_millis(self.0.unsigned_abs());
        if self.0 >= 0 {
            SystemTime::UNIX_EPOCH.checked_add(offset)
        } else {
            SystemTime::UNIX_EPOCH.checked_sub(offset)
        }
    }
}

impl From<UnixMillis> for i64 {
    fn from(millis: UnixMillis) -> Self {
        millis.0
    }
}

impl From<i64> for UnixMillis {
    fn from(millis: i64) -> Self {
        Self(millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_both_sides_of_the_epoch() {
        let before = UnixMillis(-1_500).as_system_time();
        assert_eq!(
            before,
            SystemTime::UNIX_EPOCH.checked_sub(Duration::from_millis(1_500))
        );
        assert_eq!(UnixMillis(0).as_system_time(), Some(SystemTime::UNIX_EPOCH));
    }

    #[test]
    fn rejects_fractions_and_text() {
        assert!(serde_json::from_str::<UnixMillis>("1.5").is_err());
        assert!(serde_json::from_str::<UnixMillis>("\"1700000000000\"").is_err());
    }
}
