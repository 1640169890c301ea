//! What an app asks of Logto at compile time.

/// The compile-time half of an app's Logto configuration.
///
/// Implemented by `#[logto::config(...)]` on a unit struct; secrets and deployment URLs
/// are not part of it: they come from the environment or the builder.
///
/// ```
/// use logto::{Config, UserScope};
///
/// #[logto::config(
///     scopes = [UserScope::Email, "read"],
///     resources = ["https://shopping.your-app.com/api"],
/// )]
/// pub struct Auth;
///
/// assert_eq!(Auth::SCOPES, ["email", "read"]);
/// assert_eq!(Auth::RESOURCES, ["https://shopping.your-app.com/api"]);
/// assert_eq!(Auth::PROMPT, "consent");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Logto config",
    label = "not a `#[logto::config]` type",
    note = "put `#[logto::config(scopes = [...], resources = [...])]` on the struct `{Self}`, or name the type that has it"
)]
pub trait Config: Send + Sync + 'static {
    /// Scopes written in the attribute, in order, without the ones every sign-in
    /// requests (`openid`, `offline_access`, `profile`).
    const SCOPES: &'static [&'static str];
    /// API resource indicators (RFC 8707) written in the attribute, in order.
    const RESOURCES: &'static [&'static str];
    /// The scopes of each claims type listed with `claims = [...]`.
    const CLAIMS_SCOPES: &'static [&'static [&'static str]] = &[];
    /// The `prompt` sent at sign-in (space-separated values).
    const PROMPT: &'static str = "consent";
}

/// The scopes Logto defines for user claims.
///
/// In `#[logto::config(scopes = [UserScope::Email])]` the macro resolves the variant to
/// its scope string at compile time.
///
/// ```
/// use logto::{Config, UserScope};
///
/// #[logto::config(scopes = [UserScope::Email, UserScope::Organizations])]
/// pub struct Auth;
///
/// assert_eq!(Auth::SCOPES, [UserScope::Email.as_str(), "urn:logto:scope:organizations"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UserScope {
    /// `openid`: the `sub` claim; always requested.
    OpenId,
    /// `offline_access`: a refresh token; always requested.
    OfflineAccess,
    /// `profile`: name, username, picture and the other standard profile claims; always requested.
    Profile,
    /// `email`: `email`, `email_verified`.
    Email,
    /// `phone`: `phone_number`, `phone_number_verified`.
    Phone,
    /// `address`: the `address` claim.
    Address,
    /// `custom_data`: the user's custom data (userinfo only).
    CustomData,
    /// `identities`: linked social and SSO identities (userinfo only).
    Identities,
    /// `roles`: the user's roles.
    Roles,
    /// `urn:logto:scope:organizations`: organization ids (and data from userinfo).
    Organizations,
    /// `urn:logto:scope:organization_roles`: `"<organization_id>:<role>"` strings.
    OrganizationRoles,
}

impl UserScope {
    /// The scope string sent to Logto.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OpenId => "openid",
            Self::OfflineAccess => "offline_access",
            Self::Profile => "profile",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Address => "address",
            Self::CustomData => "custom_data",
            Self::Identities => "identities",
            Self::Roles => "roles",
            Self::Organizations => "urn:logto:scope:organizations",
            Self::OrganizationRoles => "urn:logto:scope:organization_roles",
        }
    }
}

/// Scopes every sign-in requests, as Logto's SDKs do.
pub(crate) use logto_rule::BASE_SCOPES;
/// `a == b` in a const context, for the compile-time checks the macros generate.
#[doc(hidden)]
pub use logto_rule::str_eq;

/// The resource Logto SDKs add whenever the organizations scope is requested.
///
/// ```
/// use logto::{UserScope, config::ORGANIZATIONS_RESOURCE};
///
/// #[logto::config(scopes = [UserScope::Organizations])]
/// pub struct Auth;
///
/// let logto = logto::Logto::builder::<Auth>()
/// #   .endpoint("https://tenant.logto.app").app_id("my-app").app_secret("my-secret")
/// #   .base_url("http://localhost:3000").cookie_secret("complex_password_at_least_32_characters_long")
///     .build()?;
/// assert_eq!(logto.resources(), [ORGANIZATIONS_RESOURCE]);
/// # Ok::<(), logto::Error>(())
/// ```
pub const ORGANIZATIONS_RESOURCE: &str = logto_rule::ORGANIZATIONS_RESOURCE;
