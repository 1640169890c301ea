//! `#[logto::config(...)]`: parse the arguments, check them into a [`model::Config`],
//! generate the `logto::Config` implementation.

mod check;
mod expand;
mod model;
mod parse;

use proc_macro2::TokenStream;

use crate::errors::Errors;

/// Expands `#[logto::config(args)] item`. Always returns the item; on errors also a
/// stand-in implementation (so uses of the config do not pile up more errors) and the
/// errors themselves.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let target = parse::target(item.clone(), &mut errors);
    let args = parse::args(args, &mut errors);
    let config = check::check(args, &mut errors);
    match (target, errors.finish()) {
        (Some(target), Ok(())) => {
            let implementation = expand::implementation(&target, &config);
            quote::quote! { #item #implementation }
        }
        (target, Err(error)) => {
            let fallback = target.as_ref().map(expand::fallback);
            let errors = error.into_compile_error();
            // Re-emit the item as written (not as parsed), so it survives even when it
            // is not a struct.
            quote::quote! { #item #fallback #errors }
        }
        (None, Ok(())) => item,
    }
}
