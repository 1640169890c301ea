//! Development helpers of the examples: read `LOGTO_BASE_URL`/`PORT`, and with no
//! `LOGTO_ENDPOINT`, start the bundled Logto-like provider of `tests/idp/` (through
//! `logto-test-support`, a dev-dependency) and register this app with it, so
//! `cargo run --example quickstart` works on a fresh clone.

use std::{net::SocketAddr, process::Command};

use logto_test_support::{Idp, idp};

/// What an example needs to start.
pub struct Dev {
    /// The address to listen on.
    pub addr: SocketAddr,
    /// The bundled provider, kept alive while the example runs.
    pub provider: Option<Idp>,
    base_url: String,
    app_id: String,
    app_secret: String,
}

impl Dev {
    /// The builder of the app's client: from the environment, or pointed at the
    /// bundled provider.
    pub fn builder<C: logto::Config>(&self) -> logto::LogtoBuilder {
        let builder = logto::Logto::builder::<C>().from_env();
        match &self.provider {
            None => builder,
            Some(provider) => {
                let builder = builder
                    .endpoint(&provider.endpoint)
                    .app_id(&self.app_id)
                    .app_secret(&self.app_secret)
                    .base_url(&self.base_url);
                if std::env::var_os("LOGTO_COOKIE_SECRET").is_some() {
                    builder
                } else {
                    builder.cookie_secret(random_secret())
                }
            }
        }
    }
}

/// The demo user of the bundled provider.
pub const DEMO_USER: (&str, &str) = ("demo", "demo-password");
/// Its user with no role and no organization: guards with a scope refuse it.
pub const GUEST_USER: (&str, &str) = ("guest", "guest-password");

/// Reads the listening address from `LOGTO_BASE_URL` (and `PORT`), and starts the
/// bundled provider when `LOGTO_ENDPOINT` is not set.
pub async fn prepare(app_id: &str) -> Result<Dev, String> {
    let base_url =
        std::env::var("LOGTO_BASE_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".to_owned());
    let base = url::Url::parse(&base_url)
        .map_err(|e| format!("LOGTO_BASE_URL: `{base_url}` is not a URL ({e})"))?;
    let host = base
        .host_str()
        .ok_or("LOGTO_BASE_URL: the URL has no host")?
        .to_owned();
    let host = if host == "localhost" {
        "127.0.0.1".to_owned()
    } else {
        host
    };
    let port = match std::env::var("PORT") {
        Ok(port) => port
            .parse::<u16>()
            .map_err(|_| format!("PORT: `{port}` is not a port number"))?,
        Err(_) => base.port_or_known_default().unwrap_or(3000),
    };
    let addr: SocketAddr = format!("{host}:{port}").parse().map_err(|_| {
        format!("LOGTO_BASE_URL: listen on an IP address or localhost, not `{host}`")
    })?;

    if std::env::var_os("LOGTO_ENDPOINT").is_some() {
        return Ok(Dev {
            addr,
            provider: None,
            base_url,
            app_id: String::new(),
            app_secret: String::new(),
        });
    }
    let (provider, secret) = start_bundled_provider(app_id, &base_url).await?;
    println!(
        "Sign in as `{}` with the password `{}` (or as `{}` / `{}`: no role, no organization)",
        DEMO_USER.0, DEMO_USER.1, GUEST_USER.0, GUEST_USER.1
    );
    Ok(Dev {
        addr,
        provider: Some(provider),
        base_url,
        app_id: app_id.to_owned(),
        app_secret: secret,
    })
}

/// Installs (once) and starts the bundled provider of `tests/idp/`, and registers the
/// app `app_id` at `base_url` with it; returns the provider and the app's secret.
pub async fn start_bundled_provider(app_id: &str, base_url: &str) -> Result<(Idp, String), String> {
    let dir = idp::idp_dir();
    if !dir.join("node_modules").join("oidc-provider").exists() {
        eprintln!(
            "Installing the bundled test provider: npm ci --prefix {}",
            dir.display()
        );
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .status()
            .map_err(|e| format!("cannot run npm (install Node.js 22 or later): {e}"))?;
        if !status.success() {
            return Err("npm ci failed: see its output above".into());
        }
    }
    let provider = Idp::start()?;
    let secret = random_secret();
    let mut client = idp::client(app_id, &secret, base_url);
    // The quickstart enables back-channel logout: the provider posts logout tokens
    // there when a session ends (signing out ends it).
    client["backchannel_logout_uri"] =
        format!("{}/backchannel-logout", base_url.trim_end_matches('/')).into();
    client["backchannel_logout_session_required"] = true.into();
    provider.register_client(client).await;
    println!("Started the bundled test provider at {}", provider.endpoint);
    Ok((provider, secret))
}

impl Dev {
    /// Serves `app` at the configured address and says where to go.
    pub async fn serve(&self, app: axum::Router, logto: &logto::Logto) -> Result<(), String> {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .map_err(|e| {
                format!(
                    "cannot listen on {}: {e} (set PORT to another port)",
                    self.addr
                )
            })?;
        println!("Open http://{} and click Sign In", self.addr);
        println!(
            "Redirect URI: {}  Post sign-out redirect URI: {}",
            logto.callback_url(),
            logto.post_sign_out_redirect_uri()
        );
        axum::serve(listener, app).await.map_err(|e| e.to_string())
    }
}

/// Ends the example with one clear line when it could not start.
pub fn exit_on_error(result: Result<(), String>) {
    if let Err(error) = result {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

/// 40 random alphanumeric characters.
pub fn random_secret() -> String {
    use rand::{Rng, distributions::Alphanumeric};
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(char::from)
        .collect()
}
