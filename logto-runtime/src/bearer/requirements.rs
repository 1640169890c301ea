//! What an endpoint asks of an access token.

/// Whom a token must be for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience<'a> {
    /// `aud` names the API resource.
    Resource(&'a str),
    /// An organization token: `aud` is `urn:logto:organization:<id>`.
    Organization(&'a str),
    /// An organization-scoped API token: `aud` names the resource and the
    /// `organization_id` claim the organization.
    OrganizationResource {
        resource: &'a str,
        organization: &'a str,
    },
    /// Any of the app's resources (a guard that names none).
    AnyOf(&'a [String]),
}

/// What an endpoint asks of an access token: its audience and its scopes.
///
/// ```
/// use logto_runtime::bearer::Requirements;
///
/// let orders = Requirements::resource("https://shopping.your-app.com/api").scopes(&["read"]);
/// let members = Requirements::organization("org_acme").scopes(&["read:members"]);
/// let org_api = Requirements::resource("https://shopping.your-app.com/api").organization_id("org_acme");
/// # let _ = (orders, members, org_api);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Requirements<'a> {
    pub(crate) audience: Audience<'a>,
    pub(crate) scopes: &'a [&'a str],
}

impl<'a> Requirements<'a> {
    /// A token for an API resource: `aud` names it.
    pub fn resource(resource: &'a str) -> Self {
        Self {
            audience: Audience::Resource(resource),
            scopes: &[],
        }
    }

    /// An organization token: `aud` is `urn:logto:organization:<id>`.
    pub fn organization(organization_id: &'a str) -> Self {
        Self {
            audience: Audience::Organization(organization_id),
            scopes: &[],
        }
    }

    /// Narrows a resource token to one organization: its `organization_id` claim must
    /// name it (Logto's organization-scoped API tokens).
    pub fn organization_id(self, organization_id: &'a str) -> Self {
        let audience = match self.audience {
            Audience::Resource(resource) | Audience::OrganizationResource { resource, .. } => {
                Audience::OrganizationResource {
                    resource,
                    organization: organization_id,
                }
            }
            Audience::Organization(_) | Audience::AnyOf(_) => {
                Audience::Organization(organization_id)
            }
        };
        Self { audience, ..self }
    }

    /// Scopes the token must carry, each as a whole word (`read` is not `readonly`).
    pub fn scopes(self, scopes: &'a [&'a str]) -> Self {
        Self { scopes, ..self }
    }

    /// A token for any of `resources`.
    pub(crate) fn any_of(resources: &'a [String]) -> Self {
        Self {
            audience: Audience::AnyOf(resources),
            scopes: &[],
        }
    }

    /// The scopes the token must carry.
    pub fn required_scopes(&self) -> &'a [&'a str] {
        self.scopes
    }
}
