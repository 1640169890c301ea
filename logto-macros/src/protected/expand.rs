//! The generated guard: a marker type holding the guard's rule, the `Guarded` extractor
//! put first in the handler's arguments, and the checks against the config.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{Ident, LitStr, ext::IdentExt, spanned::Spanned};

use super::model::{Guard, Handler};
use logto_rule::{ConfigName, Kind, Needs, Part};

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

/// Checks against the named config, one per way each part of the guard can fail
/// ([`logto_rule::possible`]): a trait bound that holds only when that failure does
/// not, so `cargo check` reports it (a free item, evaluated without monomorphization).
/// The message is the rule's own wording ([`logto_rule::Unmet::pieces`]), given to
/// rustc with `#[diagnostic::on_unimplemented]`, so the error reads as ours rather than
/// as "evaluation panicked", on the argument at fault.
fn config_checks(
    handler: &Ident,
    marker: &Ident,
    guard: &Guard,
    config: &syn::Path,
) -> TokenStream {
    let config_name = format!("`{}`", path_to_string(config));
    let attribute = format!("the #[logto::config] of {config_name}");
    let subject = format!("the guard of `{}`", handler.unraw());
    let scopes: Vec<String> = guard.scopes.iter().map(LitStr::value).collect();
    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let resource = guard.resource.as_ref().map(LitStr::value);
    let needs = Needs {
        scopes: &scopes,
        resource: resource.as_deref(),
        organization: guard.organization.is_some(),
    };
    let name = ConfigName {
        name: &config_name,
        attribute: &attribute,
    };
    // What the config requests, read through a bound on the user's token: a type that
    // is no config fails there, with rustc's "the trait `Config` is not implemented"
    // and its hints, once (every check spells the bound alike, so rustc reports it once).
    let requested = quote_spanned! {config.span()=>
        ::logto::__private::requested_of::<#config>()
    };
    let check = |span: Span, part: Part, part_tokens: TokenStream| -> Vec<TokenStream> {
        logto_rule::possible(&needs, part)
            .into_iter()
            .map(|(kind, unmet)| {
                let message = unmet.pieces(&subject, name).concat();
                let (message, note) = match message.split_once(": ") {
                    Some((what, fix)) => (what.to_owned(), fix.to_owned()),
                    None => (message.clone(), String::new()),
                };
                let label = match kind {
                    Kind::Scope | Kind::Resource => "never requested by the config",
                    Kind::NoApiResource => "no API resource for the token",
                    Kind::SeveralApiResources => "which of the config's API resources?",
                    Kind::Organizations => "the config never requests organizations",
                };
                let kind = format_ident!("{}", format!("{kind:?}"));
                // An item, not a local binding: it resolves from the user's span even
                // when the attribute comes out of their `macro_rules!`.
                let bound = quote_spanned! {span=>
                    const _: () = __logto_met::<__LogtoCheck<{
                        !::logto::__private::guard_unmet_is(
                            &<#marker as ::logto::__private::GuardDef>::SPEC.needs(),
                            &#requested,
                            ::logto::__private::GuardPart::#part_tokens,
                            ::logto::__private::GuardKind::#kind,
                        )
                    }>>();
                };
                quote! {
                    const _: () = {
                        #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
                        trait __LogtoMet {}
                        struct __LogtoCheck<const MET: bool>;
                        impl __LogtoMet for __LogtoCheck<true> {}
                        const fn __logto_met<T: __LogtoMet>() {}
                        #bound
                    };
                }
            })
            .collect()
    };
    let mut checks: Vec<TokenStream> = guard
        .scopes
        .iter()
        .enumerate()
        .flat_map(|(index, scope)| check(scope.span(), Part::Scope(index), quote!(Scope(#index))))
        .collect();
    // Where a guard without a resource or organization would fail: on what it does
    // name, else on the config.
    let resource_span = guard
        .resource
        .as_ref()
        .map(LitStr::span)
        .or_else(|| guard.scopes.first().map(LitStr::span))
        .unwrap_or_else(|| config.span());
    checks.extend(check(resource_span, Part::Resource, quote!(Resource)));
    let organization_span = guard
        .organization
        .as_ref()
        .map_or_else(|| config.span(), LitStr::span);
    checks.extend(check(
        organization_span,
        Part::Organization,
        quote!(Organization),
    ));
    // The config is named even when nothing can fail against it: a misspelled or wrong
    // type is an error then too.
    let named = quote_spanned! {config.span()=>
        const _: ::logto::__private::GuardRequested<'static> = #requested;
    };
    quote!(#named #(#checks)*)
}
