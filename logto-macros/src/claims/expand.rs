//! The generated `impl ::logto::Claims` and the axum extractor impls.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Ident, spanned::Spanned};

use super::model::{ClaimField, ClaimsType};
use crate::catalog::{Presence, Source};

/// `serde_json::Map<String, Value>`, the raw claims of a token or a userinfo answer.
fn json_map() -> TokenStream {
    quote! {
        ::logto::__private::serde_json::Map<
            ::std::string::String,
            ::logto::__private::serde_json::Value,
        >
    }
}

/// The implementations for a claims type that passed every check.
pub(super) fn implementation(claims: &ClaimsType) -> TokenStream {
    let ident = &claims.ident;
    let scopes = claims.scopes();
    let needs_userinfo = claims.needs_userinfo();
    let map = json_map();
    let fields = claims.fields.iter().map(decode_field);
    let extractors = extractors(ident);
    let config_checks = claims
        .config
        .as_ref()
        .map(|config| config_checks(claims, config));
    quote! {
        #config_checks
        const _: () = {
            #[automatically_derived]
            impl ::logto::Claims for #ident {
                const SCOPES: &'static [&'static ::core::primitive::str] = &[#(#scopes),*];
                const NEEDS_USERINFO: ::core::primitive::bool = #needs_userinfo;

                fn from_claims(
                    id_token: &#map,
                    userinfo: ::core::option::Option<&#map>,
                ) -> ::core::result::Result<Self, ::logto::ClaimError> {
                    let __claims = ::logto::__private::RawClaims::new(id_token, userinfo);
                    ::core::result::Result::Ok(Self { #(#fields,)* })
                }
            }
            #extractors
        };
    }
}

/// One check per scope against the named config, failing the build on the first field
/// that needs a scope the config does not request. The check is a trait bound rather
/// than a `const` panic so that rustc reports it in our words (`on_unimplemented`), not
/// as "evaluation panicked"; the scope and the names are known here, so the words are
/// complete.
fn config_checks(claims: &ClaimsType, config: &syn::Path) -> TokenStream {
    let ty = &claims.ident;
    let config_name = crate::attr::path_to_string(config);
    let checks = claims.scope_fields().into_iter().map(|(scope, field)| {
        let message = format!(
            "`{ty}` reads claims of the scope `{scope}`, which `{config_name}` never requests"
        );
        let label = format!("without `{scope}`, this field is always empty");
        let note = format!(
            "add `{ty}` to `claims = [...]` in the #[logto::config] of `{config_name}`, which \
             requests every scope its fields need"
        );
        // Spanned on the field, so the error points at what would be empty; the bound on
        // `Config` is spanned on the user's path, so a type that is no config says so.
        let requested = quote_spanned! {config.span()=>
            ::logto::__private::requested_of::<#config>()
        };
        let field_span = field.ident.span();
        let check = quote_spanned! {field_span=>
            const _: () = __logto_requested::<__LogtoCheck<{ #requested.scope(#scope) }>>();
        };
        quote! {
            const _: () = {
                #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
                trait __LogtoScopeRequested {}
                struct __LogtoCheck<const REQUESTED: bool>;
                impl __LogtoScopeRequested for __LogtoCheck<true> {}
                const fn __logto_requested<T: __LogtoScopeRequested>() {}
                #check
            };
        }
    });
    // The config is named even when no field needs a scope: a misspelled or wrong type
    // is an error then too.
    let named = quote_spanned! {config.span()=>
        const _: ::logto::__private::GuardRequested<'static> =
            ::logto::__private::requested_of::<#config>();
    };
    quote!(#named #(#checks)*)
}

/// `field: __claims.optional::<T>("claim", source)?`, spanned at the field's type so a
/// type error (a custom type that is not `DeserializeOwned`, a look-alike of a catalog
/// type) lands on the user's code.
fn decode_field(field: &ClaimField) -> TokenStream {
    let ClaimField {
        ident,
        claim,
        value,
        span,
        ..
    } = field;
    let method = match field.presence {
        Presence::Always => quote_spanned!(*span=> required),
        Presence::Optional => quote_spanned!(*span=> optional),
        Presence::List => quote_spanned!(*span=> list),
    };
    let source = match field.source {
        Source::IdToken => quote!(::logto::__private::ClaimSource::Merged),
        Source::Userinfo => quote!(::logto::__private::ClaimSource::Userinfo),
    };
    quote_spanned! {*span=>
        #ident: __claims.#method::<#value>(#claim, #source)?
    }
}

/// `FromRequestParts` and `OptionalFromRequestParts`: a handler takes `User` (signed
/// in, else the runtime's rejection) or `Option<User>`.
fn extractors(ident: &Ident) -> TokenStream {
    let axum = quote!(::logto::__private::axum);
    let parts = quote!(#axum::http::request::Parts);
    quote! {
        #[automatically_derived]
        impl<__S> #axum::extract::FromRequestParts<__S> for #ident
        where
            __S: ::core::marker::Send + ::core::marker::Sync,
        {
            type Rejection = ::logto::__private::Rejection;

            fn from_request_parts(
                parts: &mut #parts,
                state: &__S,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<Self, Self::Rejection>,
            > + ::core::marker::Send {
                ::logto::__private::extract_claims::<Self, __S>(parts, state)
            }
        }

        #[automatically_derived]
        impl<__S> #axum::extract::OptionalFromRequestParts<__S> for #ident
        where
            __S: ::core::marker::Send + ::core::marker::Sync,
        {
            type Rejection = ::logto::__private::Rejection;

            fn from_request_parts(
                parts: &mut #parts,
                state: &__S,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<
                    ::core::option::Option<Self>,
                    Self::Rejection,
                >,
            > + ::core::marker::Send {
                ::logto::__private::extract_optional_claims::<Self, __S>(parts, state)
            }
        }
    }
}

/// Stand-in implementations emitted beside errors, so handlers and `Context<User>` that
/// use the type report only the derive's mistakes.
pub(super) fn fallback(ident: &Ident) -> TokenStream {
    let map = json_map();
    let extractors = extractors(ident);
    quote! {
        const _: () = {
            impl ::logto::Claims for #ident {
                const SCOPES: &'static [&'static ::core::primitive::str] = &[];
                const NEEDS_USERINFO: ::core::primitive::bool = false;

                fn from_claims(
                    _: &#map,
                    _: ::core::option::Option<&#map>,
                ) -> ::core::result::Result<Self, ::logto::ClaimError> {
                    // Never runs: the derive's errors stop the build.
                    ::core::unreachable!()
                }
            }
            #extractors
        };
    }
}
