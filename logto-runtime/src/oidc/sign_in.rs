//! The authorization request, built exactly as Logto's SDKs build it, plus a `nonce`.

use openidconnect::{
    CsrfToken, Nonce, PkceCodeChallenge, Scope,
    core::{CoreAuthPrompt, CoreAuthenticationFlow},
};
use url::Url;

use super::Client;
use crate::{error::ProviderError, session::Transaction, sign_in_options::SignInOptions};

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

/// The sign-in URL that comes back to the request's own path afterwards, for guards and
/// extractors that redirect a signed-out browser. `uri` is the request's URI as the
/// browser sent it (axum's `OriginalUri` under a nested router).
pub(crate) fn sign_in_and_back(sign_in_path: &str, uri: &http::Uri) -> String {
    let back = uri.path_and_query().map_or("/", |p| p.as_str());
    if back.len() > MAX_TARGET_LEN {
        // Would be refused at sign-in anyway; keep the redirect small.
        return sign_in_path.to_owned();
    }
    let back: String = url::form_urlencoded::byte_serialize(back.as_bytes()).collect();
    format!("{sign_in_path}?post_redirect_uri={back}")
}

fn prompt_value(value: &str) -> CoreAuthPrompt {
    match value {
        "none" => CoreAuthPrompt::None,
        "login" => CoreAuthPrompt::Login,
        "consent" => CoreAuthPrompt::Consent,
        "select_account" => CoreAuthPrompt::SelectAccount,
        other => CoreAuthPrompt::Extension(other.to_owned()),
    }
}

/// The URL to send the browser to, and the transaction to keep until the callback.
pub(crate) async fn authorization_url(
    client: &Client<'_>,
    options: &SignInOptions,
) -> Result<(Url, Transaction), ProviderError> {
    let settings = &client.settings;
    let provider = client.provider().await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = provider
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        // `openidconnect` adds `openid` itself, first.
        .add_scopes(
            settings
                .scopes
                .iter()
                .filter(|s| *s != "openid")
                .map(|s| Scope::new(s.clone())),
        );
    for resource in &settings.resources {
        request = request.add_extra_param("resource", resource.clone());
    }
    let prompt = options.prompt.as_deref().unwrap_or(&settings.prompt);
    for value in prompt.split_whitespace() {
        request = request.add_prompt(prompt_value(value));
    }
    if let Some(screen) = &options.first_screen {
        request = request.add_extra_param("first_screen", screen.clone());
    }
    if !options.identifiers.is_empty() {
        request = request.add_extra_param("identifier", options.identifiers.join(" "));
    }
    if let Some(target) = &options.direct_sign_in {
        request = request.add_extra_param("direct_sign_in", target.clone());
    }
    if let Some(hint) = &options.login_hint {
        request = request.add_extra_param("login_hint", hint.clone());
    }
    for (name, value) in &options.extra_params {
        request = request.add_extra_param(name.clone(), value.clone());
    }
    let (url, state, nonce) = request.url();
    let redirect = options
        .post_redirect_uri
        .as_deref()
        .and_then(|uri| local_target(uri, &settings.base_url))
        .unwrap_or_else(|| default_target(&settings.base_url));
    let tx = Transaction {
        state: state.into_secret(),
        pkce_verifier: verifier.into_secret(),
        nonce: nonce.secret().clone(),
        redirect,
        created_at: settings.clock.unix_seconds(),
    };
    Ok((url, tx))
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
        let uri: http::Uri = long.parse().unwrap();
        assert_eq!(sign_in_and_back("/sign-in", &uri), "/sign-in");
        let uri: http::Uri = "/orders?id=1".parse().unwrap();
        assert_eq!(
            sign_in_and_back("/sign-in", &uri),
            "/sign-in?post_redirect_uri=%2Forders%3Fid%3D1"
        );
    }
}
