//! The `LOGTO_*` environment variables, read into a [`LogtoBuilder`]. Each variable
//! names its setting in the errors of `validate.rs`, whichever way it was set.

use super::LogtoBuilder;

impl LogtoBuilder {
    /// Reads every `LOGTO_*` variable that is set (an empty one counts as unset) over
    /// what the builder holds: `LOGTO_ENDPOINT`, `LOGTO_APP_ID`, `LOGTO_APP_SECRET`,
    /// `LOGTO_BASE_URL`, `LOGTO_COOKIE_SECRET`, `LOGTO_COOKIE_SECRETS_OLD`
    /// (comma-separated secrets still accepted for decryption) and
    /// `LOGTO_POST_SIGN_IN_PATH` (see [`post_sign_in_path`](Self::post_sign_in_path)).
    ///
    /// ```no_run
    /// #[logto::config]
    /// pub struct Auth;
    ///
    /// // Values set before `from_env` are defaults the environment overrides;
    /// // values set after it win over the environment.
    /// let logto = logto::Logto::builder::<Auth>()
    ///     .post_sign_in_path("/dashboard")
    ///     .from_env()
    ///     .build()?;
    /// # let _ = logto;
    /// # Ok::<(), logto::Error>(())
    /// ```
    pub fn from_env(self) -> Self {
        self.read_vars(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) over any source of variables (tests pass a map).
    pub(crate) fn read_vars(mut self, get: impl Fn(&str) -> Option<String>) -> Self {
        let var = |name| get(name).filter(|v: &String| !v.is_empty());
        self.endpoint = var("LOGTO_ENDPOINT").or(self.endpoint);
        self.app_id = var("LOGTO_APP_ID").or(self.app_id);
        self.app_secret = var("LOGTO_APP_SECRET").or(self.app_secret);
        self.base_url = var("LOGTO_BASE_URL").or(self.base_url);
        self.cookie_secret = var("LOGTO_COOKIE_SECRET").or(self.cookie_secret);
        if let Some(old) = var("LOGTO_COOKIE_SECRETS_OLD") {
            self.old_cookie_secrets = old.split(',').map(|s| s.trim().to_owned()).collect();
        }
        self.post_sign_in_path = var("LOGTO_POST_SIGN_IN_PATH").or(self.post_sign_in_path);
        self
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crate::settings::tests::builder;

    #[test]
    fn variables_override_the_builder_and_empty_ones_do_not() {
        let vars: HashMap<&str, &str> = [
            ("LOGTO_APP_ID", "from-env"),
            ("LOGTO_APP_SECRET", ""),
            (
                "LOGTO_COOKIE_SECRETS_OLD",
                "old-one-0123456789abcdef0123456789, old-two-0123456789abcdef0123456789",
            ),
            ("LOGTO_POST_SIGN_IN_PATH", "/dashboard"),
        ]
        .into_iter()
        .collect();
        let b = builder().read_vars(|name| vars.get(name).map(|v| (*v).to_owned()));
        assert_eq!(b.app_id.as_deref(), Some("from-env"));
        assert_eq!(b.app_secret.as_deref(), Some("secret"));
        assert_eq!(
            b.old_cookie_secrets,
            [
                "old-one-0123456789abcdef0123456789",
                "old-two-0123456789abcdef0123456789"
            ]
        );
        assert_eq!(b.post_sign_in_path.as_deref(), Some("/dashboard"));
    }

    #[test]
    fn a_bad_post_sign_in_path_from_the_environment_names_the_variable() {
        let err = builder()
            .read_vars(|name| (name == "LOGTO_POST_SIGN_IN_PATH").then(|| "//evil.example".into()))
            .validate()
            .err()
            .unwrap();
        assert_eq!(err.setting, "LOGTO_POST_SIGN_IN_PATH");
    }
}
