//! Guards for handlers and routers: `#[logto::protected]` expands to the [`Guarded`]
//! extractor, [`Guard`] is the same rule as a tower layer, and [`AccessToken`] is what
//! a guarded handler may take.
//!
//! A request with `Authorization: Bearer` is judged by its token alone (a valid cookie
//! beside an invalid token does not help); without one, by its session, unless the
//! guard accepts bearer tokens only. Answers follow RFC 6750.

mod builder;
mod decision;
mod extract;
mod layer;

pub use builder::Guard;
pub(crate) use decision::Granted;
use decision::{Rule, decide};
pub use extract::{GuardDef, Guarded};
pub use layer::{BearerLayer, BearerService, GuardLayer, GuardService};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BearerVerifier;

    struct Api;
    impl crate::config::Config for Api {
        const SCOPES: &'static [&'static str] = &["read", "write"];
        const RESOURCES: &'static [&'static str] = &["https://api.example.com"];
    }

    #[test]
    fn a_guard_names_its_organization_or_allows_any_not_both() {
        let verifier = BearerVerifier::builder::<Api>()
            .endpoint("https://tenant.logto.app")
            .build()
            .unwrap();
        let both = Guard::new()
            .scope("read")
            .organization_from_path("org_id")
            .allow_organization_scoped_tokens();
        let error = verifier.guard(both).unwrap_err();
        assert_eq!(error.setting, "Guard");
        assert!(
            error
                .problem
                .contains("`organization_from_path` requires the one in the path"),
            "{error}"
        );
        verifier
            .guard(
                Guard::new()
                    .scope("read")
                    .allow_organization_scoped_tokens(),
            )
            .expect("the opt-in alone is a valid guard");
    }
}
