//! "Did you mean ...?" for misspelled names: keys, claims, `UserScope` variants.

/// Below this Jaro-Winkler similarity a candidate is noise (darling's threshold, which
/// catches transpositions such as `emial` and plural slips such as `scope`/`scopes`).
const MIN_SIMILARITY: f64 = 0.8;

/// The candidate `input` most likely meant, if any is close enough.
///
/// A candidate equal to `input` once both are lowercased and stripped of `_` wins first,
/// so camelCase spellings from JavaScript SDKs (`emailVerified`, `createdAt`) find their
/// snake_case claim, and `EMAIL` finds `Email`.
pub(crate) fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let folded = fold(input);
    let mut best: Option<(f64, &'a str)> = None;
    for candidate in candidates {
        if candidate == input {
            continue;
        }
        if fold(candidate) == folded {
            return Some(candidate);
        }
        let score = strsim::jaro_winkler(&input.to_lowercase(), &candidate.to_lowercase());
        if score >= MIN_SIMILARITY && best.is_none_or(|(top, _)| score > top) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// `"{fault}: did you mean `x`? (expected ...)"`, or `"{fault}: expected ..."` when no
/// candidate is close: one wording for every unknown name.
pub(crate) fn unknown(fault: &str, input: &str, candidates: &[&str]) -> String {
    let expected = one_of(candidates.iter().copied());
    match did_you_mean(input, candidates.iter().copied()) {
        Some(close) => format!("{fault}: did you mean `{close}`? (expected {expected})"),
        None => format!("{fault}: expected {expected}"),
    }
}

/// The list of `candidates` as "`a`, `b` or `c`", for messages that enumerate choices.
pub(crate) fn one_of<'a>(candidates: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = candidates.into_iter().map(|c| format!("`{c}`")).collect();
    join_or(&quoted)
}

/// `items` as "a, b or c".
pub(crate) fn join_or(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLAIMS: &[&str] = &["email", "email_verified", "created_at", "name", "sub"];

    #[test]
    fn finds_transpositions_and_camel_case() {
        assert_eq!(did_you_mean("emial", CLAIMS.iter().copied()), Some("email"));
        assert_eq!(
            did_you_mean("emailVerified", CLAIMS.iter().copied()),
            Some("email_verified")
        );
        assert_eq!(
            did_you_mean("createdAt", CLAIMS.iter().copied()),
            Some("created_at")
        );
        assert_eq!(
            did_you_mean("scope", ["scopes", "resources"]),
            Some("scopes")
        );
        assert_eq!(did_you_mean("EMail", ["Email", "Phone"]), Some("Email"));
    }

    #[test]
    fn stays_quiet_when_nothing_is_close() {
        assert_eq!(
            did_you_mean("favourite_colour", CLAIMS.iter().copied()),
            None
        );
        assert_eq!(
            unknown("unknown `zzz`", "zzz", CLAIMS),
            "unknown `zzz`: expected `email`, `email_verified`, `created_at`, `name` or `sub`"
        );
        assert_eq!(
            unknown("unknown `nmae`", "nmae", &["name"]),
            "unknown `nmae`: did you mean `name`? (expected `name`)"
        );
    }

    #[test]
    fn lists_choices() {
        assert_eq!(one_of(["a"]), "`a`");
        assert_eq!(one_of(["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
