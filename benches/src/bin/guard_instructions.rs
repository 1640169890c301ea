//! The guard's per-request work, for `valgrind --tool=callgrind`: sends N requests
//! in-process (no sockets) to one route of `logto_bench::app`, rebuilt from the setup
//! `guard_server` wrote (which must still be running: it is the provider).
//!
//! `guard_instructions <route> <cookie|bearer> <N>`: the route (of `logto_bench::ROUTES`,
//! without its slash), the
//! credentials sent (the session cookie or the bearer token; compare each guard with
//! `/unguarded` sent the same header, since the session layer reads cookies), and the
//! request count. Instruction counts of two runs with different N, divided by the
//! difference of N, give the cost of one request; `benches/run.sh` does the arithmetic.

use axum::body::Body;
use http::{Request, StatusCode, header};
use logto_bench::Setup;
use tower::ServiceExt;

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let route = args
        .next()
        .ok_or("a route of logto_bench::ROUTES, without its slash")?;
    let credentials = args.next().ok_or("credentials: cookie or bearer")?;
    let count: usize = args
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or("a request count")?;
    let setup: Setup =
        serde_json::from_slice(&std::fs::read(Setup::path()).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let app = logto_bench::app(&setup.logto());
        let (name, value) = match credentials.as_str() {
            "bearer" => (header::AUTHORIZATION, format!("Bearer {}", setup.token)),
            "cookie" => (header::COOKIE, setup.cookie.clone()),
            other => return Err(format!("unknown credentials {other}")),
        };
        let request = || {
            Request::get(format!("/{route}"))
                .header(&name, &value)
                .body(Body::empty())
                .map_err(|e| e.to_string())
        };
        // Warm up: keys fetched and the token cached, outside the difference.
        let warm = app
            .clone()
            .oneshot(request()?)
            .await
            .map_err(|e| e.to_string())?;
        if warm.status() != StatusCode::OK {
            return Err(format!("/{route} answered {}", warm.status()));
        }
        for _ in 0..count {
            let response = app
                .clone()
                .oneshot(request()?)
                .await
                .map_err(|e| e.to_string())?;
            debug_assert_eq!(response.status(), StatusCode::OK);
            drop(response);
        }
        Ok(())
    })
}
