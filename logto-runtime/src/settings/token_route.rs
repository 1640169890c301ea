//! The opt-in token route's settings: whether it is on, and its path.

use super::LogtoBuilder;
use crate::error::ConfigError;

impl LogtoBuilder {
    /// Adds `GET /logto/token` to [`Logto::routes`](crate::Logto::routes) (default off):
    /// the session's access tokens for the app's own browser code, which never sees the
    /// refresh token. `?resource=<uri>` (one of the config's resources), optionally with
    /// `&organization_id=<id>`, or `organization_id` alone for an organization token,
    /// answers `{"access_token", "expires_at", "scopes"}` from the session's cache,
    /// refreshed as [`Context::token`](crate::Context::token) refreshes.
    ///
    /// Same origin only: a request must carry `X-Logto-Token: 1` (a cross-site form,
    /// link or image cannot send it, and a cross-origin `fetch` with it needs a CORS
    /// preflight this route never grants); one whose `Sec-Fetch-Site` is present and not
    /// `same-origin` (sibling subdomains are `same-site`) or whose `Origin` is present
    /// and not the base URL's is refused with 403. Every answer is `Cache-Control:
    /// no-store`. 400 for a resource the config lacks, 401 signed out, 403 when the
    /// provider refuses the token (not a member of the organization).
    ///
    /// ```
    /// #[logto::config(scopes = ["read"], resources = ["https://shopping.your-app.com/api"])]
    /// pub struct Auth;
    ///
    /// let logto = logto::Logto::builder::<Auth>()
    ///     .endpoint("https://tenant.logto.app")
    ///     .app_id("my-app")
    ///     .app_secret("my-secret")
    ///     .base_url("http://localhost:3000")
    ///     .cookie_secret("complex_password_at_least_32_characters_long")
    ///     .token_route(true)
    ///     .build()?;
    /// assert_eq!(logto.token_route_path(), Some("/logto/token"));
    /// # Ok::<(), logto::Error>(())
    /// ```
    pub fn token_route(mut self, enabled: bool) -> Self {
        self.token_route = enabled;
        self
    }

    /// The path of the token route (default `/logto/token`), when
    /// [`token_route`](Self::token_route) enables it.
    pub fn token_route_path(mut self, path: impl Into<String>) -> Self {
        self.token_route_path = path.into();
        self
    }

    /// The token route's path when it is on: a plain absolute path (no `{param}`: it
    /// would match any segment), apart from the sign-in routes (one router cannot hold
    /// two handlers of one path).
    pub(super) fn validated_token_route_path(&self) -> Result<Option<String>, ConfigError> {
        const SETTING: &str = "token_route_path";
        if !self.token_route {
            return Ok(None);
        }
        let path = &self.token_route_path;
        if !path.starts_with('/') || path.starts_with("//") {
            return Err(ConfigError::new(
                SETTING,
                format!("`{path}` must be an absolute path such as /logto/token"),
            ));
        }
        if path.contains(['{', '}', '?', '#']) {
            return Err(ConfigError::new(
                SETTING,
                format!("`{path}` must be a plain path, without `{{`, `}}`, `?` or `#`"),
            ));
        }
        if [&self.sign_in_path, &self.callback_path, &self.sign_out_path].contains(&path) {
            return Err(ConfigError::new(
                SETTING,
                format!("`{path}` is already the path of the sign-in, callback or sign-out route"),
            ));
        }
        Ok(Some(path.clone()))
    }
}

#[cfg(test)]
mod tests {
    use crate::settings::tests::builder;

    #[test]
    fn the_token_route_is_off_by_default_and_its_path_is_checked() {
        assert_eq!(builder().validate().unwrap().token_route_path, None);
        let settings = builder().token_route(true).validate().unwrap();
        assert_eq!(settings.token_route_path.as_deref(), Some("/logto/token"));
        let moved = builder()
            .token_route(true)
            .token_route_path("/auth/token")
            .validate()
            .unwrap();
        assert_eq!(moved.token_route_path.as_deref(), Some("/auth/token"));
        // A path alone enables nothing.
        let off = builder()
            .token_route_path("/auth/token")
            .validate()
            .unwrap();
        assert_eq!(off.token_route_path, None);
        for path in [
            "token",
            "//evil.example/token",
            "/{org}/token",
            "/t?x=1",
            "/sign-in",
        ] {
            let err = builder()
                .token_route(true)
                .token_route_path(path)
                .validate()
                .err()
                .unwrap_or_else(|| panic!("{path} accepted"));
            assert_eq!(err.setting, "token_route_path", "{path}");
            assert!(err.problem.contains(path), "{err}");
        }
    }
}
