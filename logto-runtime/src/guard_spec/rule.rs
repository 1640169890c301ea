//! The rule "a guard's scopes, resource and organization must be requested by its
//! config", written once.
//!
//! Every function here is a `const fn` on plain lists, so the one rule runs in both
//! places a guard is judged: in the `const` assertions `#[logto::protected(config = ...)]`
//! generates (compile time) and when a [`Guard`](crate::Guard) layer is built (run
//! time). [`Unmet::pieces`] is the one wording of both; only the names differ (the
//! config's type at compile time, "the config" at run time, which does not know it).

use crate::config::{BASE_SCOPES, Config, ORGANIZATIONS_RESOURCE, UserScope, str_eq};

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

impl Requested<'static> {
    /// What `C` requests, as `#[logto::config]` wrote it.
    pub const fn of<C: Config>() -> Self {
        Self {
            scopes: C::SCOPES,
            claims_scopes: C::CLAIMS_SCOPES,
            resources: C::RESOURCES,
        }
    }
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
pub(crate) enum Unmet<'a> {
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
pub(crate) const fn unmet<'a>(
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
            if needs.organization && !requested.scope(UserScope::Organizations.as_str()) {
                Some(Unmet::Organizations)
            } else {
                None
            }
        }
    }
}

/// The first unmet need of a guard, in the order of its arguments: scopes, resource,
/// organization.
pub(crate) const fn first_unmet<'a>(
    needs: &Needs<'a>,
    requested: &Requested<'_>,
) -> Option<Unmet<'a>> {
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
const PIECES: usize = 10;

impl<'a> Unmet<'a> {
    /// The message, as pieces to join: `guard` is the subject ("the guard of
    /// `orders`"). The one wording of the rule, at compile time and at run time.
    pub(crate) const fn pieces(&self, guard: &'a str, config: ConfigName<'a>) -> [&'a str; PIECES] {
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
                UserScope::Organizations.as_str(),
                "`: add `UserScope::Organizations` to `scopes` in ",
                config.attribute,
                "",
                "",
                "",
            ],
        }
    }

    /// The message, joined into a [`Message`] (for a `const` panic, which cannot
    /// allocate).
    pub(crate) const fn message(&self, guard: &str, config: ConfigName<'_>) -> Message {
        let pieces = self.pieces(guard, config);
        let mut message = Message::new();
        let mut i = 0;
        while i < pieces.len() {
            message.push(pieces[i]);
            i += 1;
        }
        message
    }
}

/// A message built in a `const` context. Longer text is cut at a character boundary
/// and ends with "...": it only happens with scopes or resources thousands of bytes
/// long.
#[derive(Clone, Copy)]
pub struct Message {
    bytes: [u8; MESSAGE_CAPACITY],
    len: usize,
    /// The text was cut: nothing more is added.
    cut: bool,
}

/// Room for any message with scopes and resources of a sane length.
const MESSAGE_CAPACITY: usize = 2048;

impl Message {
    const CAPACITY: usize = MESSAGE_CAPACITY;
    const CUT: &'static str = "...";

    const fn new() -> Self {
        Self {
            bytes: [0; Self::CAPACITY],
            len: 0,
            cut: false,
        }
    }

    const fn push(&mut self, text: &str) {
        let text = text.as_bytes();
        let room = Self::CAPACITY - Self::CUT.len();
        let mut i = 0;
        while i < text.len() {
            if self.cut {
                return;
            }
            if self.len == room {
                // A continuation byte next: the character before it is cut in two, so
                // drop its first bytes too.
                if text[i] & 0xC0 == 0x80 {
                    while self.len > 0 {
                        self.len -= 1;
                        if self.bytes[self.len] & 0xC0 != 0x80 {
                            break;
                        }
                    }
                }
                let cut = Self::CUT.as_bytes();
                let mut j = 0;
                while j < cut.len() {
                    self.bytes[self.len] = cut[j];
                    self.len += 1;
                    j += 1;
                }
                self.cut = true;
                return;
            }
            self.bytes[self.len] = text[i];
            self.len += 1;
            i += 1;
        }
    }

    /// Whether there is nothing to say.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The text.
    pub const fn as_str(&self) -> &str {
        match core::str::from_utf8(self.bytes.split_at(self.len).0) {
            Ok(text) => text,
            // Unreachable: only whole characters are copied in.
            Err(_) => "a #[logto::protected] guard asks for what its config never requests",
        }
    }
}

impl core::fmt::Debug for Message {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// The compile-time check of `#[logto::protected(config = ...)]`, one part at a time:
/// the message when `part` of the guard `spec` is unmet by a config requesting
/// `requested`, else an empty one. The generated code panics with it, in a `const`
/// item spanned on the user's token.
pub const fn check_part(
    spec: &super::GuardSpec,
    requested: Requested<'_>,
    part: Part,
    guard: &str,
    config: ConfigName<'_>,
) -> Message {
    match unmet(&spec.needs(), &requested, part) {
        Some(unmet) => unmet.message(guard, config),
        None => Message::new(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const API: &str = "https://api.example.com";

    struct Auth;
    impl Config for Auth {
        const SCOPES: &'static [&'static str] = &["read"];
        const RESOURCES: &'static [&'static str] = &[API, ORGANIZATIONS_RESOURCE];
        const CLAIMS_SCOPES: &'static [&'static [&'static str]] = &[&["email"]];
    }

    const fn needs(scopes: &'static [&'static str]) -> Needs<'static> {
        Needs {
            scopes,
            resource: None,
            organization: false,
        }
    }

    #[test]
    fn evaluates_at_compile_time() {
        const AUTH: Requested<'static> = Requested::of::<Auth>();
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

    #[test]
    fn one_wording_at_compile_time_and_at_run_time() {
        let named = ConfigName {
            name: "`Auth`",
            attribute: "the #[logto::config] of `Auth`",
        };
        let message = Unmet::Scope("write").message("the guard of `edit`", named);
        assert_eq!(
            message.as_str(),
            "the guard of `edit` requires the scope `write`, which `Auth` never requests, so \
             no access token can carry it: add \"write\" to `scopes` in the #[logto::config] \
             of `Auth`"
        );
        for unmet in [
            Unmet::Scope("write"),
            Unmet::Resource(API),
            Unmet::NoResource { api_resources: 0 },
            Unmet::NoResource { api_resources: 2 },
            Unmet::Organizations,
        ] {
            let joined = unmet.pieces("the guard", ConfigName::UNNAMED).concat();
            assert_eq!(
                joined,
                unmet.message("the guard", ConfigName::UNNAMED).as_str()
            );
            assert!(joined.starts_with("the guard "), "{joined}");
            assert!(
                joined.contains(": "),
                "every message says the fix: {joined}"
            );
        }
    }

    #[test]
    fn long_messages_are_cut_on_a_character() {
        let long = "é".repeat(Message::CAPACITY);
        let message = Unmet::Scope(&long).message("the guard", ConfigName::UNNAMED);
        assert!(message.as_str().ends_with("..."));
        assert!(message.as_str().len() <= Message::CAPACITY);
    }
}
