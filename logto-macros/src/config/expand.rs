//! The generated `impl ::logto::Config`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::{
    model::{Config, Scope},
    parse::Target,
};

/// The implementation of `logto::Config` for the arguments that passed the checks.
pub(super) fn implementation(target: &Target, config: &Config) -> TokenStream {
    let ident = &target.ident;
    let scopes = config.scopes.iter().map(|scope| match scope {
        Scope::Literal(lit) => quote!(#lit),
        // The user's own path, so the compiler checks it names `UserScope` (an
        // unimported `UserScope` gets rustc's "consider importing" help) and the runtime's
        // `as_str` stays the one truth for the string.
        Scope::Variant { path, .. } => {
            quote_spanned!(path.span()=> ::logto::UserScope::as_str(#path))
        }
    });
    // The macro checked duplicates and reserved scopes with its own copy of the
    // variant-to-scope table; a runtime of another version could disagree.
    let agreements = config.scopes.iter().filter_map(|scope| match scope {
        Scope::Literal(_) => None,
        Scope::Variant { path, scope } => Some(quote_spanned! {path.span()=>
            ::core::assert!(
                ::logto::__private::str_eq(::logto::UserScope::as_str(#path), #scope),
                "logto-macros and logto-runtime disagree on a `UserScope`: use the same version of both",
            );
        }),
    });
    let resources = &config.resources;
    // A type that does not implement `Claims` fails here, on the user's token.
    let claims_scopes = config
        .claims
        .iter()
        .map(|path| quote_spanned!(path.span()=> <#path as ::logto::Claims>::SCOPES));
    let prompt = config
        .prompt
        .as_ref()
        .map(|prompt| quote!(const PROMPT: &'static ::core::primitive::str = #prompt;));
    quote! {
        const _: () = {
            #[automatically_derived]
            impl ::logto::Config for #ident {
                const SCOPES: &'static [&'static ::core::primitive::str] = &[#(#scopes),*];
                const RESOURCES: &'static [&'static ::core::primitive::str] = &[#(#resources),*];
                const CLAIMS_SCOPES: &'static [&'static [&'static ::core::primitive::str]] =
                    &[#(#claims_scopes),*];
                #prompt
            }
            #(#agreements)*
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::Errors;

    #[test]
    fn generates_the_constants() {
        let mut errors = Errors::default();
        let args = crate::config::parse::args(
            quote!(
                scopes = [UserScope::Email, "read"],
                resources = ["https://api.example.com"],
                claims = [User],
                prompt = "login consent"
            ),
            &mut errors,
        );
        let config = crate::config::check::check(args, &mut errors);
        assert!(errors.finish().is_ok());
        let target = Target {
            ident: syn::parse_quote!(Auth),
        };
        let generated = implementation(&target, &config).to_string();
        for expected in [
            "impl :: logto :: Config for Auth",
            ":: logto :: UserScope :: as_str (UserScope :: Email) , \"read\"",
            "= & [\"https://api.example.com\"]",
            "& [< User as :: logto :: Claims > :: SCOPES]",
            "const PROMPT : & 'static :: core :: primitive :: str = \"login consent\"",
        ] {
            assert!(generated.contains(expected), "{expected}\nin\n{generated}");
        }
    }
}
