//! The authorization request, built exactly as Logto's SDKs build it, plus a `nonce`.

use openidconnect::{
    CsrfToken, Nonce, PkceCodeChallenge, Scope,
    core::{CoreAuthPrompt, CoreAuthenticationFlow},
};
use url::Url;

use super::Client;
use crate::{
    error::ProviderError,
    redirect::{MAX_TARGET_LEN, local_target},
    session::Transaction,
    sign_in_options::SignInOptions,
};

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
        .unwrap_or_else(|| settings.post_sign_in_path.clone());
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
    fn long_targets_go_back_to_the_sign_in_page_alone() {
        let long = format!("/{}", "a".repeat(MAX_TARGET_LEN));
        let uri: http::Uri = long.parse().unwrap();
        assert_eq!(sign_in_and_back("/sign-in", &uri), "/sign-in");
        let uri: http::Uri = "/orders?id=1".parse().unwrap();
        assert_eq!(
            sign_in_and_back("/sign-in", &uri),
            "/sign-in?post_redirect_uri=%2Forders%3Fid%3D1"
        );
    }
}
