//! The rule "a guard's scopes, resource and organization must be requested by its
//! config", from the `logto-rule` crate the macros share, and what a config requests
//! as that rule reads it.

pub(crate) use logto_rule::{ConfigName, Needs, first_unmet};
pub use logto_rule::{Kind, Part, Requested, unmet_is};

use crate::config::Config;

/// What `C` requests, as `#[logto::config]` wrote it: what the compile-time checks of
/// guards and claims types evaluate.
pub const fn requested_of<C: Config>() -> Requested<'static> {
    Requested {
        scopes: C::SCOPES,
        claims_scopes: C::CLAIMS_SCOPES,
        resources: C::RESOURCES,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ORGANIZATIONS_RESOURCE;

    const API: &str = "https://api.example.com";

    struct Auth;
    impl Config for Auth {
        const SCOPES: &'static [&'static str] = &["read"];
        const RESOURCES: &'static [&'static str] = &[API, ORGANIZATIONS_RESOURCE];
        const CLAIMS_SCOPES: &'static [&'static [&'static str]] = &[&["email"]];
    }

    #[test]
    fn a_config_is_read_at_compile_time() {
        const AUTH: Requested<'static> = requested_of::<Auth>();
        const { assert!(AUTH.scope("read")) };
        const { assert!(AUTH.scope("email"), "claims scopes count") };
        const { assert!(!AUTH.scope("write")) };
        const { assert!(AUTH.api_resources() == 1) };
        const {
            let write = Needs {
                scopes: &["write"],
                resource: None,
                organization: false,
            };
            assert!(unmet_is(&write, &AUTH, Part::Scope(0), Kind::Scope));
        };
    }
}
