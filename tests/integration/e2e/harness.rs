//! The machinery of the browser tests: the real quickstart binary as a process,
//! Debian's chromedriver and headless Chromium, bounded polling waits, and the
//! screenshot + HTML saved when a scenario fails.

use std::{
    future::Future,
    panic::AssertUnwindSafe,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::{Context, anyhow, bail};
use fantoccini::{Client, ClientBuilder, Locator, elements::Element, wd::TimeoutConfiguration};
use futures_util::FutureExt;
use logto_test_support::{free_port, idp, unique_id};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    process::{Child, Command},
};

use crate::support::provider;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long any one wait may take: a page, an element, a process becoming ready.
pub const TIMEOUT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);

/// The flags the machine's notes ask for: no GPU, no sandbox (root), no background
/// traffic to the closed network, no first-run UI.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--window-size=1100,1200",
];

/// What a step of a scenario returns: failures are errors (with what was being done,
/// through `anyhow::Context`), never panics, so the artifacts are saved before the
/// test fails.
pub type Step<T = ()> = anyhow::Result<T>;

/// An error saying `message()` unless `condition` (the message is built only on
/// failure: it often formats a whole page).
pub fn ensure(condition: bool, message: impl FnOnce() -> String) -> Step {
    if condition {
        Ok(())
    } else {
        Err(anyhow!(message()))
    }
}

/// `target/` (the test binary is `target/<profile>/deps/integration-<hash>`).
fn target_dir() -> PathBuf {
    crate::examples::profile_dir()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// Collects a child's output lines, so a failure can show them.
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<String>>);

impl Log {
    fn push(&self, line: &str) {
        if let Ok(mut log) = self.0.lock() {
            log.push_str(line);
            log.push('\n');
        }
    }

    pub fn text(&self) -> String {
        self.0.lock().map(|log| log.clone()).unwrap_or_default()
    }

    fn drain(&self, stream: impl AsyncRead + Unpin + Send + 'static, prefix: &'static str) {
        let log = self.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                log.push(&format!("{prefix}{line}"));
            }
        });
    }
}

/// The quickstart example, run as a newcomer runs it but configured by the `LOGTO_*`
/// variables for a client of its own at the shared test provider.
pub struct Quickstart {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    pub client_id: String,
    pub log: Log,
    _child: Child,
}

impl Quickstart {
    pub async fn start(name: &str) -> Step<Self> {
        let binary = crate::examples::binary("quickstart")
            .await
            .map_err(|error| anyhow!(error))?;
        let idp = provider();
        let client_id = unique_id(name);
        let secret = unique_id("secret");
        // A free port can be taken between the probe and the bind: try a few.
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port().context("finding a free port")?;
            let base = format!("http://127.0.0.1:{port}");
            idp.register_client(idp::client(&client_id, &secret, &base))
                .await;
            let log = Log::default();
            let mut child = Command::new(&binary)
                .env("LOGTO_ENDPOINT", &idp.endpoint)
                .env("LOGTO_APP_ID", &client_id)
                .env("LOGTO_APP_SECRET", &secret)
                .env("LOGTO_BASE_URL", &base)
                .env(
                    "LOGTO_COOKIE_SECRET",
                    "an-e2e-cookie-secret-of-at-least-32-chars",
                )
                .env("PORT", port.to_string())
                .env_remove("RUST_LOG")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .context(format!("starting {}", binary.display()))?;
            if let Some(stdout) = child.stdout.take() {
                log.drain(stdout, "");
            }
            if let Some(stderr) = child.stderr.take() {
                log.drain(stderr, "stderr: ");
            }
            let deadline = Deadline::new();
            let ready = loop {
                if let Ok(Some(status)) = child.try_wait() {
                    break Some(Err(format!(
                        "the quickstart exited ({status}):\n{}",
                        log.text()
                    )));
                }
                let listening = tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok();
                if listening && log.text().contains("Open http://") {
                    break Some(Ok(()));
                }
                if !deadline.tick().await {
                    break None;
                }
            };
            match ready {
                Some(Ok(())) => {
                    return Ok(Self {
                        base,
                        client_id,
                        log,
                        _child: child,
                    });
                }
                Some(Err(error)) if error.contains("cannot listen") => last_error = error,
                Some(Err(error)) => bail!(error),
                None => bail!(
                    "the quickstart did not listen on {base} within {TIMEOUT:?}:\n{}",
                    log.text()
                ),
            }
        }
        bail!(last_error)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// The end of a bounded wait of [`TIMEOUT`].
struct Deadline(Instant);

impl Deadline {
    fn new() -> Self {
        Self(Instant::now() + TIMEOUT)
    }

    /// Pauses one polling period; `false` once the time is up.
    async fn tick(&self) -> bool {
        if Instant::now() >= self.0 {
            return false;
        }
        tokio::time::sleep(POLL).await;
        true
    }
}

/// Polls `check` until it gives a value or [`TIMEOUT`] passes.
pub async fn poll<T, F, Fut>(mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Deadline::new();
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if !deadline.tick().await {
            return None;
        }
    }
}

/// Debian's chromedriver on a free port, in a process group of its own so that it and
/// the Chromium it starts are ended together.
struct Driver {
    child: std::process::Child,
    url: String,
}

impl Driver {
    async fn start(log_path: &Path) -> Step<Self> {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            ensure(Path::new(path).exists(), || {
                format!(
                    "{path} is missing: the browser test needs Debian's Chromium. Install it with \
                     `apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver` \
                     (scripts/setup does this); missing package: {package}"
                )
            })?;
        }
        let port = free_port().context("finding a free port")?;
        let mut command = std::process::Command::new(CHROMEDRIVER);
        command
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log_path.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .context(format!("starting {CHROMEDRIVER}"))?;
        let mut driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .context("HTTP client")?;
        let status_url = format!("{}/status", driver.url);
        let deadline = Deadline::new();
        let ready = loop {
            if let Ok(Some(status)) = driver.child.try_wait() {
                break Some(Err(format!(
                    "chromedriver exited ({status}); see {}",
                    log_path.display()
                )));
            }
            if let Ok(response) = http.get(&status_url).send().await
                && let Ok(body) = response.json::<Value>().await
                && body["value"]["ready"] == true
            {
                break Some(Ok(()));
            }
            if !deadline.tick().await {
                break None;
            }
        };
        match ready {
            Some(Ok(())) => Ok(driver),
            Some(Err(error)) => bail!(error),
            None => {
                driver.kill();
                bail!(
                    "chromedriver was not ready within {TIMEOUT:?}; see {}",
                    log_path.display()
                )
            }
        }
    }

    fn kill(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let group = self.child.id() as libc::pid_t;
            // SAFETY: kill(2) with the id of the process group we created.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
        let _ = self.child.wait();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A fresh Chromium profile under `target/e2e/profiles/`, removed afterwards.
struct Profile(PathBuf);

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Headless Chromium driven through WebDriver, with the helpers the scenarios use.
#[derive(Clone)]
pub struct Browser {
    pub client: Client,
}

impl Browser {
    pub async fn goto(&self, url: &str) -> Step {
        self.client
            .goto(url)
            .await
            .context(format!("opening {url}"))
    }

    pub async fn url(&self) -> Step<String> {
        Ok(self
            .client
            .current_url()
            .await
            .context("reading the URL")?
            .to_string())
    }

    /// Waits for an element to be present.
    pub async fn wait_for(&self, css: &str) -> Step<Element> {
        match self
            .client
            .wait()
            .at_most(TIMEOUT)
            .every(POLL)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => Ok(element),
            Err(error) => {
                let url = self.url().await.unwrap_or_default();
                bail!("`{css}` did not appear within {TIMEOUT:?} (at {url}): {error}")
            }
        }
    }

    /// Waits for an element at a URL starting with `prefix` (a page of the app or of
    /// the provider, not the same ids on the page before).
    pub async fn wait_for_at(&self, prefix: &str, css: &str) -> Step<Element> {
        let found = poll(|| async {
            let url = self.client.current_url().await.ok()?;
            if !url.as_str().starts_with(prefix) {
                return None;
            }
            self.client.find(Locator::Css(css)).await.ok()
        })
        .await;
        match found {
            Some(element) => Ok(element),
            None => bail!(
                "`{css}` on a page under {prefix} did not appear within {TIMEOUT:?} (at {})",
                self.url().await.unwrap_or_default()
            ),
        }
    }

    pub async fn click(&self, css: &str) -> Step {
        self.wait_for(css)
            .await?
            .click()
            .await
            .context(format!("clicking `{css}`"))
    }

    pub async fn text(&self, css: &str) -> Step<String> {
        self.wait_for(css)
            .await?
            .text()
            .await
            .context(format!("reading `{css}`"))
    }

    pub async fn is_present(&self, css: &str) -> Step<bool> {
        Ok(!self
            .client
            .find_all(Locator::Css(css))
            .await
            .context(format!("looking for `{css}`"))?
            .is_empty())
    }

    pub async fn type_into(&self, css: &str, text: &str) -> Step {
        let input = self.wait_for(css).await?;
        input.clear().await.context(format!("clearing `{css}`"))?;
        input
            .send_keys(text)
            .await
            .context(format!("typing into `{css}`"))
    }

    /// The JSON document the tab shows (Chromium puts it in a `<pre>`).
    pub async fn page_json(&self) -> Step<Value> {
        let text = self.text("pre").await?;
        serde_json::from_str(&text).context(format!("the page is not JSON: {text:?}"))
    }

    /// `fetch(path)` from the page, with its cookies: the status and the parsed body.
    pub async fn fetch_json(&self, path: &str) -> Step<(u64, Value)> {
        const SCRIPT: &str = "const [path, done] = arguments;
            fetch(path, { credentials: 'same-origin' })
              .then(async (r) => done({ status: r.status, body: await r.text() }))
              .catch((e) => done({ status: 0, body: String(e) }));";
        let result = self
            .client
            .execute_async(SCRIPT, vec![json!(path)])
            .await
            .context(format!("fetch({path})"))?;
        let status = result["status"].as_u64().unwrap_or(0);
        let body = result["body"].as_str().unwrap_or_default();
        let body = serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()));
        Ok((status, body))
    }

    /// The `#claims` table as `{name: value}`.
    pub async fn claims_table(&self) -> Step<Value> {
        self.table("#claims").await
    }

    /// A two-column table (`css`) of names and values as `{name: value}`.
    pub async fn table(&self, css: &str) -> Step<Value> {
        self.wait_for(css).await?;
        const SCRIPT: &str =
            "return Object.fromEntries([...document.querySelectorAll(`${arguments[0]} tbody tr`)]
            .map((row) => [row.cells[0].textContent.trim(), row.cells[1].textContent.trim()]));";
        self.client
            .execute(SCRIPT, vec![json!(css)])
            .await
            .context(format!("reading the table {css}"))
    }

    /// The value of `attribute` on the element `css`, once it has one.
    pub async fn wait_for_attribute(&self, css: &str, attribute: &str) -> Step<String> {
        let selector = format!("{css}[{attribute}]");
        self.wait_for(&selector)
            .await?
            .attr(attribute)
            .await
            .context(format!("reading {attribute} of `{css}`"))?
            .ok_or_else(|| anyhow!("`{css}` has no {attribute}"))
    }

    /// Signs in on the provider's login form shown in this tab.
    pub async fn submit_login(&self, endpoint: &str, username: &str, password: &str) -> Step {
        self.wait_for_at(endpoint, "form#login").await?;
        self.type_into("form#login input[name=username]", username)
            .await?;
        self.type_into("form#login input[name=password]", password)
            .await?;
        self.click("form#login button[type=submit]").await
    }

    /// With `LOGTO_E2E_SCREENSHOTS` set, saves a screenshot of the tab to
    /// `target/e2e-screenshots/<name>.png` (to look at the pages as a person would).
    pub async fn snapshot(&self, name: &str) -> Step {
        if std::env::var_os("LOGTO_E2E_SCREENSHOTS").is_none() {
            return Ok(());
        }
        let dir = target_dir().join("e2e-screenshots");
        std::fs::create_dir_all(&dir).context(format!("creating {}", dir.display()))?;
        let png = self
            .client
            .screenshot()
            .await
            .context("taking a screenshot")?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).context(format!("writing {}", path.display()))?;
        eprintln!("screenshot: {}", path.display());
        Ok(())
    }
}

/// Starts chromedriver and Chromium, runs `scenario`, and on any failure (an `Err`, or
/// a panic) saves a screenshot and the HTML of every open tab, plus the app's output,
/// under `target/e2e-failures/`, prints their paths and fails the test. The browser
/// and the driver are ended either way.
pub async fn run<F, Fut>(name: &str, app: &Quickstart, scenario: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = Step>,
{
    let started = Instant::now();
    let work = target_dir().join("e2e");
    let profile = Profile(work.join("profiles").join(unique_id(name)));
    if let Err(error) = std::fs::create_dir_all(&profile.0) {
        panic!(
            "creating the Chromium profile {}: {error}",
            profile.0.display()
        );
    }
    let driver_log = work.join(format!("{name}-chromedriver.log"));
    let driver = match Driver::start(&driver_log).await {
        Ok(driver) => driver,
        Err(error) => panic!("{error:#}"),
    };
    let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|flag| flag.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.0.display()));
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
    });
    let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
    if let Value::Object(capabilities) = capabilities {
        builder.capabilities(capabilities);
    }
    let client = match tokio::time::timeout(TIMEOUT * 3, builder.connect(&driver.url)).await {
        Ok(Ok(client)) => client,
        Ok(Err(error)) => panic!(
            "starting Chromium through chromedriver: {error}; see {}",
            driver_log.display()
        ),
        Err(_) => panic!(
            "Chromium did not start within {:?}; see {}",
            TIMEOUT * 3,
            driver_log.display()
        ),
    };
    let timeouts = TimeoutConfiguration::new(Some(TIMEOUT), Some(TIMEOUT), Some(Duration::ZERO));
    let browser = Browser {
        client: client.clone(),
    };
    let outcome = match client.update_timeouts(timeouts).await {
        Err(error) => Err(anyhow!(error).context("setting WebDriver timeouts")),
        Ok(()) => match AssertUnwindSafe(scenario(browser.clone()))
            .catch_unwind()
            .await
        {
            Ok(result) => result,
            Err(panic) => Err(anyhow!(
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "the scenario panicked".to_owned())
            )),
        },
    };
    let failure = match outcome {
        Ok(()) => None,
        Err(error) => Some((error, save_artifacts(&browser, name, app).await)),
    };
    let _ = tokio::time::timeout(TIMEOUT, client.close()).await;
    drop(driver);
    drop(profile);
    match failure {
        None => eprintln!("e2e {name}: passed in {:.1?}", started.elapsed()),
        Some((error, saved)) => panic!(
            "e2e {name} failed after {:.1?}: {error:#}\n{saved}\nchromedriver log: {}",
            started.elapsed(),
            driver_log.display()
        ),
    }
}

/// Saves a PNG and the HTML of each tab and the app's output; returns what was saved
/// (or why it could not be), one line each.
async fn save_artifacts(browser: &Browser, name: &str, app: &Quickstart) -> String {
    let dir = target_dir().join("e2e-failures");
    if let Err(error) = std::fs::create_dir_all(&dir) {
        return format!("cannot create {}: {error}", dir.display());
    }
    let mut lines = Vec::new();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let prefix = format!("{name}-{stamp}");
    let client = &browser.client;
    let windows = match tokio::time::timeout(TIMEOUT, client.windows()).await {
        Ok(Ok(windows)) => windows,
        _ => Vec::new(),
    };
    let current = tokio::time::timeout(TIMEOUT, client.window())
        .await
        .ok()
        .and_then(Result::ok);
    // The tab the scenario was on first, then the others.
    let mut tabs: Vec<Option<fantoccini::wd::WindowHandle>> = vec![None];
    tabs.extend(
        windows
            .into_iter()
            .filter(|w| Some(w) != current.as_ref())
            .map(Some),
    );
    for (index, tab) in tabs.into_iter().enumerate() {
        if let Some(handle) = tab
            && tokio::time::timeout(TIMEOUT, client.switch_to_window(handle))
                .await
                .is_err()
        {
            continue;
        }
        let url = match tokio::time::timeout(TIMEOUT, client.current_url()).await {
            Ok(Ok(url)) => url.to_string(),
            _ => "?".to_owned(),
        };
        let base = dir.join(format!("{prefix}-tab{index}"));
        match tokio::time::timeout(TIMEOUT, client.screenshot()).await {
            Ok(Ok(png)) => match std::fs::write(base.with_extension("png"), png) {
                Ok(()) => lines.push(format!(
                    "screenshot ({url}): {}",
                    base.with_extension("png").display()
                )),
                Err(error) => lines.push(format!("cannot write the screenshot: {error}")),
            },
            Ok(Err(error)) => lines.push(format!("no screenshot: {error}")),
            Err(_) => lines.push("no screenshot: timed out".to_owned()),
        }
        match tokio::time::timeout(TIMEOUT, client.source()).await {
            Ok(Ok(html)) => match std::fs::write(base.with_extension("html"), html) {
                Ok(()) => lines.push(format!(
                    "page HTML ({url}): {}",
                    base.with_extension("html").display()
                )),
                Err(error) => lines.push(format!("cannot write the HTML: {error}")),
            },
            Ok(Err(error)) => lines.push(format!("no HTML: {error}")),
            Err(_) => lines.push("no HTML: timed out".to_owned()),
        }
    }
    let log_path = dir.join(format!("{prefix}-quickstart.log"));
    match std::fs::write(&log_path, app.log.text()) {
        Ok(()) => lines.push(format!("quickstart output: {}", log_path.display())),
        Err(error) => lines.push(format!("cannot write the quickstart output: {error}")),
    }
    for line in &lines {
        eprintln!("{line}");
    }
    lines.join("\n")
}
