//! Splitting a cookie value over numbered cookies, so a large session is never silently
//! dropped by a browser (most keep at most 4096 bytes a cookie, name and attributes
//! included).

/// Bytes of value per cookie, leaving room for the name and the attributes.
pub(crate) const CHUNK_LEN: usize = 3800;
/// More chunks than this is not a session we wrote: ignore it.
pub(crate) const MAX_CHUNKS: usize = 16;

/// The cookies (name, value) that carry `value` under `name`: one cookie `name` when it
/// fits, else `name.0`, `name.1`, ...
pub(crate) fn split(name: &str, value: &str) -> Vec<(String, String)> {
    if value.len() <= CHUNK_LEN {
        return vec![(name.to_owned(), value.to_owned())];
    }
    // The value is base64url ASCII, so byte boundaries are char boundaries.
    value
        .as_bytes()
        .chunks(CHUNK_LEN)
        .enumerate()
        .map(|(i, chunk)| {
            (
                format!("{name}.{i}"),
                String::from_utf8_lossy(chunk).into_owned(),
            )
        })
        .collect()
}

/// Reassembles the value of `name` from a request's cookies: the plain cookie, or the
/// numbered ones when they are complete from `.0` on.
pub(crate) fn join<'a>(name: &str, mut get: impl FnMut(&str) -> Option<&'a str>) -> Option<String> {
    if let Some(value) = get(name) {
        return Some(value.to_owned());
    }
    let mut value = String::new();
    for i in 0..MAX_CHUNKS {
        match get(&format!("{name}.{i}")) {
            Some(chunk) => value.push_str(chunk),
            None if i == 0 => return None,
            None => break,
        }
    }
    Some(value)
}

/// Whether a cookie name belongs to `name`'s family (the plain one or a chunk).
pub(crate) fn is_part_of(name: &str, cookie: &str) -> bool {
    cookie == name
        || cookie
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn small_values_use_one_cookie() {
        assert_eq!(split("s", "abc"), [("s".to_owned(), "abc".to_owned())]);
    }

    #[test]
    fn large_values_split_and_join() {
        let value = "x".repeat(CHUNK_LEN * 2 + 5);
        let parts = split("s", &value);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2].0, "s.2");
        let jar: HashMap<_, _> = parts.into_iter().collect();
        assert_eq!(join("s", |n| jar.get(n).map(String::as_str)), Some(value));
    }

    #[test]
    fn missing_first_chunk_is_no_value() {
        let jar: HashMap<&str, &str> = [("s.1", "b")].into();
        assert_eq!(join("s", |n| jar.get(n).copied()), None);
    }

    #[test]
    fn family_membership() {
        assert!(is_part_of("s", "s"));
        assert!(is_part_of("s", "s.12"));
        assert!(!is_part_of("s", "s."));
        assert!(!is_part_of("s", "s_tx"));
        assert!(!is_part_of("s", "s.x"));
    }
}
