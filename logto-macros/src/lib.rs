//! Procedural macros of the [`logto`](https://docs.rs/logto) crate; use them through it:
//! `#[logto::config(...)]` and `#[derive(logto::Claims)]`.
//!
//! Each macro is parse -> check -> generate, one module each, so the logic is tested
//! with `syn::parse_quote!` inputs; errors are collected, each on the token it is
//! about, and reported together beside stand-in implementations, so a mistake shows
//! up once instead of cascading.

mod attr;
mod catalog;
mod claims;
mod config;
mod doc_table;
mod errors;
mod resources;
mod scopes;
mod suggest;

use proc_macro::TokenStream;

/// Declares what an app asks of Logto at compile time, on a struct:
/// implements `logto::Config` for it.
///
/// ```rust,ignore
/// use logto::UserScope;
///
/// #[logto::config(
///     scopes = [UserScope::Email, UserScope::Organizations, "read", "write"],
///     resources = ["https://shopping.your-app.com/api"],
///     claims = [User],
///     prompt = "consent",
/// )]
/// pub struct Auth;
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
///   too, so a claim never goes missing for want of its scope.
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
/// ```rust,ignore
/// #[derive(logto::Claims, Debug)]
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
/// The generated `Claims::SCOPES` lists the scopes the fields need (without `openid` and
/// `profile`, which every sign-in requests), `NEEDS_USERINFO` is true when a field is
/// userinfo-only, and `from_claims` reads the ID token's claims merged with userinfo
/// (userinfo wins; userinfo-only claims are read from userinfo alone).
///
/// The derive rejects, with the fix in the message: unknown claims (with "did you
/// mean"), wrong types, a missing `Option`, unknown `#[claim]` keys, two fields for one
/// claim, `custom` without `scope`, tuple structs, enums, unions and generic types.
#[proc_macro_derive(Claims, attributes(claim))]
pub fn derive_claims(input: TokenStream) -> TokenStream {
    claims::derive(input.into()).into()
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
