//! The syntax of an API resource indicator (RFC 8707 §2).

use crate::scopes::{ORGANIZATIONS, ORGANIZATIONS_RESOURCE};

/// Checks that `resource` is an absolute URI without a fragment, and not Logto's
/// reserved organizations resource. The error says how to fix it.
pub(crate) fn check(resource: &str) -> Result<(), String> {
    if resource.is_empty() {
        return Err(
            "a resource indicator cannot be empty: write the API identifier shown in \
             Logto's console, e.g. \"https://api.example.com\""
                .into(),
        );
    }
    if let Some(bad) = resource.chars().find(|c| !is_uri_char(*c)) {
        let shown = if bad.is_whitespace() || bad.is_control() {
            format!("U+{:04X}", u32::from(bad))
        } else {
            format!("`{bad}`")
        };
        return Err(format!(
            "resource `{}` contains {shown}, which a URI cannot hold (RFC 3986): remove it \
             or percent-encode it",
            resource.escape_debug()
        ));
    }
    if resource == ORGANIZATIONS_RESOURCE {
        return Err(format!(
            "`{ORGANIZATIONS_RESOURCE}` is reserved: it is added automatically when the \
             `{ORGANIZATIONS}` scope is requested; remove it and add \
             `UserScope::Organizations` to `scopes` instead"
        ));
    }
    let Some((scheme, rest)) = resource
        .split_once(':')
        .filter(|(scheme, _)| is_scheme(scheme))
    else {
        return Err(format!(
            "resource `{resource}` is not an absolute URI (RFC 8707 §2): it needs a scheme, \
             e.g. \"https://{}\"",
            resource.trim_start_matches('/')
        ));
    };
    if let Some((_, fragment)) = resource.split_once('#') {
        let kept = &resource[..resource.len() - fragment.len() - 1];
        return Err(format!(
            "resource `{resource}` has a fragment `#{fragment}`, which RFC 8707 §2 forbids: \
             write \"{kept}\""
        ));
    }
    let is_web = scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http");
    let host = rest
        .strip_prefix("//")
        .map(|authority| authority.split(['/', '?']).next().unwrap_or_default());
    if is_web && host.is_none_or(str::is_empty) {
        return Err(format!(
            "resource `{resource}` has no host: write it as `{scheme}://<host>/<path>`, e.g. \
             \"{scheme}://api.example.com\""
        ));
    }
    Ok(())
}

/// RFC 3986 §2: unreserved, reserved and `%` of percent-encoding.
fn is_uri_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

/// RFC 3986 §3.1: `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn is_scheme(scheme: &str) -> bool {
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_absolute_uris() {
        for ok in [
            "https://shopping.your-app.com/api",
            "https://api.example.com",
            "http://localhost:3000/api?v=1",
            "urn:my-company:api",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_with_the_fix() {
        let relative = check("api.example.com").unwrap_err();
        assert!(
            relative.contains("\"https://api.example.com\""),
            "{relative}"
        );
        let fragment = check("https://api.example.com/#v1").unwrap_err();
        assert!(
            fragment.contains("write \"https://api.example.com/\""),
            "{fragment}"
        );
        assert!(check("https:///api").unwrap_err().contains("no host"));
        assert!(check("https://api .com").unwrap_err().contains("U+0020"));
        assert!(check("").unwrap_err().contains("cannot be empty"));
        assert!(
            check(ORGANIZATIONS_RESOURCE)
                .unwrap_err()
                .contains("reserved")
        );
        // A Windows path is not a URI even though it has a colon.
        assert!(check("C:\\api").is_err());
    }
}
