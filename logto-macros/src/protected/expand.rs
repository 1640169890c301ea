//! The generated guard: a marker type holding the guard's rule, the `Guarded` extractor
//! put first in the handler's arguments, and the checks against the config.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{Ident, LitStr, ext::IdentExt, spanned::Spanned};

use super::model::{Guard, Handler};
use crate::attr::path_to_string;

/// The handler with its guard.
pub(super) fn guarded(handler: &Handler, guard: &Guard) -> TokenStream {
    let item = &handler.item;
    let name = &item.sig.ident;
    let vis = &item.vis;
    let marker = format_ident!("__logto_guard_{}", syn::ext::IdentExt::unraw(name));
    let spec = spec(handler, guard);
    // A guard that needs nothing of the config (`check::require_config`) has nothing to
    // check against one.
    let checks = guard
        .config
        .as_ref()
        .map(|config| config_checks(name, &marker, guard, config));
    let mut item = item.clone();
    // First, so the guard runs before every other extractor: a refused request never
    // has its body read.
    item.sig.inputs.insert(
        0,
        syn::parse_quote_spanned! {name.span()=>
            _: ::logto::__private::Guarded<#marker>
        },
    );
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #marker;

        impl ::logto::__private::GuardDef for #marker {
            const SPEC: &'static ::logto::__private::GuardSpec = &#spec;
        }

        #checks

        #item
    }
}

fn spec(handler: &Handler, guard: &Guard) -> TokenStream {
    let name = &handler.item.sig.ident;
    let name_str = name.to_string();
    let scopes = &guard.scopes;
    let option = |lit: &Option<LitStr>| match lit {
        Some(lit) => quote!(::core::option::Option::Some(#lit)),
        None => quote!(::core::option::Option::None),
    };
    let resource = option(&guard.resource);
    let organization = option(&guard.organization);
    let (bearer_only, redirect) = (guard.bearer_only, guard.redirect);
    let allow_organization_scoped_tokens = guard.allow_organization_scoped_tokens;
    // `line!()` spanned on the name reports the handler's line.
    let location =
        quote_spanned!(name.span()=> ::core::concat!(::core::file!(), ":", ::core::line!()));
    quote! {
        ::logto::__private::GuardSpec {
            handler: ::core::concat!(::core::module_path!(), "::", #name_str),
            location: #location,
            scopes: &[#(#scopes),*],
            resource: #resource,
            organization: #organization,
            allow_organization_scoped_tokens: #allow_organization_scoped_tokens,
            bearer_only: #bearer_only,
            redirect: #redirect,
        }
    }
}

/// `const` assertions against the named config: `cargo check` evaluates a free `const`
/// item (unlike an assertion in a generic impl, which waits for monomorphization), so a
/// guard the config cannot satisfy fails the build. The rule and its wording are the
/// runtime's (`check_guard_part`, the one `Guard` layers run when built); each part of the
/// guard is judged in its own item, which panics on the argument at fault.
fn config_checks(
    handler: &Ident,
    marker: &Ident,
    guard: &Guard,
    config: &syn::Path,
) -> TokenStream {
    let config_name = format!("`{}`", path_to_string(config));
    let attribute = format!("the #[logto::config] of {config_name}");
    let subject = format!("the guard of `{}`", handler.unraw());
    // What the config requests, read through a bound on the user's token: a type that
    // is no config fails there, with rustc's "the trait `Config` is not implemented"
    // and its hints, once (every check spells the bound alike, so rustc reports it once).
    let requested = quote_spanned! {config.span()=>
        const fn config<C: ::logto::Config>() -> ::logto::__private::GuardRequested<'static> {
            ::logto::__private::GuardRequested::of::<C>()
        }
    };
    let check = |span: Span, part: TokenStream| {
        // An item, not a local binding: it resolves from the user's span even when the
        // attribute comes out of their `macro_rules!`.
        let panic = quote_spanned! {span=>
            ::core::panic!("{}", MESSAGE.as_str())
        };
        quote! {
            const _: () = {
                #requested
                const MESSAGE: ::logto::__private::GuardMessage = ::logto::__private::check_guard_part(
                    <#marker as ::logto::__private::GuardDef>::SPEC,
                    config::<#config>(),
                    ::logto::__private::GuardPart::#part,
                    #subject,
                    ::logto::__private::ConfigName { name: #config_name, attribute: #attribute },
                );
                if !MESSAGE.is_empty() {
                    #panic
                }
            };
        }
    };
    let mut checks: Vec<TokenStream> = guard
        .scopes
        .iter()
        .enumerate()
        .map(|(index, scope)| check(scope.span(), quote!(Scope(#index))))
        .collect();
    // Where a guard without a resource or organization would fail: on what it does
    // name, else on the config.
    let resource_span = guard
        .resource
        .as_ref()
        .map(LitStr::span)
        .or_else(|| guard.scopes.first().map(LitStr::span))
        .unwrap_or_else(|| config.span());
    checks.push(check(resource_span, quote!(Resource)));
    let organization_span = guard
        .organization
        .as_ref()
        .map_or_else(|| config.span(), LitStr::span);
    checks.push(check(organization_span, quote!(Organization)));
    quote!(#(#checks)*)
}
