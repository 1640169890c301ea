//! Where a browser may be sent after sign-in: the `post_redirect_uri` of a sign-in, the
//! page a guard sends back to, and the app's default landing path
//! (`LOGTO_POST_SIGN_IN_PATH`), all normalised and checked the same way, as a browser
//! reads them.

use url::Url;

/// The longest post-sign-in target kept: it travels in the sign-in cookie, and one
/// crafted link must not inflate a victim's cookies past what proxies accept.
pub(crate) const MAX_TARGET_LEN: usize = 2048;

/// Where to land after sign-in: `uri` as a path (and query) on `base`'s origin and under
/// `base`'s path, or `None` when it leads anywhere else.
///
/// The input is parsed as a browser parses it, the path is rebuilt from the parsed URL,
/// and then the *result* is checked: normalisation (`/./`, `/a/../`, a tab a browser
/// drops) can turn an innocent-looking input into `//host`, which a browser reads as
/// another host.
pub(crate) fn local_target(uri: &str, base: &Url) -> Option<String> {
    if uri.len() > MAX_TARGET_LEN || !is_plain(uri) {
        return None;
    }
    let url = if uri.starts_with('/') {
        // `//host` is a network-path reference: another host.
        if uri.starts_with("//") {
            return None;
        }
        base.join(uri).ok()?
    } else {
        Url::parse(uri).ok()?
    };
    if url.origin() != base.origin() || !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    is_local_target(&target, base).then_some(target)
}

/// Whether `target`, put in a `Location` header, stays on `base`'s origin and under its
/// path: an absolute path that no browser reads as a network-path reference, with
/// nothing a browser would strip or reinterpret.
pub(crate) fn is_local_target(target: &str, base: &Url) -> bool {
    let path = target.split(['?', '#']).next().unwrap_or_default();
    target.len() <= MAX_TARGET_LEN
        && is_plain(target)
        && path.starts_with('/')
        && !path.starts_with("//")
        && under_base_path(path, base.path())
}

/// No backslash (browsers read `\` as `/` in http URLs) and no control character or
/// space (browsers strip tabs and newlines before parsing).
fn is_plain(s: &str) -> bool {
    !s.chars()
        .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
}

/// `path` is `base_path` itself or below it (`/app`, `/app/`, `/app/x`; not `/apple`).
fn under_base_path(path: &str, base_path: &str) -> bool {
    let base = base_path.trim_end_matches('/');
    match path.strip_prefix(base) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// The landing path when a sign-in names none (or names one that is refused): the base
/// URL's own path.
pub(crate) fn default_target(base: &Url) -> String {
    base.path().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_origin_redirects_are_kept() {
        let base = Url::parse("http://127.0.0.1:3000/").unwrap();
        assert_eq!(
            local_target("/orders?id=1", &base).as_deref(),
            Some("/orders?id=1")
        );
        assert_eq!(
            local_target("http://127.0.0.1:3000/x", &base).as_deref(),
            Some("/x")
        );
        assert_eq!(local_target("/a/../b/./c", &base).as_deref(), Some("/b/c"));
        for evil in [
            "//evil.com/x",
            "/\\evil.com",
            "http://evil.com/",
            "https://127.0.0.1:3000/",
            "javascript:alert(1)",
            "evil",
            // Normalisation turns these into `//evil.example`.
            "/.//evil.example",
            "/a/..//evil.example",
            "http://127.0.0.1:3000//evil.example/x",
            "http://127.0.0.1:3000/.//evil.example/x",
            "/%2e//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/x\\y",
            "http://user:pw@127.0.0.1:3000/x",
        ] {
            assert_eq!(local_target(evil, &base), None, "{evil:?}");
        }
    }

    #[test]
    fn targets_stay_under_the_base_path() {
        let base = Url::parse("https://host.example/app").unwrap();
        assert_eq!(local_target("/app/x", &base).as_deref(), Some("/app/x"));
        assert_eq!(local_target("/app", &base).as_deref(), Some("/app"));
        assert_eq!(local_target("/apple", &base), None);
        assert_eq!(local_target("/other", &base), None);
        assert_eq!(local_target("/app/../other", &base), None);
        assert_eq!(default_target(&base), "/app");
    }

    #[test]
    fn long_targets_are_refused() {
        let base = Url::parse("http://127.0.0.1:3000/").unwrap();
        let long = format!("/{}", "a".repeat(MAX_TARGET_LEN));
        assert_eq!(local_target(&long, &base), None);
        assert!(!is_local_target(&long, &base));
    }
}
