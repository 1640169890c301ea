//! The rule "a guard's scopes, resource and organization must be requested by its
//! config", written once, for the two places a guard is judged: the compile-time
//! checks `#[logto::protected(config = ...)]` generates (the macro words each possible
//! failure with [`Unmet::pieces`], and the generated code asks [`unmet_is`] which one
//! holds), and a `Guard` layer's check when it is built (run time).
//!
//! Every function is a `const fn` on plain lists, so the generated code can evaluate it
//! at compile time. Not a public API of `logto`: its macros and runtime share it.

/// Scopes every sign-in requests, as Logto's SDKs do.
pub const BASE_SCOPES: [&str; 3] = ["openid", "offline_access", "profile"];

/// The resource Logto SDKs add whenever the organizations scope is requested.
pub const ORGANIZATIONS_RESOURCE: &str = "urn:logto:resource:organizations";

/// Logto's organizations scope (`UserScope::Organizations`).
pub const ORGANIZATIONS_SCOPE: &str = "urn:logto:scope:organizations";

/// `a == b` in a const context.
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn contains(list: &[&str], item: &str) -> bool {
    let mut i = 0;
    while i < list.len() {
        if str_eq(list[i], item) {
            return true;
        }
        i += 1;
    }
    false
}

/// What a config requests, as plain lists.
#[derive(Debug, Clone, Copy)]
pub struct Requested<'a> {
    /// Scopes requested at sign-in (`openid`, `offline_access` and `profile` count
    /// whether listed or not: every sign-in requests them).
    pub scopes: &'a [&'a str],
    /// More scopes, one list per claims type of `claims = [...]`.
    pub claims_scopes: &'a [&'a [&'a str]],
    /// API resource indicators (Logto's reserved organizations resource may be among
    /// them; it is never an API resource).
    pub resources: &'a [&'a str],
}

impl Requested<'_> {
    /// Whether `scope` is requested.
    pub const fn scope(&self, scope: &str) -> bool {
        if contains(&BASE_SCOPES, scope) || contains(self.scopes, scope) {
            return true;
        }
        let mut i = 0;
        while i < self.claims_scopes.len() {
            if contains(self.claims_scopes[i], scope) {
                return true;
            }
            i += 1;
        }
        false
    }

    /// Whether `resource` is a requested API resource.
    pub const fn resource(&self, resource: &str) -> bool {
        !str_eq(resource, ORGANIZATIONS_RESOURCE) && contains(self.resources, resource)
    }

    /// How many API resources are requested.
    pub const fn api_resources(&self) -> usize {
        let mut count = 0;
        let mut i = 0;
        while i < self.resources.len() {
            if !str_eq(self.resources[i], ORGANIZATIONS_RESOURCE) {
                count += 1;
            }
            i += 1;
        }
        count
    }
}

/// What a guard needs of its config.
#[derive(Debug, Clone, Copy)]
pub struct Needs<'a> {
    /// Scopes the access token must carry.
    pub scopes: &'a [&'a str],
    /// The API resource the guard names.
    pub resource: Option<&'a str>,
    /// Whether the guard checks an organization.
    pub organization: bool,
}

/// One part of a guard, judged on its own so that the compile-time check reports each
/// unmet part on its own token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The scope at this index of `Needs::scopes`.
    Scope(usize),
    /// The resource the guard names, or the one it leaves to the config.
    Resource,
    /// The organization.
    Organization,
}

/// A need of a guard its config does not meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmet<'a> {
    /// A scope the config never requests: no access token can carry it.
    Scope(&'a str),
    /// A resource the config never requests.
    Resource(&'a str),
    /// Scopes without a resource, where the config does not request exactly one API
    /// resource (this many instead).
    NoResource {
        /// The API resources the config requests.
        api_resources: usize,
    },
    /// An organization check without the organizations scope.
    Organizations,
}

/// What to call the config in messages.
#[derive(Debug, Clone, Copy)]
pub struct ConfigName<'a> {
    /// As the subject: "`Auth`".
    pub name: &'a str,
    /// Where its arguments are written: "the `#[logto::config]` of `Auth`".
    pub attribute: &'a str,
}

impl ConfigName<'static> {
    /// At run time the config's type is not known.
    pub const UNNAMED: Self = Self {
        name: "the config",
        attribute: "#[logto::config]",
    };
}

/// The rule: whether `part` of a guard needing `needs` is unmet by a config requesting
/// `requested`.
pub const fn unmet<'a>(
    needs: &Needs<'a>,
    requested: &Requested<'_>,
    part: Part,
) -> Option<Unmet<'a>> {
    match part {
        Part::Scope(index) => {
            if index < needs.scopes.len() && !requested.scope(needs.scopes[index]) {
                Some(Unmet::Scope(needs.scopes[index]))
            } else {
                None
            }
        }
        Part::Resource => match needs.resource {
            Some(resource) if !requested.resource(resource) => Some(Unmet::Resource(resource)),
            Some(_) => None,
            // An organization token is for the organization, not for an API resource;
            // without scopes, any token the app's resources accept will do.
            None if needs.organization || needs.scopes.is_empty() => None,
            None => match requested.api_resources() {
                1 => None,
                api_resources => Some(Unmet::NoResource { api_resources }),
            },
        },
        Part::Organization => {
            if needs.organization && !requested.scope(ORGANIZATIONS_SCOPE) {
                Some(Unmet::Organizations)
            } else {
                None
            }
        }
    }
}

/// The first unmet need of a guard, in the order of its arguments: scopes, resource,
/// organization.
pub const fn first_unmet<'a>(needs: &Needs<'a>, requested: &Requested<'_>) -> Option<Unmet<'a>> {
    let mut index = 0;
    while index < needs.scopes.len() {
        if let Some(unmet) = unmet(needs, requested, Part::Scope(index)) {
            return Some(unmet);
        }
        index += 1;
    }
    if let Some(unmet) = unmet(needs, requested, Part::Resource) {
        return Some(unmet);
    }
    unmet(needs, requested, Part::Organization)
}

/// The most pieces a message has.
pub const PIECES: usize = 10;

impl<'a> Unmet<'a> {
    /// The message, as pieces to join: `guard` is the subject ("the guard of
    /// `orders`"). The one wording of the rule, at compile time and at run time.
    pub const fn pieces(&self, guard: &'a str, config: ConfigName<'a>) -> [&'a str; PIECES] {
        match *self {
            Self::Scope(scope) => [
                guard,
                " requires the scope `",
                scope,
                "`, which ",
                config.name,
                " never requests, so no access token can carry it: add \"",
                scope,
                "\" to `scopes` in ",
                config.attribute,
                "",
            ],
            Self::Resource(resource) => [
                guard,
                " names the resource `",
                resource,
                "`, which ",
                config.name,
                " never requests: add \"",
                resource,
                "\" to `resources` in ",
                config.attribute,
                "",
            ],
            Self::NoResource { api_resources: 0 } => [
                guard,
                " requires scopes but names no resource, and ",
                config.name,
                " requests no API resource: add the API's resource indicator to `resources` in ",
                config.attribute,
                "",
                "",
                "",
                "",
                "",
            ],
            Self::NoResource { .. } => [
                guard,
                " requires scopes but names no resource, and ",
                config.name,
                " requests several API resources: name the one the token is for on the \
                 guard, `resource = \"...\"`",
                "",
                "",
                "",
                "",
                "",
                "",
            ],
            Self::Organizations => [
                guard,
                " checks an organization, but ",
                config.name,
                " never requests `",
                ORGANIZATIONS_SCOPE,
                "`: add `UserScope::Organizations` to `scopes` in ",
                config.attribute,
                "",
                "",
                "",
            ],
        }
    }
}

/// Which [`Unmet`] a check looks for: the macro words each kind a part of a guard can
/// fail with and asks [`unmet_is`] whether it is the one that holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// [`Unmet::Scope`].
    Scope,
    /// [`Unmet::Resource`].
    Resource,
    /// [`Unmet::NoResource`] with no API resource requested.
    NoApiResource,
    /// [`Unmet::NoResource`] with several API resources requested.
    SeveralApiResources,
    /// [`Unmet::Organizations`].
    Organizations,
}

impl Unmet<'_> {
    /// Its kind.
    pub const fn kind(&self) -> Kind {
        match self {
            Self::Scope(_) => Kind::Scope,
            Self::Resource(_) => Kind::Resource,
            Self::NoResource { api_resources: 0 } => Kind::NoApiResource,
            Self::NoResource { .. } => Kind::SeveralApiResources,
            Self::Organizations => Kind::Organizations,
        }
    }
}

impl Kind {
    const fn is(self, other: Kind) -> bool {
        self as u8 == other as u8
    }
}

/// Whether `part` of a guard needing `needs` is unmet by a config requesting
/// `requested`, in the way `kind` says: the question of each compile-time check.
pub const fn unmet_is(
    needs: &Needs<'_>,
    requested: &Requested<'_>,
    part: Part,
    kind: Kind,
) -> bool {
    match unmet(needs, requested, part) {
        Some(unmet) => unmet.kind().is(kind),
        None => false,
    }
}

/// The ways `part` of a guard needing `needs` can be unmet, each with its kind: what
/// the macro words, one check per item. The config is not known here, so a guard
/// naming no resource may fail either way ([`Unmet::NoResource`] with none or several).
pub fn possible<'a>(needs: &Needs<'a>, part: Part) -> Vec<(Kind, Unmet<'a>)> {
    match part {
        Part::Scope(index) => match needs.scopes.get(index) {
            Some(scope) => vec![(Kind::Scope, Unmet::Scope(scope))],
            None => Vec::new(),
        },
        Part::Resource => match needs.resource {
            Some(resource) => vec![(Kind::Resource, Unmet::Resource(resource))],
            None if needs.organization || needs.scopes.is_empty() => Vec::new(),
            None => vec![
                (Kind::NoApiResource, Unmet::NoResource { api_resources: 0 }),
                (
                    Kind::SeveralApiResources,
                    Unmet::NoResource { api_resources: 2 },
                ),
            ],
        },
        Part::Organization if needs.organization => {
            vec![(Kind::Organizations, Unmet::Organizations)]
        }
        Part::Organization => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const API: &str = "https://api.example.com";

    const fn needs(scopes: &'static [&'static str]) -> Needs<'static> {
        Needs {
            scopes,
            resource: None,
            organization: false,
        }
    }

    #[test]
    fn evaluates_at_compile_time() {
        const AUTH: Requested<'static> = Requested {
            scopes: &["read"],
            claims_scopes: &[&["email"]],
            resources: &[API, ORGANIZATIONS_RESOURCE],
        };
        const { assert!(AUTH.scope("read")) };
        const { assert!(AUTH.scope("email"), "claims scopes count") };
        const { assert!(AUTH.scope("openid"), "every sign-in requests it") };
        const { assert!(!AUTH.scope("write")) };
        const { assert!(AUTH.resource(API)) };
        const { assert!(!AUTH.resource(ORGANIZATIONS_RESOURCE)) };
        const { assert!(AUTH.api_resources() == 1) };
        const { assert!(first_unmet(&needs(&["read", "email"]), &AUTH).is_none()) };
        const {
            assert!(matches!(
                first_unmet(&needs(&["read", "write"]), &AUTH),
                Some(Unmet::Scope(scope)) if str_eq(scope, "write")
            ))
        };
        const {
            assert!(unmet_is(
                &needs(&["write"]),
                &AUTH,
                Part::Scope(0),
                Kind::Scope
            ))
        };
        const {
            assert!(!unmet_is(
                &needs(&["read"]),
                &AUTH,
                Part::Scope(0),
                Kind::Scope
            ))
        };
    }

    #[test]
    fn each_part_is_judged_alone() {
        let requested = Requested {
            scopes: &["read"],
            claims_scopes: &[],
            resources: &["https://a.example.com", "https://b.example.com"],
        };
        let guard = Needs {
            scopes: &["read", "write"],
            resource: None,
            organization: true,
        };
        assert_eq!(unmet(&guard, &requested, Part::Scope(0)), None);
        assert_eq!(
            unmet(&guard, &requested, Part::Scope(1)),
            Some(Unmet::Scope("write"))
        );
        assert_eq!(
            unmet(&guard, &requested, Part::Resource),
            None,
            "an organization token needs no resource"
        );
        assert_eq!(
            unmet(&guard, &requested, Part::Organization),
            Some(Unmet::Organizations)
        );
        let guard = Needs {
            organization: false,
            ..guard
        };
        assert_eq!(
            unmet(&guard, &requested, Part::Resource),
            Some(Unmet::NoResource { api_resources: 2 })
        );
        let guard = Needs {
            resource: Some("https://c.example.com"),
            ..guard
        };
        assert_eq!(
            unmet(&guard, &requested, Part::Resource),
            Some(Unmet::Resource("https://c.example.com"))
        );
        let bare = needs(&[]);
        assert_eq!(first_unmet(&bare, &requested), None, "a session is enough");
    }

    /// What the macro words covers every way a part can fail, whatever the config:
    /// a check it did not generate would let a guard through silently.
    #[test]
    fn the_possible_failures_cover_every_config() {
        let configs: [Requested<'static>; 4] = [
            Requested {
                scopes: &[],
                claims_scopes: &[],
                resources: &[],
            },
            Requested {
                scopes: &["read"],
                claims_scopes: &[],
                resources: &[API],
            },
            Requested {
                scopes: &[ORGANIZATIONS_SCOPE],
                claims_scopes: &[],
                resources: &[API, "https://b.example.com", ORGANIZATIONS_RESOURCE],
            },
            Requested {
                scopes: &[],
                claims_scopes: &[&["read"]],
                resources: &[ORGANIZATIONS_RESOURCE],
            },
        ];
        let guards = [
            needs(&[]),
            needs(&["read"]),
            needs(&["read", "write"]),
            Needs {
                scopes: &["read"],
                resource: Some(API),
                organization: false,
            },
            Needs {
                scopes: &[],
                resource: Some("https://c.example.com"),
                organization: false,
            },
            Needs {
                scopes: &["read"],
                resource: None,
                organization: true,
            },
        ];
        for requested in &configs {
            for guard in &guards {
                let mut parts: Vec<Part> = (0..guard.scopes.len()).map(Part::Scope).collect();
                parts.extend([Part::Resource, Part::Organization]);
                for part in parts {
                    let possible = possible(guard, part);
                    if let Some(found) = unmet(guard, requested, part) {
                        assert!(
                            possible.iter().any(|(kind, unmet)| *kind == found.kind()
                                && unmet.pieces("g", ConfigName::UNNAMED)
                                    == found.pieces("g", ConfigName::UNNAMED)),
                            "{guard:?} {part:?} against {requested:?}: {found:?} not in {possible:?}"
                        );
                        // The generated check of that kind fires, and no other does.
                        for (kind, _) in &possible {
                            assert_eq!(
                                unmet_is(guard, requested, part, *kind),
                                *kind == found.kind(),
                                "{guard:?} {part:?} against {requested:?}: {kind:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_message_names_the_guard_and_the_fix() {
        for unmet in [
            Unmet::Scope("write"),
            Unmet::Resource(API),
            Unmet::NoResource { api_resources: 0 },
            Unmet::NoResource { api_resources: 2 },
            Unmet::Organizations,
        ] {
            let joined = unmet.pieces("the guard", ConfigName::UNNAMED).concat();
            assert!(joined.starts_with("the guard "), "{joined}");
            assert!(
                joined.contains(": "),
                "every message says the fix: {joined}"
            );
        }
        let named = ConfigName {
            name: "`Auth`",
            attribute: "the #[logto::config] of `Auth`",
        };
        assert_eq!(
            Unmet::Scope("write")
                .pieces("the guard of `edit`", named)
                .concat(),
            "the guard of `edit` requires the scope `write`, which `Auth` never requests, so \
             no access token can carry it: add \"write\" to `scopes` in the #[logto::config] \
             of `Auth`"
        );
    }
}
