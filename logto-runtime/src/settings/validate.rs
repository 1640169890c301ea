//! From a [`LogtoBuilder`] to [`Settings`]: every value checked once, at startup, with
//! an error that names the variable (or the builder method) to fix.

use std::sync::Arc;

use url::Url;

use super::{LogtoBuilder, MIN_COOKIE_SECRET_LEN, Settings};
use crate::{
    config::{BASE_SCOPES, ORGANIZATIONS_RESOURCE, UserScope},
    error::ConfigError,
    redirect,
    seal::CookieKeys,
};

impl LogtoBuilder {
    pub(crate) fn validate(self) -> Result<Settings, ConfigError> {
        // First, while `self` is whole: the checks below move its values out.
        let token_route_path = self.validated_token_route_path()?;
        let endpoint = required(
            self.endpoint,
            "LOGTO_ENDPOINT",
            "the Logto endpoint, for example https://tenant.logto.app",
        )?;
        let endpoint = http_url(&endpoint, "LOGTO_ENDPOINT")?;
        let issuer = issuer(&endpoint, self.issuer.as_deref())?;
        let app_id = required(
            self.app_id,
            "LOGTO_APP_ID",
            "the application id from the Logto console",
        )?;
        let app_secret = required(
            self.app_secret,
            "LOGTO_APP_SECRET",
            "the application secret from the Logto console",
        )?;
        let base_url = required(
            self.base_url,
            "LOGTO_BASE_URL",
            "the public URL of this app, for example http://localhost:3000",
        )?;
        let base_url = http_url(&base_url, "LOGTO_BASE_URL")?;
        let secret = required(
            self.cookie_secret,
            "LOGTO_COOKIE_SECRET",
            "a random string of at least 32 characters",
        )?;
        let mut secrets = vec![secret];
        secrets.extend(self.old_cookie_secrets);
        for secret in &secrets {
            if secret.chars().count() < MIN_COOKIE_SECRET_LEN {
                return Err(ConfigError::new(
                    "LOGTO_COOKIE_SECRET",
                    format!(
                        "must be at least {MIN_COOKIE_SECRET_LEN} characters long (generate one with `openssl rand -base64 32`)"
                    ),
                ));
            }
        }
        for (setting, path) in [
            ("sign_in_path", &self.sign_in_path),
            ("callback_path", &self.callback_path),
            ("sign_out_path", &self.sign_out_path),
        ] {
            if !path.starts_with('/') || path.starts_with("//") {
                return Err(ConfigError::new(
                    setting,
                    format!("`{path}` must be an absolute path such as /callback"),
                ));
            }
        }
        let callback_url = join_path(&base_url, &self.callback_path);
        let post_sign_out_redirect_uri = match self.post_sign_out_redirect_uri {
            Some(uri) => http_url(&uri, "post_sign_out_redirect_uri")?,
            None => base_url.clone(),
        };
        if self.http_timeout.is_zero() {
            return Err(ConfigError::new("http_timeout", "must be longer than zero"));
        }
        let post_sign_in_path = match self.post_sign_in_path {
            Some(path) => post_sign_in_path(&path, &base_url)?,
            None => redirect::default_target(&base_url),
        };
        let cookie_secure = self.cookie_secure.unwrap_or(base_url.scheme() == "https");
        if let Some(backchannel) = &self.backchannel {
            backchannel.validate(self.store.as_ref())?;
        }
        Ok(Settings {
            backchannel: self.backchannel,
            revocations: Arc::default(),
            cookie_name: cookie_name(&app_id, cookie_secure),
            cookie_secure,
            keys: CookieKeys::derive(&secrets),
            scopes: final_scopes(&self.scopes),
            resources: final_resources(&self.scopes, &self.resources),
            prompt: self.prompt,
            sign_in_options: self.sign_in_options,
            store: self.store,
            store_timeout: self.store_timeout,
            issuer,
            endpoint,
            app_id,
            app_secret,
            base_url,
            callback_url,
            sign_in_path: self.sign_in_path,
            callback_path: self.callback_path,
            sign_out_path: self.sign_out_path,
            token_route_path,
            post_sign_out_redirect_uri,
            post_sign_in_path,
            http_timeout: self.http_timeout,
            discovery_ttl: self.discovery_ttl,
            token_leeway: self.token_leeway,
            clock: self.clock,
        })
    }
}

pub(crate) fn required(
    value: Option<String>,
    setting: &'static str,
    what: &str,
) -> Result<String, ConfigError> {
    match value {
        Some(value) if !value.trim().is_empty() => Ok(value),
        _ => Err(ConfigError::new(
            setting,
            format!("is not set: set it to {what}"),
        )),
    }
}

/// The issuer: Logto's `<endpoint>/oidc`, unless another provider names its own.
pub(crate) fn issuer(endpoint: &Url, explicit: Option<&str>) -> Result<String, ConfigError> {
    Ok(match explicit {
        Some(issuer) => http_url(issuer, "issuer")?
            .as_str()
            .trim_end_matches('/')
            .to_owned(),
        None => format!("{}/oidc", endpoint.as_str().trim_end_matches('/')),
    })
}

pub(crate) fn http_url(value: &str, setting: &'static str) -> Result<Url, ConfigError> {
    let url = Url::parse(value.trim()).map_err(|e| {
        ConfigError::new(
            setting,
            format!("`{value}` is not a URL ({e}): write it as http(s)://host[:port]"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::new(
            setting,
            format!("`{value}` must be an http or https URL with a host"),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(
            setting,
            format!("`{value}` must not carry a query or fragment"),
        ));
    }
    Ok(url)
}

/// The default landing path, normalised as a sign-in's `post_redirect_uri` is (so what
/// is checked here is what a browser will be sent to), and refused where that one
/// would be.
fn post_sign_in_path(value: &str, base_url: &Url) -> Result<String, ConfigError> {
    redirect::local_target(value.trim(), base_url).ok_or_else(|| {
        ConfigError::new(
            "LOGTO_POST_SIGN_IN_PATH",
            format!(
                "`{value}` is not a path of this app: write an absolute path under the base URL's path `{}` (for example `{}dashboard`), without `//`, `\\` or spaces, at most {} bytes",
                base_url.path(),
                base_url.path().trim_end_matches('/').to_owned() + "/",
                redirect::MAX_TARGET_LEN,
            ),
        )
    })
}

/// `base` may have a path of its own (an app mounted under a prefix).
fn join_path(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}{path}"));
    url
}

/// The session cookie's name. Secure cookies carry the `__Host-` prefix: browsers then
/// take them only with `Secure`, `Path=/` and no `Domain`, so a sibling subdomain cannot
/// plant a session or a sign-in cookie of its own (login CSRF, session fixation).
fn cookie_name(app_id: &str, secure: bool) -> String {
    let prefix = if secure { "__Host-" } else { "" };
    format!("{prefix}logto_{}", cookie_safe(app_id))
}

/// Cookie names may not hold separators; app ids are alphanumeric in Logto, but a
/// builder may be given anything.
fn cookie_safe(app_id: &str) -> String {
    app_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn final_scopes(configured: &[String]) -> Vec<String> {
    let mut scopes: Vec<String> = BASE_SCOPES.iter().map(|s| (*s).to_owned()).collect();
    for scope in configured {
        if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    scopes
}

fn final_resources(scopes: &[String], configured: &[String]) -> Vec<String> {
    let mut resources: Vec<String> = Vec::new();
    for resource in configured {
        if !resources.contains(resource) {
            resources.push(resource.clone());
        }
    }
    let organizations = UserScope::Organizations.as_str();
    if scopes.iter().any(|s| s == organizations)
        && !resources.iter().any(|r| r == ORGANIZATIONS_RESOURCE)
    {
        resources.push(ORGANIZATIONS_RESOURCE.to_owned());
    }
    resources
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::tests::builder;

    #[test]
    fn scopes_start_with_the_base_ones_and_are_deduplicated() {
        let settings = builder().validate().unwrap();
        assert_eq!(
            settings.scopes,
            [
                "openid",
                "offline_access",
                "profile",
                "email",
                "phone",
                "urn:logto:scope:organizations",
                "read"
            ]
        );
        assert_eq!(
            settings.resources,
            ["https://api.example.com", ORGANIZATIONS_RESOURCE]
        );
        assert_eq!(settings.issuer, "http://127.0.0.2:3001/oidc");
        assert_eq!(
            settings.callback_url.as_str(),
            "http://127.0.0.1:3000/callback"
        );
        assert_eq!(
            settings.post_sign_out_redirect_uri.as_str(),
            "http://127.0.0.1:3000/"
        );
        assert_eq!(settings.cookie_name, "logto_app");
        assert!(!settings.cookie_secure);
    }

    #[test]
    fn a_short_cookie_secret_names_the_variable() {
        let err = builder().cookie_secret("short").validate().err().unwrap();
        assert_eq!(err.setting, "LOGTO_COOKIE_SECRET");
        assert!(err.problem.contains("at least 32 characters"), "{err}");
    }

    #[test]
    fn a_missing_or_malformed_setting_names_the_variable() {
        let mut b = builder();
        b.app_id = None;
        assert_eq!(b.validate().err().unwrap().setting, "LOGTO_APP_ID");
        let err = builder()
            .endpoint("tenant.logto.app")
            .validate()
            .err()
            .unwrap();
        assert_eq!(err.setting, "LOGTO_ENDPOINT");
        let err = builder().base_url("ftp://x").validate().err().unwrap();
        assert_eq!(err.setting, "LOGTO_BASE_URL");
        let err = builder()
            .callback_path("callback")
            .validate()
            .err()
            .unwrap();
        assert_eq!(err.setting, "callback_path");
    }

    #[test]
    fn callback_url_keeps_a_base_path_and_https_makes_cookies_secure() {
        let settings = builder()
            .base_url("https://example.com/app/")
            .validate()
            .unwrap();
        assert_eq!(
            settings.callback_url.as_str(),
            "https://example.com/app/callback"
        );
        assert!(settings.cookie_secure);
        assert_eq!(settings.cookie_name, "__Host-logto_app");
        let plain = builder()
            .base_url("https://example.com/")
            .cookie_secure(false)
            .validate()
            .unwrap();
        assert_eq!(plain.cookie_name, "logto_app");
    }

    #[test]
    fn the_post_sign_in_path_defaults_to_the_base_path_and_is_normalised() {
        assert_eq!(builder().validate().unwrap().post_sign_in_path, "/");
        let settings = builder()
            .base_url("https://example.com/app/")
            .validate()
            .unwrap();
        assert_eq!(settings.post_sign_in_path, "/app/");
        for (given, kept) in [
            ("/dashboard", "/dashboard"),
            ("/a/../dashboard?tab=1", "/dashboard?tab=1"),
            ("http://127.0.0.1:3000/home", "/home"),
            (" /padded ", "/padded"),
        ] {
            let settings = builder().post_sign_in_path(given).validate().unwrap();
            assert_eq!(settings.post_sign_in_path, kept, "{given:?}");
        }
    }

    #[test]
    fn a_post_sign_in_path_off_the_app_is_a_startup_error() {
        for bad in [
            "dashboard",
            "//evil.example/x",
            "/\\evil.example",
            "/.//evil.example",
            "https://evil.example/",
            "/a b",
            "javascript:alert(1)",
        ] {
            let err = builder().post_sign_in_path(bad).validate().err().unwrap();
            assert_eq!(err.setting, "LOGTO_POST_SIGN_IN_PATH", "{bad:?}");
            assert!(err.problem.contains("is not a path of this app"), "{err}");
        }
        let long = format!("/{}", "a".repeat(redirect::MAX_TARGET_LEN));
        assert!(builder().post_sign_in_path(long).validate().is_err());
        let err = builder()
            .base_url("https://example.com/app")
            .post_sign_in_path("/other")
            .validate()
            .err()
            .unwrap();
        assert!(
            err.problem.contains("under the base URL's path `/app`"),
            "{err}"
        );
    }
}
