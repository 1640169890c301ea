//! The address of a store as errors and logs show it: where to look, never a secret.

use url::Url;

/// `url` without its password and query (a PostgreSQL URL may carry
/// `?password=...`, `sslkey=...`): scheme, user, host, port and path. A URL that does
/// not parse is not echoed at all, since it may hold a password in any position.
pub(crate) fn redacted(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url.trim()) else {
        return "(the URL does not parse; not shown, it may hold a password)".to_owned();
    };
    // Both fail only for URLs that cannot have them (`unix:` paths, `data:`), which then
    // hold no password to remove.
    let _ = parsed.set_password(None);
    parsed.set_query(None);
    parsed.set_fragment(None);
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_queries_are_left_out() {
        assert_eq!(
            redacted("redis://:s3cret@127.0.0.1:6379/2"),
            "redis://127.0.0.1:6379/2"
        );
        assert_eq!(
            redacted("postgres://app:s3cret@db.internal:5432/app?sslmode=require&password=x"),
            "postgres://app@db.internal:5432/app"
        );
        assert_eq!(redacted("redis://127.0.0.1"), "redis://127.0.0.1");
        assert_eq!(
            redacted("redis+unix:///run/redis.sock"),
            "redis+unix:///run/redis.sock"
        );
        let unparsable = redacted("redis://:s3cret@[::1");
        assert!(!unparsable.contains("s3cret"), "{unparsable}");
    }
}
