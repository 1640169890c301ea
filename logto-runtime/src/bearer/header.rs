//! The `Authorization` header of a request, read per RFC 6750 §2.1.

use http::{HeaderMap, header::AUTHORIZATION};

/// What a request's `Authorization` header offers.
///
/// ```
/// use axum::http::HeaderMap;
/// use logto::bearer::Credentials;
///
/// fn describe(headers: &HeaderMap) -> &'static str {
///     match Credentials::from_headers(headers) {
///         Credentials::Bearer(_) => "a bearer token",
///         Credentials::None | Credentials::OtherScheme => "no bearer token",
///         Credentials::Malformed(_) => "a malformed Authorization header",
///     }
/// }
/// assert_eq!(describe(&HeaderMap::new()), "no bearer token");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials<'a> {
    /// No `Authorization` header.
    None,
    /// `Authorization: Bearer <token>`, well formed.
    Bearer(&'a str),
    /// Another scheme (`Basic`, ...): no bearer credentials.
    OtherScheme,
    /// An `Authorization` header that is not valid (RFC 6750 `invalid_request`): why.
    Malformed(&'static str),
}

impl<'a> Credentials<'a> {
    /// Reads the `Authorization` header of `headers`.
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
    /// use logto::bearer::Credentials;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer abc.def.ghi"));
    /// assert_eq!(Credentials::from_headers(&headers), Credentials::Bearer("abc.def.ghi"));
    /// headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer a b"));
    /// assert!(matches!(Credentials::from_headers(&headers), Credentials::Malformed(_)));
    /// ```
    pub fn from_headers(headers: &'a HeaderMap) -> Self {
        let mut values = headers.get_all(AUTHORIZATION).iter();
        let Some(value) = values.next() else {
            return Self::None;
        };
        if values.next().is_some() {
            return Self::Malformed("the request has more than one Authorization header");
        }
        // Bytes, not `to_str`: the token check below admits ASCII only anyway, and this
        // runs on every request.
        let value = value.as_bytes();
        let (scheme, rest) = match value.iter().position(|b| *b == b' ') {
            Some(space) => (&value[..space], &value[space + 1..]),
            None => (value, &[][..]),
        };
        // Schemes are case-insensitive (RFC 9110 §11.1).
        if !scheme.eq_ignore_ascii_case(b"bearer") {
            return if scheme.is_empty() || !scheme.iter().copied().all(is_tchar) {
                Self::Malformed("the Authorization header has no scheme")
            } else {
                Self::OtherScheme
            };
        }
        // `1*SP`: one or more spaces, then exactly one b64token.
        let start = rest.iter().position(|b| *b != b' ').unwrap_or(rest.len());
        let token = &rest[start..];
        if token.is_empty() {
            return Self::Malformed(
                "the Bearer credentials are empty: send `Authorization: Bearer <access token>`",
            );
        }
        if !is_b64token(token) {
            return Self::Malformed(
                "the Bearer credentials are not one token (RFC 6750 §2.1 b64token)",
            );
        }
        match std::str::from_utf8(token) {
            Ok(token) => Self::Bearer(token),
            // Unreachable: a b64token is ASCII.
            Err(_) => Self::Malformed("the Authorization header is not ASCII"),
        }
    }
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &[u8]) -> bool {
    let end = token
        .iter()
        .rposition(|b| *b != b'=')
        .map_or(0, |last| last + 1);
    let body = &token[..end];
    // A fold without early exit, so the check vectorizes: it runs on every request.
    !body.is_empty() && body.iter().fold(true, |ok, b| ok & is_b64char(*b))
}

/// Branch-free: letters (any case, via the case bit), digits, and six punctuation marks.
fn is_b64char(b: u8) -> bool {
    ((b | 0x20).wrapping_sub(b'a') < 26)
        | (b.wrapping_sub(b'0') < 10)
        | (b == b'-')
        | (b == b'.')
        | (b == b'_')
        | (b == b'~')
        | (b == b'+')
        | (b == b'/')
}

/// RFC 9110 `tchar`: what a scheme name is made of.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn read(values: &[&'static str]) -> Credentials<'static> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(AUTHORIZATION, HeaderValue::from_static(value));
        }
        // The map is leaked so the borrowed token outlives this helper (tests only).
        Credentials::from_headers(Box::leak(Box::new(headers)))
    }

    #[test]
    fn reads_bearer_tokens_case_insensitively() {
        assert_eq!(read(&[]), Credentials::None);
        assert_eq!(read(&["Bearer a.b.c"]), Credentials::Bearer("a.b.c"));
        assert_eq!(
            read(&["bearer   a.b-_~+/c=="]),
            Credentials::Bearer("a.b-_~+/c==")
        );
        assert_eq!(read(&["Basic dXNlcjpwYXNz"]), Credentials::OtherScheme);
    }

    #[test]
    fn b64token_characters_are_exactly_those_of_rfc_6750() {
        for b in 0..=255u8 {
            let expected = b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
            assert_eq!(is_b64char(b), expected, "{b:#x}");
        }
    }

    #[test]
    fn refuses_malformed_headers() {
        for malformed in [
            &["Bearer"][..],
            &["Bearer "],
            &["Bearer a b"],
            &["Bearer a,b"],
            &["Bearer ==="],
            &[" x"],
            &["Bearer a", "Bearer b"],
        ] {
            assert!(
                matches!(read(malformed), Credentials::Malformed(_)),
                "{malformed:?}"
            );
        }
    }
}
