//! A checked claims type: for each field, which claim it reads and how to decode it.

use proc_macro2::{Span, TokenStream};
use syn::Ident;

use crate::{
    catalog::{Presence, Source},
    scopes,
};

/// A struct whose every field passed the checks.
pub(super) struct ClaimsType {
    /// The struct's name.
    pub ident: Ident,
    /// Its fields, in order.
    pub fields: Vec<ClaimField>,
    /// The config checked at compile time to request [`Self::scopes`].
    pub config: Option<syn::Path>,
}

/// A field and the claim it reads.
pub(super) struct ClaimField {
    /// The field's name.
    pub ident: Ident,
    /// The claim's name in the JSON.
    pub claim: String,
    /// The scope that grants the claim.
    pub scope: String,
    /// Where Logto sends it.
    pub source: Source,
    /// What an absent claim becomes.
    pub presence: Presence,
    /// The type to deserialize (inside `Option`/`Vec`): the catalog's own type for
    /// named types, so a look-alike (a local `struct Address`) fails to compile.
    pub value: TokenStream,
    /// The field type's span: decoding errors (a custom type that is not
    /// `DeserializeOwned`, a look-alike type) land there.
    pub span: Span,
}

impl ClaimsType {
    /// The scopes to request, in field order, each once, without the ones every sign-in
    /// requests (`openid`, `profile`), like `Config::SCOPES`.
    pub(super) fn scopes(&self) -> Vec<&str> {
        let mut scopes: Vec<&str> = Vec::new();
        for field in &self.fields {
            let scope = field.scope.as_str();
            if !scopes::is_always_requested(scope) && !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        scopes
    }

    /// Each scope of [`Self::scopes`] with the first field that needs it.
    pub(super) fn scope_fields(&self) -> Vec<(&str, &ClaimField)> {
        let mut found: Vec<(&str, &ClaimField)> = Vec::new();
        for field in &self.fields {
            let scope = field.scope.as_str();
            if !scopes::is_always_requested(scope) && !found.iter().any(|(s, _)| *s == scope) {
                found.push((scope, field));
            }
        }
        found
    }

    /// Whether a field reads a claim only the userinfo endpoint sends.
    pub(super) fn needs_userinfo(&self) -> bool {
        self.fields
            .iter()
            .any(|field| field.source == Source::Userinfo)
    }
}
