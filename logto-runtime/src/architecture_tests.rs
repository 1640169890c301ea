//! The module rule of `ARCHITECTURE.md`, checked: no two top-level modules of this crate
//! import each other (directly, or through the crate root's re-exports), so a request
//! walks the layers in one direction and each module can be read without the ones
//! that depend on it.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The text of every file of a top-level module (a file, or a folder).
fn text_of(path: &Path) -> String {
    if path.is_dir() {
        let mut entries: Vec<_> = fs::read_dir(path)
            .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        entries.sort();
        entries.iter().map(|p| text_of(p)).collect()
    } else if path.extension().is_some_and(|e| e == "rs") {
        // Code only: a doc link names an item without depending on it.
        let text = fs::read_to_string(path).unwrap_or_default();
        let code: Vec<&str> = text
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect();
        code.join("\n")
    } else {
        String::new()
    }
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first-level names of a `{ ... }` group that starts `s` (after the `{`).
fn group_names(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut names) = (0, 0, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                names.push(ident(s[start..i].trim_start()));
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                names.push(ident(s[start..i].trim_start()));
                start = i + 1;
            }
            _ => {}
        }
    }
    names
}

/// The names `text` reaches through `crate::` paths.
fn crate_names(text: &str) -> BTreeSet<&str> {
    let mut names = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        match rest.strip_prefix('{') {
            Some(group) => names.extend(group_names(group)),
            None => {
                names.insert(ident(rest));
            }
        }
    }
    names
}

#[test]
fn no_two_top_level_modules_import_each_other() {
    let root = fs::read_to_string(src().join("lib.rs")).unwrap_or_default();
    let mut modules = BTreeMap::new();
    for entry in fs::read_dir(src()).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if name != "lib" && name != "architecture_tests" {
            modules.insert(name.to_owned(), text_of(&path));
        }
    }
    // `crate::Logto` is the `logto` module's: map the root's re-exports to modules.
    let mut reexports = BTreeMap::new();
    for line in root
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub use "))
    {
        let line = line.trim_start_matches("crate::");
        let module = ident(line);
        let rest = &line[module.len()..];
        let names = match rest.strip_prefix("::{") {
            Some(group) => group_names(group),
            None => vec![ident(rest.trim_start_matches("::"))],
        };
        for name in names {
            reexports.insert(name, module);
        }
    }
    // Multi-line `pub use a::{...};` groups of the root.
    for (at, _) in root.match_indices("pub use ") {
        let line = root[at + "pub use ".len()..].trim_start_matches("crate::");
        let module = ident(line);
        if let Some(group) = line[module.len()..].strip_prefix("::{") {
            for name in group_names(group) {
                reexports.insert(name, module);
            }
        }
    }
    let deps: BTreeMap<&str, BTreeSet<&str>> = modules
        .iter()
        .map(|(name, text)| {
            let used = crate_names(text)
                .into_iter()
                .map(|n| reexports.get(n).copied().unwrap_or(n))
                .filter(|n| modules.contains_key(*n) && *n != name)
                .collect();
            (name.as_str(), used)
        })
        .collect();
    let mutual: Vec<_> = deps
        .iter()
        .flat_map(|(a, uses)| uses.iter().map(move |b| (*a, *b)))
        .filter(|(a, b)| a < b && deps.get(b).is_some_and(|uses| uses.contains(a)))
        .collect();
    assert!(
        mutual.is_empty(),
        "top-level modules that import each other: {mutual:?}\n(see ARCHITECTURE.md)"
    );
    // `testing` (feature `testing`) may use everything, and nothing may use it: the
    // request path never depends on the test issuer.
    let testing_users: Vec<_> = deps
        .iter()
        .filter(|(_, uses)| uses.contains("testing"))
        .map(|(name, _)| *name)
        .collect();
    assert!(
        testing_users.is_empty(),
        "modules that use `testing`, which is for tests only: {testing_users:?}"
    );
    assert!(
        deps["guard_spec"].is_empty()
            || deps["guard_spec"]
                .iter()
                .all(|d| ["config", "error"].contains(d)),
        "guard_spec/ holds what guards need and the rule only: {:?}",
        deps["guard_spec"]
    );
}
