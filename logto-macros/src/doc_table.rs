//! The claims table of the `Claims` docs, rendered from the catalog.

use std::fmt::Write as _;

use crate::catalog::{CLAIMS, Claim, Source, ValueType};
use crate::scopes;

/// The markdown table of every catalog claim: name, field type, scope, source.
pub(crate) fn render() -> String {
    let mut table = String::from(
        "| Claim | Field type | Scope | From | Description |\n\
         | --- | --- | --- | --- | --- |\n",
    );
    for claim in CLAIMS {
        // `write!` to a `String` cannot fail.
        let _ = writeln!(
            table,
            "| `{}` | {} | {} | {} | {} |",
            claim.name,
            field_types(claim),
            scope(claim.scope),
            match claim.source {
                Source::IdToken => "ID token",
                Source::Userinfo => "userinfo only",
            },
            claim.description,
        );
    }
    table
}

fn field_types(claim: &Claim) -> String {
    let types: Vec<String> = claim
        .types
        .iter()
        .map(|value| {
            let spelled = format!("`{}`", claim.presence.wrap(value.spelling()));
            if *value == ValueType::Any {
                format!("{spelled}, any `T: DeserializeOwned`")
            } else {
                spelled
            }
        })
        .collect();
    crate::suggest::join_or(&types)
}

fn scope(scope: &str) -> String {
    if scopes::is_always_requested(scope) {
        format!("`{scope}` (always requested)")
    } else if let Some(user_scope) = scopes::by_scope(scope) {
        format!("`{scope}` (`UserScope::{}`)", user_scope.variant)
    } else {
        format!("`{scope}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_a_row_per_claim() {
        let table = render();
        assert_eq!(table.lines().count(), CLAIMS.len() + 2);
        assert!(table.contains(
            "| `email_verified` | `Option<bool>` | `email` (`UserScope::Email`) | ID token |"
        ));
        assert!(table.contains(
            "| `created_at` | `Option<i64>`, `Option<u64>` or `Option<logto::UnixMillis>` |"
        ));
        assert!(table.contains(
            "| `custom_data` | `Option<T>`, any `T: DeserializeOwned` | `custom_data` (`UserScope::CustomData`) | userinfo only |"
        ));
        assert!(table.contains("| `sub` | `String` | `openid` (always requested) |"));
    }
}
