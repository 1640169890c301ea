//! The example binaries some tests run as separate processes (the quickstart in a
//! browser, two instances of a session-store example).

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
};

/// `target/<profile>/`.
pub fn profile_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("target/debug"))
}

/// The path of example `name`, built once per test binary when it is missing or older
/// than its sources, so the tests never drive a stale binary (`cargo test` builds
/// examples under hashed names only, and `--test integration` not at all).
pub async fn binary(name: &'static str) -> Result<PathBuf, String> {
    static BUILT: Mutex<Vec<(&str, Result<PathBuf, String>)>> = Mutex::new(Vec::new());
    tokio::task::spawn_blocking(move || {
        // Held while building: two cargo builds would only wait for each other.
        let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, result)) = built.iter().find(|(n, _)| *n == name) {
            return result.clone();
        }
        let result = build(name);
        built.push((name, result.clone()));
        result
    })
    .await
    .map_err(|e| format!("building the example {name}: {e}"))?
}

fn build(name: &str) -> Result<PathBuf, String> {
    let profile_dir = profile_dir();
    let binary = profile_dir.join("examples").join(name);
    // `cargo test --all-targets` built it with this test binary, with the features the
    // whole workspace unifies to; rebuilding it for the root package alone would build
    // a second tokio and all above it. Rebuild only when a source is newer.
    let built_at = std::fs::metadata(&binary).and_then(|m| m.modified()).ok();
    if built_at.is_some_and(|built| newest_source().is_some_and(|source| source < built)) {
        return Ok(binary);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = std::process::Command::new(&cargo);
    // Cargo runs this test with the package's variables (CARGO_MANIFEST_DIR,
    // CARGO_PKG_NAME, ...) set. Build scripts such as ring's rerun when those change,
    // so passing them on would rebuild ring and all above it on every run, and again
    // at the next plain `cargo test`.
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        let set_by_cargo_for_tests = ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_CFG_", "CARGO_BIN_"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
            || [
                "CARGO_CRATE_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
                "OUT_DIR",
            ]
            .contains(&name);
        if set_by_cargo_for_tests {
            command.env_remove(name);
        }
    }
    command
        .args(["build", "--quiet", "--example", name, "--manifest-path"])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
    match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => {}
        Some("release") => {
            command.arg("--release");
        }
        Some(other) => {
            command.args(["--profile", other]);
        }
    }
    let output = command
        .output()
        .map_err(|e| format!("running `{cargo} build --example {name}`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo build --example {name}` failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    if !binary.exists() {
        return Err(format!("built {name}, but {} is missing", binary.display()));
    }
    Ok(binary)
}

/// The last change to what the examples are built from; `None` if any is unreadable.
fn newest_source() -> Option<std::time::SystemTime> {
    fn walk(path: &Path, newest: &mut std::time::SystemTime) -> Option<()> {
        let metadata = std::fs::metadata(path).ok()?;
        *newest = (*newest).max(metadata.modified().ok()?);
        if metadata.is_dir() {
            for entry in std::fs::read_dir(path).ok()? {
                walk(&entry.ok()?.path(), newest)?;
            }
        }
        Some(())
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut newest = std::time::SystemTime::UNIX_EPOCH;
    for part in [
        "Cargo.toml",
        "Cargo.lock",
        "src",
        "examples",
        "test-support/Cargo.toml",
        "test-support/src",
        "logto-runtime/Cargo.toml",
        "logto-runtime/src",
        "logto-macros/Cargo.toml",
        "logto-macros/src",
    ] {
        walk(&root.join(part), &mut newest)?;
    }
    Some(newest)
}
