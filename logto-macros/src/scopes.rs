//! Scope strings: Logto's `UserScope` variants, the scopes every sign-in requests, and
//! the syntax of a scope token.

/// A variant of `logto::UserScope` and the scope string it stands for.
///
/// This mirrors `UserScope::as_str` in the runtime; the generated code calls `as_str` on
/// the user's path (so the runtime stays the truth at run time), and the UI pass test
/// `pass_config_user_scopes.rs` asserts that both agree for every variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UserScope {
    /// The variant's name, e.g. `Email`.
    pub variant: &'static str,
    /// The scope sent to Logto, e.g. `email`.
    pub scope: &'static str,
}

/// Every variant of `logto::UserScope`.
pub(crate) const USER_SCOPES: &[UserScope] = &[
    UserScope {
        variant: "OpenId",
        scope: OPENID,
    },
    UserScope {
        variant: "OfflineAccess",
        scope: OFFLINE_ACCESS,
    },
    UserScope {
        variant: "Profile",
        scope: PROFILE,
    },
    UserScope {
        variant: "Email",
        scope: "email",
    },
    UserScope {
        variant: "Phone",
        scope: "phone",
    },
    UserScope {
        variant: "Address",
        scope: "address",
    },
    UserScope {
        variant: "CustomData",
        scope: "custom_data",
    },
    UserScope {
        variant: "Identities",
        scope: "identities",
    },
    UserScope {
        variant: "Roles",
        scope: "roles",
    },
    UserScope {
        variant: "Organizations",
        scope: ORGANIZATIONS,
    },
    UserScope {
        variant: "OrganizationRoles",
        scope: "urn:logto:scope:organization_roles",
    },
];

/// The OIDC scope every sign-in requests.
pub(crate) const OPENID: &str = "openid";
/// The refresh-token scope every sign-in requests.
pub(crate) const OFFLINE_ACCESS: &str = "offline_access";
/// The profile scope every sign-in requests (Logto SDKs always add it).
pub(crate) const PROFILE: &str = "profile";
/// Logto's organizations scope; requesting it adds the reserved organizations resource.
pub(crate) const ORGANIZATIONS: &str = "urn:logto:scope:organizations";
/// The resource Logto SDKs add with [`ORGANIZATIONS`]: never written by hand.
pub(crate) use logto_rule::ORGANIZATIONS_RESOURCE;

/// Scopes the runtime requests at every sign-in, so configs and claims types leave them out.
pub(crate) const ALWAYS_REQUESTED: &[&str] = &logto_rule::BASE_SCOPES;

/// The variant named `name`.
pub(crate) fn by_variant(name: &str) -> Option<UserScope> {
    USER_SCOPES.iter().copied().find(|s| s.variant == name)
}

/// The variant whose scope is `scope`.
pub(crate) fn by_scope(scope: &str) -> Option<UserScope> {
    USER_SCOPES.iter().copied().find(|s| s.scope == scope)
}

/// Whether every sign-in requests `scope` anyway.
pub(crate) fn is_always_requested(scope: &str) -> bool {
    ALWAYS_REQUESTED.contains(&scope)
}

/// Checks `scope` against RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`,
/// printable ASCII without space, `"` and `\`. The error says how to fix it.
pub(crate) fn check_token(scope: &str) -> Result<(), String> {
    if scope.is_empty() {
        return Err("a scope cannot be empty: remove `\"\"` or write the scope's name".into());
    }
    if scope.chars().any(char::is_whitespace) {
        let parts: Vec<String> = scope
            .split_whitespace()
            .map(|part| format!("\"{part}\""))
            .collect();
        let fix = if parts.is_empty() {
            "remove it".to_owned()
        } else {
            format!("write each as its own string: {}", parts.join(", "))
        };
        return Err(format!(
            "scope `{scope}` contains whitespace, but a scope is a single token \
             (RFC 6749 §3.3): {fix}"
        ));
    }
    if let Some(bad) = scope.chars().find(|c| !is_scope_char(*c)) {
        return Err(format!(
            "scope `{scope}` contains {}, which RFC 6749 §3.3 does not allow in a scope \
             (printable ASCII except space, `\"` and `\\`): remove it",
            describe_char(bad)
        ));
    }
    Ok(())
}

fn is_scope_char(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e')
}

fn describe_char(c: char) -> String {
    match c {
        '"' => "a quote `\"`".to_owned(),
        '\\' => "a backslash `\\`".to_owned(),
        c if c.is_control() => format!("the control character U+{:04X}", u32::from(c)),
        c => format!("`{c}` (U+{:04X})", u32::from(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_logto_scopes() {
        for scope in USER_SCOPES {
            assert_eq!(check_token(scope.scope), Ok(()), "{}", scope.scope);
        }
        assert_eq!(check_token("shopping:read"), Ok(()));
        assert_eq!(check_token("read"), Ok(()));
    }

    #[test]
    fn rejects_what_rfc_6749_forbids() {
        assert!(check_token("").unwrap_err().contains("cannot be empty"));
        let spaced = check_token("read write").unwrap_err();
        assert!(spaced.contains("\"read\", \"write\""), "{spaced}");
        assert!(check_token("a\"b").unwrap_err().contains("quote"));
        assert!(check_token("a\\b").unwrap_err().contains("backslash"));
        assert!(
            check_token("lecture·écriture")
                .unwrap_err()
                .contains("U+00B7")
        );
    }

    #[test]
    fn finds_variants_both_ways() {
        assert_eq!(by_variant("Email").map(|s| s.scope), Some("email"));
        assert_eq!(
            by_scope(ORGANIZATIONS).map(|s| s.variant),
            Some("Organizations")
        );
        assert!(is_always_requested("profile"));
        assert!(!is_always_requested("email"));
    }
}
