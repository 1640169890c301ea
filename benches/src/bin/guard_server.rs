//! The app of the wrk benchmark: starts the bundled provider (`tests/idp/`), serves
//! `logto_bench::app` on `127.0.0.1:$PORT` (default 3100) with a single-threaded
//! runtime (pin it to one core with `taskset`), signs the demo user in, and writes the
//! session cookie and access token to `target/bench-setup.json` for wrk and callgrind.
//! Runs until killed.

use logto_bench::Setup;
use logto_test_support::Idp;
use serde_json::json;

fn main() -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(run())
}

async fn run() -> Result<(), String> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3100);
    // Runs until this process ends (its stdin is our pipe).
    let provider = Idp::start()?;
    let base_url = format!("http://127.0.0.1:{port}");
    let app_id = "bench";
    provider
        .register_client(json!({
            "client_id": app_id,
            "client_secret": "bench-secret",
            "redirect_uris": [format!("{base_url}/callback")],
            "post_logout_redirect_uris": [format!("{base_url}/")],
        }))
        .await;
    let mut setup = Setup {
        endpoint: provider.endpoint.clone(),
        app_id: app_id.into(),
        app_secret: "bench-secret".into(),
        base_url: base_url.clone(),
        cookie_secret: "a-cookie-secret-of-at-least-32-characters".into(),
        cookie: String::new(),
        token: String::new(),
    };
    let logto = match std::env::var("STORE").ok().as_deref() {
        None | Some("" | "cookie") => setup.logto(),
        Some(store) => setup.logto_with_store(store).await?,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| format!("cannot listen on port {port}: {e}"))?;
    let app = logto_bench::app(&logto);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    (setup.cookie, setup.token) = logto_bench::sign_in(&base_url, "demo", "demo-password").await?;
    let http = reqwest::Client::new();
    let get = |path: &'static str, header: (&'static str, String)| {
        let request = http
            .get(format!("{base_url}{path}"))
            .header(header.0, header.1);
        async move {
            let response = request.send().await.map_err(|e| e.to_string())?;
            let status = response.status();
            if response.headers().contains_key("set-cookie") {
                return Err(format!(
                    "{path}: the session changed; the benchmark needs a settled one"
                ));
            }
            let body = response.text().await.map_err(|e| e.to_string())?;
            if !status.is_success() {
                return Err(format!("{path}: {status} {body}"));
            }
            Ok(body)
        }
    };
    // Warm every path once: keys fetched, token verified and cached; each answers the
    // same JSON and leaves the session as it is.
    let unguarded = get("/unguarded", ("cookie", setup.cookie.clone())).await?;
    for route in logto_bench::ROUTES {
        let header = match route {
            "/bearer" => ("authorization", format!("Bearer {}", setup.token)),
            _ => ("cookie", setup.cookie.clone()),
        };
        if get(route, header).await? != unguarded {
            return Err(format!("{route} answers other JSON"));
        }
    }

    let path = Setup::path();
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&setup).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("{}: {e}", path.display()))?;
    println!("{}", json!({ "ready": base_url, "setup": path }));
    server
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}
