//! Procedural macros of the [`logto`](https://docs.rs/logto) crate; use them through it:
//! `#[logto::config(...)]`, `#[derive(logto::Claims)]` and `#[logto::protected]`.
//!
//! Each macro is parse -> check -> generate, one module each, so the logic is tested
//! with `syn::parse_quote!` inputs; errors are collected, each on the token it is
//! about, and reported together beside stand-in implementations, so a mistake shows
//! up once instead of cascading. Attribute arguments are read by darling `FromMeta`
//! derives, on the key constants of `attr.rs`.

mod attr;
mod catalog;
mod claims;
mod config;
mod doc_table;
mod errors;
mod protected;
mod resources;
mod scopes;
mod suggest;

use proc_macro::TokenStream;

/// Declares what an app asks of Logto at compile time, on a struct:
/// implements `logto::Config` for it.
///
/// ```rust
/// use logto::{Config, UserScope};
///
/// #[logto::config(
///     scopes = [UserScope::Email, UserScope::Organizations, "read", "write"],
///     resources = ["https://shopping.your-app.com/api"],
///     claims = [User],
///     prompt = "consent",
/// )]
/// pub struct Auth;
///
/// #[derive(logto::Claims)]
/// #[claims(config = Auth)]
/// pub struct User {
///     pub sub: String,
///     pub phone_number: Option<String>,
/// }
///
/// assert_eq!(
///     Auth::SCOPES,
///     ["email", "urn:logto:scope:organizations", "read", "write"]
/// );
/// // `User`'s scopes are requested too.
/// assert_eq!(Auth::CLAIMS_SCOPES, [&["phone"][..]]);
/// ```
///
/// Every argument is optional:
///
/// - `scopes = [...]`: string literals or `UserScope` variants. Each must be a valid scope
///   token (RFC 6749 §3.3: no space, `"` or `\`) and appear once. `openid`,
///   `offline_access` and `profile` may be written but are redundant: every sign-in
///   requests them, so they are left out of `Config::SCOPES`.
/// - `resources = [...]`: API resource indicators, absolute URIs without a fragment
///   (RFC 8707), each once. `urn:logto:resource:organizations` is reserved: it is added
///   whenever `UserScope::Organizations` is requested.
/// - `claims = [...]`: claims types (`#[derive(Claims)]`) whose scopes sign-in requests
///   too, so a claim never goes missing for want of its scope. Each such type names
///   this config back (`#[claims(config = Auth)]`), and the build checks the two agree.
/// - `prompt = "..."`: space-separated `none`, `login`, `consent`, `select_account`
///   (default `consent`, which Logto needs to issue a refresh token).
///
/// Mistakes are compile errors on the offending token, saying what to write instead.
/// Secrets and deployment URLs are not arguments: they come from the environment or
/// the builder at run time.
#[proc_macro_attribute]
pub fn config(args: TokenStream, item: TokenStream) -> TokenStream {
    config::expand(args.into(), item.into()).into()
}

/// Derives `logto::Claims` (and axum's `FromRequestParts`/`OptionalFromRequestParts`)
/// for a struct whose fields are Logto claims.
///
/// ```rust
/// use logto::{Claims as _, UserScope};
///
/// #[logto::config(claims = [User])]
/// pub struct Auth;
///
/// #[derive(logto::Claims, Debug)]
/// #[claims(config = Auth)] // checked: `Auth` requests every scope the fields need
/// pub struct User {
///     pub sub: String,
///     pub name: Option<String>,
///     pub email: Option<String>,
///     pub email_verified: Option<bool>,
///     pub created_at: Option<logto::UnixMillis>,
///     pub organizations: Vec<String>,
///     pub organization_roles: Vec<logto::OrganizationRole>,
///     pub custom_data: Option<serde_json::Value>, // userinfo only
///     #[claim(rename = "picture")]
///     pub avatar: Option<String>,
///     #[claim(custom, scope = "billing", userinfo)]
///     pub plan: Option<String>,
/// }
///
/// assert_eq!(
///     User::SCOPES,
///     [
///         "email",
///         "urn:logto:scope:organizations",
///         "urn:logto:scope:organization_roles",
///         "custom_data",
///         "billing",
///     ]
/// );
/// assert!(User::NEEDS_USERINFO);
/// ```
///
/// Each field names a claim of Logto's catalog (the table in the docs of the
/// `logto::Claims` trait gives each claim's types, scope and source), by its name or by
/// `#[claim(rename = "...")]`. The derive checks its type: a claim that may be absent is
/// an `Option<_>`, a list is a `Vec<_>` (empty when absent), and only `sub` is always
/// there; `created_at`/`updated_at` are milliseconds. Types are read by their spelling,
/// so write them as the table does (aliases are not seen through).
///
/// A claim outside the catalog is declared with
/// `#[claim(custom, scope = "<scope that grants it>")]`, plus `userinfo` when only the
/// userinfo endpoint sends it; its type is `Option<T>` or `Vec<T>` for any
/// `T: DeserializeOwned`.
///
/// `#[claims(config = Auth)]` names the config whose sign-in requests the scopes the
/// fields need, and the build fails, on the field, when it does not (list the type in
/// the config's `claims = [...]`): without its scope, the provider leaves a claim out
/// and its field would always be empty. It is required when a field needs a scope
/// beyond `openid` and `profile`, which every sign-in requests; a type used with
/// another client than its config's is checked again when extracted (a 500, with an
/// error in the log naming the type and the scopes, rather than empty fields).
///
/// The generated `Claims::SCOPES` lists the scopes the fields need (without `openid` and
/// `profile`, which every sign-in requests), `NEEDS_USERINFO` is true when a field is
/// userinfo-only, and `from_claims` reads the ID token's claims merged with userinfo
/// (userinfo wins; userinfo-only claims are read from userinfo alone).
///
/// The derive rejects, with the fix in the message: unknown claims (with "did you
/// mean"), wrong types, a missing `Option`, unknown `#[claim]` keys, two fields for one
/// claim, `custom` without `scope`, a scope the config does not request or a missing
/// `#[claims(config = ...)]`, tuple structs, enums, unions and generic types.
#[proc_macro_derive(Claims, attributes(claim, claims))]
pub fn derive_claims(input: TokenStream) -> TokenStream {
    claims::derive(input.into()).into()
}

/// Guards an axum handler: a signed-in session, or a bearer access token, with the
/// scopes and audience the arguments name.
///
/// ```rust
/// use axum::{Json, Router, extract::Path, http::StatusCode, response::Html, routing::get};
///
/// #[logto::config(
///     scopes = [logto::UserScope::Organizations, "read", "read:members"],
///     resources = ["https://shopping.your-app.com/api"],
/// )]
/// pub struct Auth;
///
/// #[logto::config(scopes = ["read", "write"], resources = ["https://shopping.your-app.com/api"])]
/// pub struct Api;
///
/// #[derive(logto::Claims, serde::Serialize)]
/// pub struct User {
///     pub sub: String,
/// }
///
/// // Signed in (a session, or any valid bearer token for the app's resources).
/// #[logto::protected]
/// async fn profile(user: User) -> Json<User> { Json(user) }
///
/// // The access token for the resource (the only configured one here) carries `read`:
/// // the session's token, refreshed as needed, or the request's bearer token.
/// #[logto::protected(config = Auth, scope = "read")]
/// async fn orders(token: logto::AccessToken) -> String { token.scopes().join(" ") }
///
/// // An API: bearer tokens only, checked against `Api` at compile time.
/// #[logto::protected(config = Api, scope = ["read", "write"], bearer_only)]
/// async fn edit(token: logto::AccessToken) -> StatusCode { StatusCode::NO_CONTENT }
///
/// // An organization's token, for the organization in the path (`/orgs/{org_id}/...`).
/// #[logto::protected(config = Auth, organization = "org_id", scope = "read:members")]
/// async fn members(Path(org_id): Path<String>) -> String { org_id }
///
/// // Global tokens, and tokens for the resource scoped to any organization: the
/// // handler reads which organization (if any) granted the scope.
/// #[logto::protected(config = Auth, scope = "read", allow_organization_scoped_tokens)]
/// async fn reports(token: logto::AccessToken) -> String {
///     token.organization_id().unwrap_or("global").to_owned()
/// }
///
/// // A page: signed out, redirect to sign-in and back here.
/// #[logto::protected(redirect)]
/// async fn dashboard() -> Html<&'static str> { Html("...") }
///
/// // Guarded handlers are axum handlers like any other.
/// let _app: Router = Router::new()
///     .route("/profile", get(profile))
///     .route("/orders", get(orders).put(edit))
///     .route("/orgs/{org_id}/members", get(members))
///     .route("/reports", get(reports))
///     .route("/dashboard", get(dashboard));
/// ```
///
/// Arguments, all optional:
///
/// - `scope = "read"` or `scope = ["read", "write"]`: scopes the access token must
///   carry, each a whole word (`read` is not `readonly`).
/// - `resource = "https://..."`: the API resource (RFC 8707) the token is for; needed
///   with scopes when the config requests several resources.
/// - `organization = "org_id"`: the path parameter holding an organization id; the
///   token must be that organization's (`aud` `urn:logto:organization:<id>`, or with
///   `resource`, an organization-scoped API token).
/// - `config = Auth`: the `#[logto::config]` to check the guard against at compile
///   time: the build fails, on the argument at fault, when the config does not request
///   the guard's scope, resource or organizations. Required with `scope`, `resource`
///   or `organization`; a guard that asks only for a signed-in user needs none.
/// - `bearer_only`: an API guard; cookies are ignored.
/// - `redirect`: signed out, answer 303 to sign-in and back instead of 401.
/// - `allow_organization_scoped_tokens`: also accept bearer tokens for the resource
///   that are scoped to an organization (an `organization_id` claim). Without it (and
///   without `organization`), a guard accepts only **global** tokens and refuses those
///   with 401 `invalid_token`, "the token is scoped to an organization; this endpoint
///   accepts only global tokens": their scopes come from the user's roles in that
///   organization (a user who is admin of their own organization has admin scopes
///   there), not from app-wide roles. Opt in only where the handler checks
///   `AccessToken::organization_id` itself. Not with `organization`, which names it.
///
/// A request with `Authorization: Bearer` is judged by its token alone; answers follow
/// RFC 6750: no credentials 401 with `WWW-Authenticate: Bearer`, a malformed header 400
/// `invalid_request`, an invalid, expired or foreign token 401 `invalid_token`, a
/// missing scope 403 `insufficient_scope`. The guard runs before the handler's other
/// extractors (a refused request's body is never read), and a handler may take
/// `logto::AccessToken`: the token the guard judged.
///
/// The macro adds a first argument to the handler and a hidden marker type beside it,
/// so it goes on free `async fn`s. Mistakes are compile errors saying the fix:
/// unknown arguments (with "did you mean"), empty or malformed scopes, resources that
/// are not absolute URIs, a need without `config`, or one the config does not meet,
/// `redirect` with `bearer_only`, `allow_organization_scoped_tokens` with
/// `organization`, a handler that is not `async`.
#[proc_macro_attribute]
pub fn protected(args: TokenStream, item: TokenStream) -> TokenStream {
    protected::expand(args.into(), item.into()).into()
}

/// The claims table of the `logto::Claims` docs, as a string literal rendered from the
/// catalog the derive checks against: `#[doc = logto_macros::__claims_doc_table!()]`.
#[doc(hidden)]
#[proc_macro]
pub fn __claims_doc_table(input: TokenStream) -> TokenStream {
    if !input.is_empty() {
        return syn::Error::new(
            proc_macro2::Span::call_site(),
            "`__claims_doc_table!` takes no arguments",
        )
        .into_compile_error()
        .into();
    }
    let table = doc_table::render();
    quote::quote!(#table).into()
}
