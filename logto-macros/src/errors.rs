//! Collects every error of one macro call, so users see them all at once, each on the
//! token it is about.

use std::fmt::Display;

use quote::ToTokens;

/// Accumulated errors of one macro call (serde's `Ctxt`, without the drop bomb: a macro
/// must not panic, so [`Errors::finish`] is `#[must_use]` instead).
#[derive(Default)]
pub(crate) struct Errors {
    combined: Option<syn::Error>,
}

impl Errors {
    /// Records an error.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.combined {
            Some(combined) => combined.combine(error),
            None => self.combined = Some(error),
        }
    }

    /// Records an error spanning `tokens`: all of them are underlined, not only the first.
    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records the error of `result`, if any, and returns its value.
    pub(crate) fn take<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    /// `Ok(())` when no error was recorded, else all of them in one error.
    #[must_use = "dropping the errors would hide them from the user"]
    pub(crate) fn finish(self) -> syn::Result<()> {
        self.combined.map_or(Ok(()), Err)
    }
}
