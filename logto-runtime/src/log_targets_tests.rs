//! The log targets are part of the API: users filter on them (`RUST_LOG=logto::oidc=debug`),
//! so every event of the runtime names one of a small, stable set instead of inheriting
//! its module path, which a refactor would change. README.md lists them.

use std::{fs, path::Path};

/// The targets, as README.md lists them.
const TARGETS: [&str; 7] = [
    "logto::oidc",
    "logto::session",
    "logto::tokens",
    "logto::bearer",
    "logto::store",
    "logto::backchannel",
    "logto::config",
];

/// The `tracing` macros that emit an event or open a span.
const MACROS: [&str; 12] = [
    "trace!(",
    "debug!(",
    "info!(",
    "warn!(",
    "error!(",
    "event!(",
    "span!(",
    "trace_span!(",
    "debug_span!(",
    "info_span!(",
    "warn_span!(",
    "error_span!(",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_log_event_names_a_stable_target() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    let mut events = 0;
    for file in files
        .iter()
        .filter(|f| !f.ends_with("log_targets_tests.rs"))
    {
        // Code only (comment lines blanked, so line numbers hold): a doc example is the
        // user's code, which logs under targets of its own.
        let text: String = fs::read_to_string(file)
            .unwrap_or_default()
            .lines()
            .map(|line| {
                if line.trim_start().starts_with("//") {
                    "\n".to_owned()
                } else {
                    format!("{line}\n")
                }
            })
            .collect();
        let name = file.strip_prefix(&src).unwrap_or(file).display();
        // A bare `warn!(` after `use tracing::...` would escape the scan below.
        if text.contains("use tracing") || text.contains("#[instrument") {
            problems.push(format!(
                "{name}: import tracing's macros by path (`tracing::warn!`)"
            ));
        }
        for (at, _) in text.match_indices("tracing::") {
            let rest = &text[at + "tracing::".len()..];
            let Some(call) = MACROS.iter().find(|m| rest.starts_with(**m)) else {
                continue;
            };
            events += 1;
            let args = rest[call.len()..].trim_start();
            let line = text[..at].lines().count() + 1;
            let named = args
                .strip_prefix("target:")
                .map(str::trim_start)
                .and_then(|a| a.strip_prefix('"'))
                .and_then(|a| a.split('"').next());
            match named {
                Some(target) if TARGETS.contains(&target) => {}
                Some(target) => problems.push(format!(
                    "{name}:{line}: target `{target}` is not one of {TARGETS:?}"
                )),
                None => problems.push(format!(
                    "{name}:{line}: `tracing::{call}` without `target: \"logto::...\"` first"
                )),
            }
        }
    }
    assert!(
        events > 10,
        "the scan found only {events} events: is it still looking?"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_readme_lists_every_target() {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = fs::read_to_string(readme).unwrap_or_default();
    for target in TARGETS {
        assert!(
            readme.contains(&format!("`{target}`")),
            "README.md does not list `{target}`"
        );
    }
}
