//! Starts the Logto-like test provider of `tests/idp/` and talks to its admin API.
//! Used by the integration tests and by the examples (which run it when no
//! `LOGTO_ENDPOINT` is set).

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use serde_json::{Value, json};

/// A running provider. It exits when this process does: its stdin is a pipe we hold.
pub struct Idp {
    /// `http://127.0.0.2:<port>`; the issuer is this plus `/oidc`.
    pub endpoint: String,
    http: reqwest::Client,
    _child: Child,
}

/// The folder of the provider's sources, `tests/idp/` of the workspace (this crate is
/// `test-support/` beside it).
pub fn idp_dir() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .parent()
        .unwrap_or(crate_dir)
        .join("tests")
        .join("idp")
}

impl Idp {
    /// Starts `node tests/idp/server.mjs` on 127.0.0.2 and a free port.
    pub fn start() -> Result<Self, String> {
        let dir = idp_dir();
        if !dir.join("node_modules").join("oidc-provider").exists() {
            return Err(format!(
                "the test provider's packages are not installed: run `./scripts/setup` (or `npm ci --prefix {}`)",
                dir.display()
            ));
        }
        let mut child = Command::new("node")
            .arg(dir.join("server.mjs"))
            .env(
                "IDP_HOST",
                std::env::var("IDP_HOST").unwrap_or_else(|_| "127.0.0.2".into()),
            )
            .env("IDP_PORT", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("IDP_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .map_err(|e| format!("cannot start node (is Node.js 22 or later installed?): {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("reading the provider's first line: {e}"))?;
        let endpoint = line
            .trim()
            .strip_prefix("IDP_READY ")
            .ok_or_else(|| format!("the provider did not start: {line:?}"))?
            .to_owned();
        Ok(Self {
            endpoint,
            // Each test has its own runtime: pooled connections would outlive theirs.
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .map_err(|e| e.to_string())?,
            _child: child,
        })
    }

    /// The provider's issuer: the endpoint plus `/oidc`.
    pub fn issuer(&self) -> String {
        format!("{}/oidc", self.endpoint)
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}/__test/{path}", self.endpoint));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .expect("the provider's admin API answers");
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "admin {path}: {status} {value}");
        value
    }

    /// Registers (or replaces) a confidential client.
    pub async fn register_client(&self, client: Value) -> Value {
        self.admin(reqwest::Method::POST, "clients", Some(client))
            .await
    }

    /// Sets the test-only corruptions of a client's token responses.
    pub async fn tamper(&self, client_id: &str, switches: Value) {
        self.admin(
            reqwest::Method::POST,
            &format!("clients/{client_id}/tamper"),
            Some(switches),
        )
        .await;
    }

    /// Revokes every grant of a client.
    pub async fn revoke_grants(&self, client_id: &str) {
        self.admin(
            reqwest::Method::POST,
            &format!("clients/{client_id}/revoke-grants"),
            None,
        )
        .await;
    }

    /// Request counts of one client.
    pub async fn counts(&self, client_id: &str) -> Value {
        self.admin(
            reqwest::Method::GET,
            &format!("counts?client_id={client_id}"),
            None,
        )
        .await
    }

    /// Global counts (JWKS and discovery are counted only here).
    pub async fn global_counts(&self) -> Value {
        self.admin(reqwest::Method::GET, "counts", None).await
    }

    /// The parameters of the client's last authorization request.
    pub async fn last_auth(&self, client_id: &str) -> Value {
        self.admin(
            reqwest::Method::GET,
            &format!("last-auth?client_id={client_id}"),
            None,
        )
        .await
    }

    /// Sets the provider-wide endpoint faults, e.g. `{"jwks": "stall"}` (`{}` clears).
    /// They affect every client: only on a provider of the test's own.
    pub async fn endpoint_faults(&self, faults: Value) {
        self.admin(reqwest::Method::POST, "endpoints", Some(faults))
            .await;
    }

    /// `payload` signed with the provider's current key (ES384, its `kid`), `header`
    /// adding to or overriding the JWS header: tokens the JWKS verifies, whatever
    /// they claim.
    pub async fn sign(&self, payload: Value, header: Value) -> String {
        let value = self
            .admin(
                reqwest::Method::POST,
                "sign",
                Some(json!({ "payload": payload, "header": header })),
            )
            .await;
        value["jwt"].as_str().unwrap_or_default().to_owned()
    }

    /// Rotates the signing key: a new `kid`, the old key gone.
    pub async fn rotate_keys(&self) -> String {
        let value = self.admin(reqwest::Method::POST, "rotate-keys", None).await;
        value["kid"].as_str().unwrap_or_default().to_owned()
    }

    /// Adds or replaces a user.
    pub async fn add_user(&self, user: Value) -> Value {
        self.admin(reqwest::Method::POST, "users", Some(user)).await
    }

    /// Changes a user (roles, organizations, claims).
    pub async fn patch_user(&self, username: &str, patch: Value) -> Value {
        self.admin(
            reqwest::Method::PATCH,
            &format!("users/{username}"),
            Some(patch),
        )
        .await
    }
}

/// The registration of a confidential client for an app at `base_url`.
pub fn client(client_id: &str, secret: &str, base_url: &str) -> Value {
    let base = base_url.trim_end_matches('/');
    json!({
        "client_id": client_id,
        "client_secret": secret,
        "redirect_uris": [format!("{base}/callback")],
        "post_logout_redirect_uris": [format!("{base}/")],
        "rotate_refresh_token": true,
    })
}

/// A count from the provider's statistics ([`Idp::counts`], [`Idp::global_counts`]),
/// 0 when absent: the provider leaves out what never happened.
pub fn count(counts: &Value, path: &[&str]) -> u64 {
    path.iter()
        .fold(counts, |v, key| &v[*key])
        .as_u64()
        .unwrap_or(0)
}
