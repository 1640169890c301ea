//! The authorization request, built exactly as Logto's SDKs build it, plus a `nonce`.

use openidconnect::{
    CsrfToken, Nonce, PkceCodeChallenge, Scope,
    core::{CoreAuthPrompt, CoreAuthenticationFlow},
};
use url::Url;

use crate::{error::ProviderError, logto::Inner, session::Transaction};

/// How a sign-in starts: the app sets these in code; only `post_redirect_uri` may come
/// from a request (and is checked to be same-origin).
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct SignInOptions {
    pub(crate) post_redirect_uri: Option<String>,
    pub(crate) first_screen: Option<String>,
    pub(crate) identifiers: Vec<String>,
    pub(crate) direct_sign_in: Option<String>,
    pub(crate) login_hint: Option<String>,
    pub(crate) prompt: Option<String>,
    pub(crate) extra_params: Vec<(String, String)>,
}

impl SignInOptions {
    /// No options: land on `/` after sign-in.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where to land after the callback: a path of this app such as `/orders?id=1`, or
    /// an absolute URL of the same origin. Anything else lands on `/` (no open redirect).
    pub fn post_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.post_redirect_uri = Some(uri.into());
        self
    }

    /// The first screen Logto shows: `sign_in`, `register`, `identifier:sign_in`,
    /// `identifier:register`, `reset_password`, ...
    pub fn first_screen(mut self, screen: impl Into<String>) -> Self {
        self.first_screen = Some(screen.into());
        self
    }

    /// The identifiers the first screen offers: `email`, `phone`, `username`.
    pub fn identifiers<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        identifiers: I,
    ) -> Self {
        self.identifiers = identifiers.into_iter().map(Into::into).collect();
        self
    }

    /// Skip Logto's page and go straight to a connector: `social:google`, `sso:<id>`.
    pub fn direct_sign_in(mut self, target: impl Into<String>) -> Self {
        self.direct_sign_in = Some(target.into());
        self
    }

    /// Prefills the identifier (OIDC `login_hint`).
    pub fn login_hint(mut self, hint: impl Into<String>) -> Self {
        self.login_hint = Some(hint.into());
        self
    }

    /// Overrides the configured `prompt` for this sign-in.
    pub fn prompt(mut self, prompt: impl Into<String>) -> Self {
        self.prompt = Some(prompt.into());
        self
    }

    /// Any other authorization parameter.
    pub fn extra_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_params.push((name.into(), value.into()));
        self
    }
}

/// `uri` as a path of `base`'s origin, or `None` when it leads elsewhere.
pub(crate) fn same_origin_path(uri: &str, base: &Url) -> Option<String> {
    // `//host` and `/\host` are absolute URLs to browsers.
    if uri.starts_with('/') && !uri.starts_with("//") && !uri.starts_with("/\\") {
        let url = base.join(uri).ok()?;
        return (url.origin() == base.origin()).then(|| path_and_query(&url));
    }
    let url = Url::parse(uri).ok()?;
    (url.origin() == base.origin()).then(|| path_and_query(&url))
}

fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
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
    inner: &Inner,
    options: &SignInOptions,
) -> Result<(Url, Transaction), ProviderError> {
    let settings = &inner.settings;
    let provider = inner.provider().await?;
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
        .and_then(|uri| same_origin_path(uri, &settings.base_url))
        .unwrap_or_else(|| "/".to_owned());
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
            same_origin_path("/orders?id=1", &base).as_deref(),
            Some("/orders?id=1")
        );
        assert_eq!(
            same_origin_path("http://127.0.0.1:3000/x", &base).as_deref(),
            Some("/x")
        );
        for evil in [
            "//evil.com/x",
            "/\\evil.com",
            "http://evil.com/",
            "https://127.0.0.1:3000/",
            "javascript:alert(1)",
            "evil",
        ] {
            assert_eq!(same_origin_path(evil, &base), None, "{evil}");
        }
    }
}
