//! Unit tests on parsed inputs: the model the checks build, the errors they report, and
//! the items the expansion generates (read back with syn, not compared as text). The
//! compile-time behaviour is in `ui-tests`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{FnArg, Item, parse_quote};

use super::{check, model::Guard, parse};
use crate::{attr::messages, errors::Errors};

/// The checked guard, whether the handler passed, and every error message, in order.
fn run(args: TokenStream, item: TokenStream) -> (Guard, bool, Vec<String>) {
    let mut errors = Errors::default();
    let handler = parse::handler(item, &mut errors);
    let args = parse::args(args, &mut errors);
    let guard = check::check(args, &mut errors);
    let handler = handler.and_then(|handler| check::handler(handler, &mut errors));
    (guard, handler.is_some(), messages(errors))
}

fn checked(args: TokenStream) -> Guard {
    let (guard, handler_ok, errors) = run(args, handler());
    assert!(handler_ok && errors.is_empty(), "{errors:#?}");
    guard
}

fn errors(args: TokenStream, item: TokenStream) -> Vec<String> {
    run(args, item).2
}

fn handler() -> TokenStream {
    quote!(
        async fn orders(token: logto::AccessToken) -> String {
            token.as_str().to_owned()
        }
    )
}

fn values(lits: &[syn::LitStr]) -> Vec<String> {
    lits.iter().map(syn::LitStr::value).collect()
}

/// The items `#[logto::protected(args)]` generates on [`handler`].
fn expanded(args: TokenStream) -> Vec<Item> {
    let file: syn::File = syn::parse2(super::expand(args, handler())).unwrap_or_else(|e| {
        panic!("the expansion is not Rust: {e}");
    });
    file.items
}

#[test]
fn reads_every_argument_into_the_model() {
    let guard = checked(quote!(
        scope = ["read", "write"],
        resource = "https://api.example.com",
        config = crate::Auth,
        bearer_only,
    ));
    assert_eq!(values(&guard.scopes), ["read", "write"]);
    assert_eq!(
        guard.resource.map(|r| r.value()).as_deref(),
        Some("https://api.example.com")
    );
    assert_eq!(guard.config, Some(parse_quote!(crate::Auth)));
    assert!(guard.bearer_only && !guard.redirect && !guard.allow_organization_scoped_tokens);

    let guard = checked(quote!(
        config = Auth,
        organization = "org_id",
        scope = "read:members",
        redirect
    ));
    assert_eq!(values(&guard.scopes), ["read:members"]);
    assert_eq!(
        guard.organization.map(|o| o.value()).as_deref(),
        Some("org_id")
    );
    assert!(guard.redirect);

    // Bare: a signed-in user.
    let bare = checked(quote!());
    assert!(bare.scopes.is_empty() && bare.resource.is_none() && bare.config.is_none());
}

#[test]
fn every_key_reaches_the_derive() {
    // The derive's field names and `PROTECTED_KEYS` are two lists: an unknown key would
    // be darling's "Unknown field" here.
    for key in crate::attr::PROTECTED_KEYS {
        let ident = syn::Ident::new(key.0, proc_macro2::Span::call_site());
        for written in [quote!(#ident), quote!(#ident = "x")] {
            for error in errors(written, handler()) {
                assert!(!error.contains("Unknown field"), "{key}: {error}");
                assert!(!error.contains("unknown argument"), "{key}: {error}");
            }
        }
    }
}

#[test]
fn prepends_the_guard() {
    let items = expanded(quote!(config = Auth, scope = "read"));
    let Some(Item::Fn(handler)) = items.iter().find(|item| matches!(item, Item::Fn(_))) else {
        panic!("no handler in {items:#?}");
    };
    let Some(FnArg::Typed(first)) = handler.sig.inputs.first() else {
        panic!("no first argument");
    };
    let expected: syn::Type = parse_quote!(::logto::__private::Guarded<__logto_guard_orders>);
    assert_eq!(*first.ty, expected);
    assert_eq!(
        handler.sig.inputs.len(),
        2,
        "the handler's own argument stays"
    );
    assert!(
        items
            .iter()
            .any(|item| matches!(item, Item::Struct(s) if s.ident == "__logto_guard_orders"))
    );
}

#[test]
fn a_guard_that_needs_the_config_names_it() {
    for args in [
        quote!(scope = "read"),
        quote!(resource = "https://api.example.com"),
        quote!(organization = "org_id"),
    ] {
        let found = errors(args.clone(), handler());
        assert_eq!(found.len(), 1, "{args}: {found:?}");
        assert!(
            found[0].contains("so it names the config that provides it")
                && found[0].contains("add `config = Auth`"),
            "{args}: {found:?}"
        );
    }
    // Only a signed-in user (or any valid bearer token): nothing to check.
    assert!(errors(quote!(), handler()).is_empty());
    assert!(errors(quote!(bearer_only), handler()).is_empty());
    // Nothing is registered for a check at startup any more.
    let items = expanded(quote!());
    assert!(
        !items
            .iter()
            .any(|item| matches!(item, Item::Macro(_) | Item::Const(_)))
    );
}

#[test]
fn a_named_config_is_checked_at_compile_time() {
    let items = expanded(quote!(
        config = Auth,
        scope = ["read", "write"],
        resource = "https://api.example.com"
    ));
    assert!(!items.iter().any(|item| matches!(item, Item::Macro(_))));
    // One check per way the guard can fail (each scope, the resource it names; no
    // organization, nothing to check there), and one that names the config.
    let consts = items
        .iter()
        .filter(|item| matches!(item, Item::Const(c) if c.ident == "_"))
        .count();
    assert_eq!(consts, 4, "{items:#?}");
    let text = quote::quote!(#(#items)*).to_string();
    assert!(
        text.contains(
            "the guard of `orders` requires the scope `write`, which `Auth` never requests"
        ),
        "{text}"
    );
    // Without a resource, the config may request none or several: both are worded.
    let items = expanded(quote!(config = Auth, scope = "read"));
    let text = quote::quote!(#(#items)*).to_string();
    assert!(text.contains("requests no API resource"), "{text}");
    assert!(text.contains("requests several API resources"), "{text}");
}

#[test]
fn reports_every_mistake_at_once() {
    let found = errors(
        quote!(
            config = Auth,
            scope = ["", "read write", "read", "read"],
            resource = "api.example.com",
            organisation = "org",
            bearer_only,
            redirect
        ),
        quote!(
            fn orders() {}
        ),
    );
    let expected = [
        "unknown argument `organisation` of `#[logto::protected]`: did you mean `organization`?",
        "a scope cannot be empty",
        "write `scope = [\"read\", \"write\"]`",
        "scope `read` is listed twice",
        "is not an absolute URI",
        "`redirect` sends signed-out users to sign-in, but `bearer_only`",
        "which are `async fn`: write `async fn orders(...)`",
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for (error, expected) in found.iter().zip(expected) {
        assert!(error.contains(expected), "{error:?} lacks {expected:?}");
    }
}

#[test]
fn reports_the_syntax_of_every_argument_at_once() {
    let found = errors(
        quote!(
            scope = read,
            resource = 42,
            config = "Auth",
            redirect = true,
            bearer_only,
            bearer_only,
            "read"
        ),
        handler(),
    );
    let expected = [
        "`#[logto::protected]` takes `key = value` arguments: `scope`, `resource`",
        "the macro reads the scope at compile time: write a string literal",
        "the macro reads the resource at compile time",
        "`config` names the type of your `#[logto::config]`: write `config = Auth`",
        "`redirect` is a flag and takes no value: write `redirect` alone",
        "`bearer_only` is given twice in `#[logto::protected]`: remove this one",
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for (error, expected) in found.iter().zip(expected) {
        assert!(error.contains(expected), "{error:?} lacks {expected:?}");
    }
    // A value that cannot be read does not hide the checks of those that can.
    let found = errors(
        quote!(scope = read, resource = "api.example.com"),
        handler(),
    );
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].contains("reads the scope at compile time"),
        "{found:#?}"
    );
    assert!(found[1].contains("is not an absolute URI"), "{found:#?}");
    // A value that reads: the repeated key is reported in our words.
    let found = errors(quote!(bearer_only, bearer_only), handler());
    assert_eq!(
        found,
        ["`bearer_only` is given twice in `#[logto::protected]`: remove this one"]
    );
    let found = errors(quote!(redirect()), handler());
    assert_eq!(
        found,
        [
            "`redirect` is a flag and takes no arguments: write `redirect` alone in \
          `#[logto::protected]`"
        ]
    );
    let found = errors(quote!(scope), handler());
    assert_eq!(found, ["`scope` needs a value: write `scope = \"read\"`"]);
    let found = errors(quote!(scope("read")), handler());
    assert_eq!(
        found,
        ["write `scope = ...` instead of `scope(...)` in `#[logto::protected]`"]
    );
}

#[test]
fn refuses_methods_empty_lists_and_bad_organizations() {
    let found = errors(
        quote!(scope = []),
        quote!(
            async fn orders(&self) {}
        ),
    );
    assert!(
        found[0].contains("`scope = []` asks for nothing"),
        "{found:?}"
    );
    assert!(
        found[1].contains("free functions, not methods"),
        "{found:?}"
    );
    let found = errors(quote!(organization = "org id"), handler());
    assert!(found[0].contains("names a path parameter"), "{found:?}");
    let found = errors(
        quote!(),
        quote!(
            struct Orders;
        ),
    );
    assert!(found[0].contains("goes on an axum handler"), "{found:?}");
}

#[test]
fn keeps_the_handler_as_written_on_error() {
    let output = super::expand(quote!(scope = ""), handler());
    let file: syn::File = syn::parse2(output).unwrap_or_else(|e| panic!("{e}"));
    let Some(Item::Fn(handler)) = file.items.first() else {
        panic!("{:#?}", file.items);
    };
    assert_eq!(handler.sig.inputs.len(), 1, "no guard argument added");
    assert!(
        file.items
            .iter()
            .any(|item| matches!(item, Item::Macro(m) if m.mac.path.segments.last().is_some_and(|s| s.ident == "compile_error")))
    );
}

#[test]
fn organization_scoped_tokens_are_an_explicit_flag() {
    let flagged = checked(quote!(
        config = Auth,
        scope = "read",
        allow_organization_scoped_tokens
    ));
    assert!(flagged.allow_organization_scoped_tokens);

    // The name the issue used, a British spelling, and JavaScript's: "did you mean".
    for written in [
        quote!(allow_organization_tokens),
        quote!(allow_organisation_scoped_tokens),
        quote!(allowOrganizationScopedTokens),
    ] {
        let found = errors(written, handler());
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("did you mean `allow_organization_scoped_tokens`?"),
            "{found:?}"
        );
    }
    let found = errors(quote!(allow_organization_scoped_tokens = true), handler());
    assert!(
        found[0].contains("is a flag and takes no value"),
        "{found:?}"
    );

    // Beside `organization`, which already names the organization: refused, not ignored.
    let found = errors(
        quote!(
            config = Auth,
            organization = "org_id",
            allow_organization_scoped_tokens
        ),
        handler(),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("`organization` already requires the one in the path"),
        "{found:?}"
    );
}
