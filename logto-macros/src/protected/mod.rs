//! `#[logto::protected(...)]`: parse the handler and the arguments, check them into a
//! [`model::Guard`], generate the guard extractor and the compile-time or startup
//! checks against the config.

mod check;
mod expand;
mod model;
mod parse;

use proc_macro2::TokenStream;

use crate::errors::Errors;

/// Expands `#[logto::protected(args)] item`. On errors, returns the handler as written
/// (so the errors stand alone, without a cascade from a half-made guard) beside them.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let handler = parse::handler(item.clone(), &mut errors);
    let args = parse::args(args, &mut errors);
    let guard = check::check(args, &mut errors);
    let handler = handler.and_then(|handler| check::handler(handler, &mut errors));
    match (errors.finish(), handler) {
        (Ok(()), Some(handler)) => expand::guarded(&handler, &guard),
        (result, _) => {
            let errors = result.err().map(syn::Error::into_compile_error);
            quote::quote! { #item #errors }
        }
    }
}

#[cfg(test)]
mod tests;
