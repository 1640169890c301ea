//! What an endpoint asks of an access token.

/// Whom a token must be for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience<'a> {
    /// `aud` names the API resource.
    Resource(&'a str),
    /// An organization token: `aud` is `urn:logto:organization:<id>`.
    Organization(&'a str),
    /// Any of the app's resources (a guard that names none).
    AnyOf(&'a [String]),
}

/// Which organization a resource token may be scoped to (its `organization_id` claim).
///
/// Logto issues tokens for one API resource both globally and per organization; an
/// organization-scoped token carries the scopes of the user's roles *in that
/// organization*, so a user who is admin of their own organization holds "admin"
/// scopes there. Every requirement says which of the two it accepts: there is no
/// state in which the claim goes unread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum OrganizationScope<'a> {
    /// Global tokens only: a token with an `organization_id` is refused. The default,
    /// so forgetting the organization fails closed.
    #[default]
    None,
    /// Global tokens and tokens scoped to any organization (the explicit opt-in,
    /// [`Requirements::allow_organization_scoped_tokens`]).
    Any,
    /// Tokens scoped to this organization only.
    Exactly(&'a str),
}

/// What an endpoint asks of an access token: its audience, its organization and its
/// scopes.
///
/// A requirement for an API resource accepts only **global** tokens unless it says
/// otherwise: a token scoped to an organization (with an `organization_id` claim)
/// carries the scopes of the user's roles in that organization, not app-wide ones, and
/// is refused with `invalid_token`. Name the organization with
/// [`organization_id`](Self::organization_id), or accept any with
/// [`allow_organization_scoped_tokens`](Self::allow_organization_scoped_tokens).
///
/// ```
/// use logto::bearer::Requirements;
///
/// // Global tokens for the API, with `read`.
/// let orders = Requirements::resource("https://shopping.your-app.com/api").scopes(&["read"]);
/// // An organization token (`aud` is `urn:logto:organization:org_acme`).
/// let members = Requirements::organization("org_acme").scopes(&["read:members"]);
/// // Tokens for the API scoped to org_acme only.
/// let org_api = Requirements::resource("https://shopping.your-app.com/api").organization_id("org_acme");
/// // Global tokens and tokens scoped to any organization: the handler must then read
/// // `AccessToken::organization_id` itself.
/// let either = Requirements::resource("https://shopping.your-app.com/api").allow_organization_scoped_tokens();
/// # let _ = (orders, members, org_api, either);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Requirements<'a> {
    pub(crate) audience: Audience<'a>,
    pub(crate) organization: OrganizationScope<'a>,
    pub(crate) scopes: &'a [&'a str],
}

impl<'a> Requirements<'a> {
    /// A global token for an API resource: `aud` names it, and the token names no
    /// organization (see [`organization_id`](Self::organization_id) and
    /// [`allow_organization_scoped_tokens`](Self::allow_organization_scoped_tokens)).
    pub fn resource(resource: &'a str) -> Self {
        Self {
            audience: Audience::Resource(resource),
            organization: OrganizationScope::None,
            scopes: &[],
        }
    }

    /// An organization token: `aud` is `urn:logto:organization:<id>`.
    pub fn organization(organization_id: &'a str) -> Self {
        Self {
            audience: Audience::Organization(organization_id),
            organization: OrganizationScope::Exactly(organization_id),
            scopes: &[],
        }
    }

    /// Narrows the requirement to one organization: a resource token's
    /// `organization_id` claim must name it (Logto's organization-scoped API tokens);
    /// an organization token must be that organization's.
    pub fn organization_id(self, organization_id: &'a str) -> Self {
        let audience = match self.audience {
            Audience::Organization(_) => Audience::Organization(organization_id),
            other => other,
        };
        Self {
            audience,
            organization: OrganizationScope::Exactly(organization_id),
            ..self
        }
    }

    /// Also accepts resource tokens scoped to **any** organization, beside global ones.
    ///
    /// Their scopes come from the user's roles in that organization, so use this only
    /// where the handler itself checks [`AccessToken::organization_id`](crate::AccessToken::organization_id)
    /// (or does not care whose the permission is). Without it, such tokens are refused
    /// with 401 `invalid_token`. It changes nothing for a requirement that already
    /// names an organization.
    ///
    /// ```
    /// use logto::bearer::Requirements;
    ///
    /// let requirements = Requirements::resource("https://shopping.your-app.com/api")
    ///     .scopes(&["read"])
    ///     .allow_organization_scoped_tokens();
    /// # let _ = requirements;
    /// ```
    pub fn allow_organization_scoped_tokens(self) -> Self {
        let organization = match self.organization {
            OrganizationScope::None => OrganizationScope::Any,
            named => named,
        };
        Self {
            organization,
            ..self
        }
    }

    /// Scopes the token must carry, each as a whole word (`read` is not `readonly`).
    pub fn scopes(self, scopes: &'a [&'a str]) -> Self {
        Self { scopes, ..self }
    }

    /// A global token for any of `resources`.
    pub(crate) fn any_of(resources: &'a [String]) -> Self {
        Self {
            audience: Audience::AnyOf(resources),
            organization: OrganizationScope::None,
            scopes: &[],
        }
    }

    /// The scopes the token must carry.
    pub fn required_scopes(&self) -> &'a [&'a str] {
        self.scopes
    }
}
