//! `#[derive(Claims)]`: parse the struct, check its fields against the claim catalog
//! into a [`model::ClaimsType`], generate `logto::Claims` and the axum extractors.

mod check;
mod expand;
mod model;
mod parse;
mod shape;

use proc_macro2::TokenStream;
use syn::DeriveInput;

use crate::errors::Errors;

/// Expands `#[derive(Claims)]` on `input`. On errors, emits them with stand-in
/// implementations (unless the type is generic, where a stand-in would add errors).
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.into_compile_error(),
    };
    let mut errors = Errors::default();
    let generic = !input.generics.params.is_empty();
    let Some(parsed) = parse::input(&input, &mut errors) else {
        let fallback = (!generic).then(|| expand::fallback(&input.ident));
        let errors = errors.finish().err().map(syn::Error::into_compile_error);
        return quote::quote! { #fallback #errors };
    };
    let claims = check::check(parsed, &mut errors);
    match errors.finish() {
        Ok(()) => expand::implementation(&claims),
        Err(error) => {
            let fallback = (!generic).then(|| expand::fallback(&input.ident));
            let errors = error.into_compile_error();
            quote::quote! { #fallback #errors }
        }
    }
}

#[cfg(test)]
mod tests;
