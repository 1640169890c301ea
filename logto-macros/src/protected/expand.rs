//! The generated guard: a marker type holding the guard's rule, the `Guarded` extractor
//! put first in the handler's arguments, and the checks against the config.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::{LitStr, spanned::Spanned};

use super::model::{Guard, Handler};
use crate::{attr::path_to_string, scopes::ORGANIZATIONS};

/// The handler with its guard.
pub fn guarded(handler: &Handler, guard: &Guard) -> TokenStream {
    let item = &handler.item;
    let name = &item.sig.ident;
    let vis = &item.vis;
    let marker = format_ident!("__logto_guard_{}", syn::ext::IdentExt::unraw(name));
    let spec = spec(handler, guard);
    let checks = match &guard.config {
        Some(config) => config_checks(&name.to_string(), guard, config),
        // No config in sight: the guard registers itself, and building the client
        // checks it before the first request.
        None => quote! {
            ::logto::__private::inventory::submit! {
                ::logto::__private::Registered(
                    <#marker as ::logto::__private::GuardDef>::SPEC
                )
            }
        },
    };
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
/// guard the config cannot satisfy fails the build, on the argument at fault.
fn config_checks(handler: &str, guard: &Guard, config: &syn::Path) -> TokenStream {
    let config_name = path_to_string(config);
    let mut checks = Vec::new();
    for scope in &guard.scopes {
        let value = scope.value();
        let message = format!(
            "the guard of `{handler}` requires the scope `{value}`, which `{config_name}` never \
             requests, so no access token can carry it: add \"{value}\" to `scopes` in the \
             #[logto::config] of `{config_name}`"
        );
        checks.push(quote_spanned! {scope.span()=>
            const _: () = ::core::assert!(
                ::logto::__private::requests_scope::<#config>(#scope),
                #message
            );
        });
    }
    if let Some(resource) = &guard.resource {
        let value = resource.value();
        let message = format!(
            "the guard of `{handler}` names the resource `{value}`, which `{config_name}` never \
             requests: add \"{value}\" to `resources` in the #[logto::config] of `{config_name}`"
        );
        checks.push(quote_spanned! {resource.span()=>
            const _: () = ::core::assert!(
                ::logto::__private::requests_resource::<#config>(#resource),
                #message
            );
        });
    } else if guard.organization.is_none() && !guard.scopes.is_empty() {
        let message = format!(
            "the guard of `{handler}` requires scopes but names no resource, and `{config_name}` \
             does not request exactly one: write `resource = \"...\"` on the guard"
        );
        checks.push(quote_spanned! {guard.scopes[0].span()=>
            const _: () = ::core::assert!(
                ::logto::__private::has_one_resource::<#config>(),
                #message
            );
        });
    }
    if let Some(organization) = &guard.organization {
        let message = format!(
            "the guard of `{handler}` checks an organization, but `{config_name}` never requests \
             `{ORGANIZATIONS}`: add `UserScope::Organizations` to `scopes` in the \
             #[logto::config] of `{config_name}`"
        );
        checks.push(quote_spanned! {organization.span()=>
            const _: () = ::core::assert!(
                ::logto::__private::requests_scope::<#config>(#ORGANIZATIONS),
                #message
            );
        });
    }
    // A path that is no config fails here, on the user's token, with rustc's own
    // "the trait `Config` is not implemented" and its hints.
    checks.push(quote_spanned! {config.span()=>
        const _: fn() = || {
            fn config<C: ::logto::Config>() {}
            config::<#config>();
        };
    });
    quote!(#(#checks)*)
}
