//! Splitting a cookie value over numbered cookies, so a large session is never silently
//! dropped by a browser (most keep at most 4096 bytes a cookie, name and attributes
//! included).

/// Bytes of value per cookie, leaving room for the name and the attributes.
pub(crate) const CHUNK_LEN: usize = 3800;
/// The most this SDK's cookies may hold together, as `name=value` pairs: one `Cookie`
/// header line of 8 KB is a common proxy limit, and apps have cookies of their own.
/// Writing keeps within it (evicting what can be fetched again); reading refuses more.
pub(crate) const MAX_COOKIE_BYTES: usize = 7000;
/// The most chunks a value within [`MAX_COOKIE_BYTES`] can take.
pub(crate) const MAX_CHUNKS: usize = MAX_COOKIE_BYTES.div_ceil(CHUNK_LEN);

/// What a browser sends for these cookies: `name=value` per cookie.
pub(crate) fn pair_bytes(cookies: &[(String, String)]) -> usize {
    cookies
        .iter()
        .map(|(name, value)| name.len() + 1 + value.len())
        .sum()
}

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

/// The parts of the value of `name` in a request's cookies: the plain cookie, or the
/// numbered ones when they are complete from `.0` on; with how many there are. `None`
/// for anything larger than this SDK writes (more chunks, or more bytes, than
/// [`MAX_COOKIE_BYTES`] allows). The one reading of our cookies: [`join`] reassembles
/// it, and the session cache keys and compares its entries by it.
pub(crate) fn parts<'a>(
    name: &str,
    mut get: impl FnMut(&str) -> Option<&'a str>,
) -> Option<([&'a str; MAX_CHUNKS], usize)> {
    if let Some(value) = get(name) {
        return (value.len() <= MAX_COOKIE_BYTES).then_some(([value; MAX_CHUNKS], 1));
    }
    let mut parts = [""; MAX_CHUNKS];
    let mut count = 0;
    let mut len = 0;
    for i in 0..=MAX_CHUNKS {
        match get(&format!("{name}.{i}")) {
            Some(_) if i == MAX_CHUNKS => return None,
            Some(chunk) => {
                // `count == i`: chunks are taken in order from `.0`.
                parts[count] = chunk;
                count += 1;
                len += chunk.len();
                if len > MAX_COOKIE_BYTES {
                    return None;
                }
            }
            None if i == 0 => return None,
            None => break,
        }
    }
    Some((parts, count))
}

/// Reassembles the value of `name` from a request's cookies (see [`parts`]).
pub(crate) fn join<'a>(name: &str, get: impl FnMut(&str) -> Option<&'a str>) -> Option<String> {
    let (parts, count) = parts(name, get)?;
    Some(parts[..count].concat())
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
        let value = "x".repeat(CHUNK_LEN + 5);
        let parts = split("s", &value);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].0, "s.1");
        let jar: HashMap<_, _> = parts.into_iter().collect();
        assert!(join("s", |n| jar.get(n).map(String::as_str)) == Some(value));
    }

    #[test]
    fn reading_refuses_what_writing_never_produces() {
        let value = "x".repeat(MAX_COOKIE_BYTES + 1);
        let jar: HashMap<String, String> = split("s", &value).into_iter().collect();
        assert!(join("s", |n| jar.get(n).map(String::as_str)).is_none());
        let within = "x".repeat(MAX_COOKIE_BYTES - 100);
        let jar: HashMap<String, String> = split("s", &within).into_iter().collect();
        assert!(jar.len() <= MAX_CHUNKS);
        assert!(join("s", |n| jar.get(n).map(String::as_str)) == Some(within));
        let jar: HashMap<String, &str> =
            (0..=MAX_CHUNKS).map(|i| (format!("s.{i}"), "x")).collect();
        assert_eq!(join("s", |n| jar.get(n).copied()), None, "too many chunks");
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
