//! Access tokens for API resources and organizations, cached in the session and
//! refreshed one at a time per session.

mod coordinator;
mod grant;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(crate) use coordinator::{CatchUp, RefreshCoordinator};
#[cfg(test)]
pub(crate) use grant::RefreshOutcome;

use crate::{
    config::{ORGANIZATIONS_RESOURCE, UserScope},
    error::{OAuthErrorCode, ProviderError, PublicMessage},
};

/// Which access token to get: for a resource, an organization, or both.
///
/// ```
/// use logto::TokenRequest;
///
/// let api = TokenRequest::resource("https://shopping.your-app.com/api");
/// let org = TokenRequest::organization("org_acme");
/// let org_api = TokenRequest::resource("https://shopping.your-app.com/api")
///     .organization_id("org_acme")
///     .force_refresh(true);
/// assert_eq!(org_api.resource_indicator(), Some("https://shopping.your-app.com/api"));
/// # let _ = (api, org);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct TokenRequest {
    resource: Option<String>,
    organization_id: Option<String>,
    force_refresh: bool,
}

impl TokenRequest {
    /// A token for an API resource (`getAccessToken` in Logto's SDKs).
    pub fn resource(resource: impl Into<String>) -> Self {
        Self {
            resource: Some(resource.into()),
            organization_id: None,
            force_refresh: false,
        }
    }

    /// An organization token (`getOrganizationToken`): `aud` is
    /// `urn:logto:organization:<id>`.
    pub fn organization(organization_id: impl Into<String>) -> Self {
        Self {
            resource: None,
            organization_id: Some(organization_id.into()),
            force_refresh: false,
        }
    }

    /// Scopes a resource token to an organization (an organization-level API token).
    pub fn organization_id(mut self, organization_id: impl Into<String>) -> Self {
        self.organization_id = Some(organization_id.into());
        self
    }

    /// Skips the cached token and asks the provider (after a role change, say).
    pub fn force_refresh(mut self, force: bool) -> Self {
        self.force_refresh = force;
        self
    }

    /// The resource indicator, if any.
    pub fn resource_indicator(&self) -> Option<&str> {
        self.resource.as_deref()
    }

    /// The organization id, if any.
    pub fn organization_indicator(&self) -> Option<&str> {
        self.organization_id.as_deref()
    }

    pub(crate) fn is_forced(&self) -> bool {
        self.force_refresh
    }

    /// The session's cache key, as Logto's SDKs key their tokens: `<resource>#<org>`.
    pub(crate) fn key(&self) -> String {
        format!(
            "{}#{}",
            self.resource.as_deref().unwrap_or_default(),
            self.organization_id.as_deref().unwrap_or_default()
        )
    }
}

/// An access token of the session, with what the provider said of it.
///
/// From [`Context::access_token`](crate::Context::access_token) and its siblings, or
/// as the extractor of a guarded handler (the token the guard judged, bearer or
/// session):
///
/// ```
/// use logto::AccessToken;
///
/// #[logto::config(scopes = ["read"], resources = ["https://shopping.your-app.com/api"])]
/// pub struct Auth;
///
/// #[logto::protected(config = Auth, scope = "read")]
/// async fn orders(token: AccessToken) -> String {
///     assert!(token.has_scope("read"));
///     format!(
///         "orders of {} for {}",
///         token.subject().unwrap_or_default(),
///         token.resource().unwrap_or_default()
///     )
/// }
/// # let _: axum::routing::MethodRouter = axum::routing::get(orders);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub(crate) token: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_at: i64,
    pub(crate) resource: Option<String>,
    pub(crate) organization_id: Option<String>,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("scopes", &self.scopes)
            .field("resource", &self.resource)
            .field("organization_id", &self.organization_id)
            .finish_non_exhaustive()
    }
}

impl AccessToken {
    /// The token, for an `Authorization: Bearer` header.
    pub fn as_str(&self) -> &str {
        &self.token
    }

    /// The granted scopes.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Whether the token carries `scope` (whole words: `read` is not `readonly`).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// When the token expires.
    pub fn expires_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.expires_at.max(0) as u64)
    }

    /// The resource it is for, if any.
    pub fn resource(&self) -> Option<&str> {
        self.resource.as_deref()
    }

    /// The organization it is for, if any.
    pub fn organization_id(&self) -> Option<&str> {
        self.organization_id.as_deref()
    }

    /// The claims of the token, when it is a JWT (Logto's resource and organization
    /// tokens are): verified for a bearer token a guard accepted, as received from the
    /// provider for a session's token. Decoded on each call.
    pub fn claims(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        crate::oidc::jwt_payload(&self.token)
    }

    /// The user the token was issued to (`sub`).
    pub fn subject(&self) -> Option<String> {
        self.claim_str("sub")
    }

    /// The application the token was issued to (`client_id`): for an API, which app
    /// is calling.
    pub fn client_id(&self) -> Option<String> {
        self.claim_str("client_id")
    }

    fn claim_str(&self, name: &str) -> Option<String> {
        self.claims()?.get(name)?.as_str().map(str::to_owned)
    }
}

/// Why no access token could be had.
///
/// It is an axum response (401, 403, 502, 503, ... with `{"error",
/// "error_description"}`), so a handler may return it as is:
///
/// ```
/// use logto::{Context, TokenError};
///
/// async fn call_api(ctx: Context) -> Result<String, TokenError> {
///     match ctx.access_token("https://shopping.your-app.com/api").await {
///         Ok(token) => Ok(format!("{} scopes", token.scopes().len())),
///         Err(TokenError::SignedOut | TokenError::SessionEnded) => Ok("sign in first".into()),
///         Err(other) => Err(other), // logged, answered in the client's terms
///     }
/// }
/// # let _: axum::routing::MethodRouter = axum::routing::get(call_api);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// No live session.
    #[error("not signed in")]
    SignedOut,
    /// The session has no refresh token (the sign-in did not get `offline_access`).
    #[error(
        "the session has no refresh token: sign in again (with prompt=consent for offline_access)"
    )]
    NoRefreshToken,
    /// The provider refused the refresh token (`invalid_grant`): revoked, expired or
    /// consumed. The session has ended; the user is signed out.
    #[error("the session has ended at the provider: sign in again")]
    SessionEnded,
    /// The resource is not in the config: a refresh for it would fail after the
    /// provider consumed the refresh token, so none is sent.
    #[error("the resource `{0}` is not configured: add it to `resources` in #[logto::config]")]
    UnknownResource(String),
    /// Organization tokens need the organizations scope at sign-in.
    #[error(
        "organization tokens need the `urn:logto:scope:organizations` scope: add `UserScope::Organizations` to `scopes` in #[logto::config]"
    )]
    OrganizationsNotRequested,
    /// The organization id is empty, too long, or has characters Logto's ids never
    /// have (taken from a request, it was the client's to get right).
    #[error("`{0:.64}` is no organization id")]
    InvalidOrganizationId(String),
    /// The provider failed or refused.
    #[error(transparent)]
    Provider(ProviderError),
    /// The session store failed.
    #[error(transparent)]
    Store(crate::store::StoreError),
}

impl TokenError {
    /// What a client is told. The details (the resource the config lacks, the
    /// provider's answer, the store's message) go to the log.
    pub fn public_message(&self) -> PublicMessage {
        match self {
            Self::SignedOut => PublicMessage::fixed("unauthorized", "sign in first"),
            Self::NoRefreshToken => PublicMessage::fixed(
                "unauthorized",
                "the session has no refresh token: sign in again",
            ),
            Self::SessionEnded => PublicMessage::fixed(
                "unauthorized",
                "the session has ended at the provider: sign in again",
            ),
            Self::UnknownResource(_) | Self::OrganizationsNotRequested => PublicMessage::fixed(
                "server_error",
                "the app asked for an access token its configuration cannot get",
            ),
            Self::InvalidOrganizationId(_) => {
                PublicMessage::fixed("invalid_request", "the organization id is not valid")
            }
            Self::Provider(error) => match provider_refusal(error) {
                Some(refusal) => refusal.1,
                None => error.public_message(),
            },
            Self::Store(error) => error.public_message(),
        }
    }

    pub(crate) fn from_provider(error: ProviderError) -> Self {
        match &error {
            ProviderError::OAuth(oauth) if oauth.code == OAuthErrorCode::InvalidGrant => {
                Self::SessionEnded
            }
            _ => Self::Provider(error),
        }
    }
}

/// The provider's refusals of an access token that are answered with a 4xx on purpose:
/// the user may not have this token (403). `invalid_grant` never gets here: it ends the
/// session ([`TokenError::SessionEnded`], 401). Any other code is not the client's
/// fault (a misconfigured client, an unknown resource, a provider's bug): 502.
pub(crate) fn provider_refusal(error: &ProviderError) -> Option<(http::StatusCode, PublicMessage)> {
    let ProviderError::OAuth(oauth) = error else {
        return None;
    };
    let message = match oauth.code {
        OAuthErrorCode::AccessDenied => PublicMessage::fixed(
            "access_denied",
            "the provider refused this access token to the user (not a member of the organization, or no role that grants it)",
        ),
        OAuthErrorCode::InsufficientScope => PublicMessage::fixed(
            "insufficient_scope",
            "the provider refused this access token: the user lacks a scope it needs",
        ),
        _ => return None,
    };
    Some((http::StatusCode::FORBIDDEN, message))
}

/// Refuses what the provider would refuse only after consuming the refresh token.
/// The longest organization id accepted: Logto's are 21 characters.
pub(crate) const MAX_ORGANIZATION_ID_LEN: usize = 128;

/// Logto's organization ids are short runs of letters and digits. Anything else
/// (spaces, `#`, `/`, control characters, a kilobyte of text) is refused before it
/// reaches the provider or the session's token cache.
pub(crate) fn is_organization_id(id: &str) -> bool {
    (1..=MAX_ORGANIZATION_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Whether this client can ask for the token of `request`: a configured resource, an
/// organization id of Logto's shape (never empty: it would key the session's global
/// token), and organizations requested.
pub(crate) fn check_request(
    settings: &crate::settings::Settings,
    request: &TokenRequest,
) -> Result<(), TokenError> {
    if let Some(resource) = &request.resource
        && (resource == ORGANIZATIONS_RESOURCE || !settings.knows_resource(resource))
    {
        return Err(TokenError::UnknownResource(resource.clone()));
    }
    if let Some(organization_id) = &request.organization_id
        && !is_organization_id(organization_id)
    {
        return Err(TokenError::InvalidOrganizationId(organization_id.clone()));
    }
    if request.organization_id.is_some()
        && !settings
            .scopes
            .iter()
            .any(|s| s == UserScope::Organizations.as_str())
    {
        return Err(TokenError::OrganizationsNotRequested);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organization_ids_logto_never_issues_are_refused_before_any_lookup() {
        let settings = crate::settings::tests::builder().validate().unwrap();
        let api = "https://api.example.com";
        for id in [
            "",
            " ",
            "org#1",
            "org/1",
            &"a".repeat(MAX_ORGANIZATION_ID_LEN + 1),
        ] {
            for request in [
                TokenRequest::organization(id),
                TokenRequest::resource(api).organization_id(id),
            ] {
                assert!(
                    matches!(
                        check_request(&settings, &request),
                        Err(TokenError::InvalidOrganizationId(_))
                    ),
                    "{id:?}"
                );
            }
        }
        // An empty id would have keyed the session's global token.
        assert_eq!(
            TokenRequest::resource(api).organization_id("").key(),
            TokenRequest::resource(api).key()
        );
        assert!(check_request(&settings, &TokenRequest::organization("org_acme-1.x")).is_ok());
        assert!(check_request(&settings, &TokenRequest::resource(api)).is_ok());
    }
}
