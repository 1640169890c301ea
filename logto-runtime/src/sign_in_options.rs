//! The options of a sign-in: set in code by the app (the builder's defaults, or per
//! call); only the landing page may come from a request, and is checked.

/// How a sign-in starts: the app sets these in code; only `post_redirect_uri` may come
/// from a request (and is checked to be same-origin).
///
/// ```
/// use logto::SignInOptions;
///
/// #[logto::config]
/// pub struct Auth;
///
/// // For every sign-in through the sign-in route: straight to the registration form.
/// let logto = logto::Logto::builder::<Auth>()
/// #   .endpoint("https://tenant.logto.app").app_id("my-app").app_secret("my-secret")
/// #   .base_url("http://localhost:3000").cookie_secret("complex_password_at_least_32_characters_long")
///     .sign_in_options(SignInOptions::new().first_screen("register").login_hint("ada@example.com"))
///     .build()?;
/// # let _ = logto;
///
/// // For one sign-in started by a handler (`logto.sign_in(&request, &options)`):
/// let options = SignInOptions::new().post_redirect_uri("/orders?id=7").prompt("login");
/// # let _ = options;
/// # Ok::<(), logto::Error>(())
/// ```
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
    /// No options: land on the post-sign-in path after sign-in
    /// ([`LogtoBuilder::post_sign_in_path`](crate::LogtoBuilder::post_sign_in_path);
    /// by default the base URL's path, `/` for `http://host:3000`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Where to land after the callback: a path of this app such as `/orders?id=1`, or
    /// an absolute URL of the same origin, under the base URL's path, at most 2 KB.
    /// It is checked as a browser would read it after normalisation (`/.//host` is
    /// refused); anything else lands on the post-sign-in path (no open redirect).
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
