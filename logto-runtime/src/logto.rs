//! The client an app builds once and shares: settings, HTTP client, provider cache.

use std::{
    fmt,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use url::Url;

use crate::{
    backchannel,
    bearer::BearerVerifier,
    config::Config,
    error::Error,
    oidc::{Client, HttpClient, ProviderCache},
    session_cache::SessionCache,
    settings::{LogtoBuilder, Settings},
    stored_session::SessionEnv,
    tokens::RefreshCoordinator,
};

/// A Logto client for one app: cheap to clone, shared by every request.
///
/// Build it with [`Logto::from_env`] or [`Logto::builder`], mount its routes with
/// [`Logto::routes`] and its session layer with [`Logto::layer`].
///
/// ```no_run
/// use axum::{Router, routing::get};
/// use logto::{Context, Logto};
///
/// #[logto::config(scopes = [logto::UserScope::Email])]
/// pub struct Auth;
///
/// async fn home(ctx: Context) -> String {
///     match ctx.claims() {
///         Some(claims) => format!("Hello, {}", claims.sub()),
///         None => "Signed out: <a href=\"/sign-in\">sign in</a>".into(),
///     }
/// }
///
/// #[tokio::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let logto = Logto::from_env::<Auth>()?; // LOGTO_ENDPOINT, LOGTO_APP_ID, ...
///     let app = Router::new()
///         .route("/", get(home))
///         .merge(logto.routes()) // GET /sign-in, GET /callback, POST /sign-out
///         .layer(logto.layer()); // the session, for every route above
///     axum::serve(tokio::net::TcpListener::bind("127.0.0.1:3000").await?, app).await?;
///     Ok(())
/// }
/// ```
#[derive(Clone)]
pub struct Logto {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub settings: Settings,
    pub http: HttpClient,
    pub provider_cache: ProviderCache,
    pub refresh: RefreshCoordinator,
    /// Verifies bearer tokens for the guards; keys are fetched with the first token.
    pub bearer: BearerVerifier,
    /// What session cookies decide (decoded sessions, guards' verdicts), by cookie.
    pub session_cache: SessionCache,
    /// Back-channel logout's memory of this instance (the `jti`s seen).
    pub backchannel: backchannel::State,
    /// Whether the revocation store's poller runs (it needs a Tokio runtime, which
    /// `build` may not have).
    pub polling: AtomicBool,
}

impl Inner {
    /// The protocol core's view of this client.
    pub(crate) fn oidc(&self) -> Client<'_> {
        Client {
            settings: &self.settings,
            http: &self.http,
            provider_cache: &self.provider_cache,
        }
    }

    /// A request session's view of this client.
    pub(crate) fn session_env(&self) -> SessionEnv<'_> {
        SessionEnv {
            settings: &self.settings,
            oidc: self.oidc(),
            refresh: &self.refresh,
            cache: &self.session_cache,
        }
    }
}

impl LogtoBuilder {
    /// Validates everything and builds the client. No request is sent yet: discovery
    /// happens at the first sign-in.
    pub fn build(self) -> Result<Logto, Error> {
        let settings = self.validate()?;
        Ok(Logto::from_settings(settings))
    }
}

impl fmt::Debug for Logto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Logto")
            .field("endpoint", &self.inner.settings.endpoint.as_str())
            .field("app_id", &self.inner.settings.app_id)
            .field("base_url", &self.inner.settings.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl Logto {
    /// Reads the `LOGTO_*` environment variables, with the scopes and resources of `C`.
    ///
    /// Fails with a message naming the variable that is missing or malformed.
    pub fn from_env<C: Config>() -> Result<Self, Error> {
        Self::builder::<C>().from_env().build()
    }

    /// A builder with the scopes and resources of `C` and nothing else set.
    pub fn builder<C: Config>() -> LogtoBuilder {
        LogtoBuilder::new::<C>()
    }

    pub(crate) fn from_settings(settings: Settings) -> Self {
        let http = HttpClient::new(settings.http_timeout);
        let bearer = BearerVerifier::for_client(&settings, http.clone());
        let logto = Self {
            inner: Arc::new(Inner {
                http,
                provider_cache: ProviderCache::default(),
                refresh: RefreshCoordinator::default(),
                bearer,
                session_cache: SessionCache::new(settings.revocations.clone()),
                backchannel: backchannel::State::default(),
                polling: AtomicBool::new(false),
                settings,
            }),
        };
        logto.start_polling();
        logto
    }

    /// Starts the revocation store's poller once, as soon as a Tokio runtime exists
    /// (at build, or when the layer is made).
    pub(crate) fn start_polling(&self) {
        let inner = &self.inner;
        if inner
            .polling
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
            && !backchannel::start_polling(&inner.settings, &inner.settings.revocations)
        {
            inner.polling.store(false, Ordering::Release);
        }
    }

    /// The Logto endpoint.
    pub fn endpoint(&self) -> &Url {
        &self.inner.settings.endpoint
    }

    /// The application id.
    pub fn app_id(&self) -> &str {
        &self.inner.settings.app_id
    }

    /// The URL to register as a redirect URI in Logto.
    pub fn callback_url(&self) -> &Url {
        &self.inner.settings.callback_url
    }

    /// The URL to register as a post sign-out redirect URI in Logto.
    pub fn post_sign_out_redirect_uri(&self) -> &Url {
        &self.inner.settings.post_sign_out_redirect_uri
    }

    /// The path of the sign-in route.
    pub fn sign_in_path(&self) -> &str {
        &self.inner.settings.sign_in_path
    }

    /// The path of the callback route.
    pub fn callback_path(&self) -> &str {
        &self.inner.settings.callback_path
    }

    /// The path of the sign-out route.
    pub fn sign_out_path(&self) -> &str {
        &self.inner.settings.sign_out_path
    }

    /// The path of the token route, when
    /// [`LogtoBuilder::token_route`](crate::LogtoBuilder::token_route) enabled it: for
    /// the pages whose scripts call it.
    pub fn token_route_path(&self) -> Option<&str> {
        self.inner.settings.token_route_path.as_deref()
    }

    /// The path of the back-channel logout route, when it is enabled; register
    /// `<base URL><path>` as the back-channel logout URI in Logto.
    pub fn backchannel_logout_path(&self) -> Option<&str> {
        self.inner
            .settings
            .backchannel
            .as_ref()
            .map(|b| b.path.as_str())
    }

    /// Every scope a sign-in requests, in order.
    pub fn scopes(&self) -> &[String] {
        &self.inner.settings.scopes
    }

    /// Every resource a sign-in requests, in order.
    pub fn resources(&self) -> &[String] {
        &self.inner.settings.resources
    }

    /// The verifier of bearer access tokens this client's guards use, for APIs that
    /// check tokens by hand.
    pub fn bearer(&self) -> &BearerVerifier {
        &self.inner.bearer
    }
}
