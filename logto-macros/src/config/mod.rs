//! `#[logto::config(...)]`: parse the arguments, check them into a [`model::Config`],
//! generate the `logto::Config` implementation.

mod check;
mod expand;
mod model;
mod parse;

use proc_macro2::TokenStream;

use crate::errors::Errors;

/// Expands `#[logto::config(args)] item`. Always returns the item as written; on errors
/// also the implementation built from the arguments that passed (so uses of the config,
/// and of the `UserScope` paths it names, report nothing more) and the errors themselves.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let target = parse::target(item.clone(), &mut errors);
    let args = parse::args(args, &mut errors);
    let config = check::check(args, &mut errors);
    let implementation = target
        .as_ref()
        .map(|target| expand::implementation(target, &config));
    let errors = errors.finish().err().map(syn::Error::into_compile_error);
    quote::quote! { #item #implementation #errors }
}
