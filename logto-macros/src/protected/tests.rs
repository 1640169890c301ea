//! Unit tests on parsed inputs; the compile-time behaviour is in `ui-tests`.

use proc_macro2::TokenStream;
use quote::quote;

fn errors(args: TokenStream, item: TokenStream) -> Vec<String> {
    let output = super::expand(args, item).to_string();
    output
        .split("compile_error ! {")
        .skip(1)
        .map(|rest| rest.split('}').next().unwrap_or_default().trim().to_owned())
        .collect()
}

fn handler() -> TokenStream {
    quote!(
        async fn orders(token: logto::AccessToken) -> String {
            token.as_str().to_owned()
        }
    )
}

#[test]
fn prepends_the_guard_and_registers_it() {
    let output = super::expand(quote!(scope = "read"), handler()).to_string();
    for expected in [
        "struct __logto_guard_orders",
        "impl :: logto :: __private :: GuardDef for __logto_guard_orders",
        "scopes : & [\"read\"]",
        "resource : :: core :: option :: Option :: None",
        "allow_organization_scoped_tokens : false",
        "inventory :: submit !",
        "async fn orders (_ : :: logto :: __private :: Guarded < __logto_guard_orders > , token : logto :: AccessToken)",
    ] {
        assert!(output.contains(expected), "{expected}\nin\n{output}");
    }
    assert!(!output.contains("compile_error"), "{output}");
}

#[test]
fn a_named_config_is_checked_at_compile_time_instead() {
    let output = super::expand(
        quote!(
            config = Auth,
            scope = ["read", "write"],
            resource = "https://api.example.com"
        ),
        handler(),
    )
    .to_string();
    assert!(!output.contains("inventory"), "{output}");
    assert!(
        output.contains("requests_scope :: < Auth > (\"write\")"),
        "{output}"
    );
    assert!(
        output.contains("requests_resource :: < Auth > (\"https://api.example.com\")"),
        "{output}"
    );
    assert!(
        output.contains("add \\\"write\\\" to `scopes` in the #[logto::config] of `Auth`"),
        "{output}"
    );
}

#[test]
fn reports_every_mistake_at_once() {
    let found = errors(
        quote!(
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
        "unknown argument `organisation`",
        "a scope cannot be empty",
        "write `scope = [\\\"read\\\", \\\"write\\\"]`",
        "scope `read` is listed twice",
        "is not an absolute URI",
        "`redirect` sends signed-out users to sign-in, but `bearer_only`",
        "which are `async fn`: write `async fn orders(...)`",
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for (error, expected) in found.iter().zip(expected) {
        assert!(error.contains(expected), "{error:?} lacks {expected:?}");
    }
    assert!(
        found[0].contains("did you mean `organization`?"),
        "{found:?}"
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
    let found = errors(quote!(scope = read), handler());
    assert!(found[0].contains("write a string literal"), "{found:?}");
    let found = errors(
        quote!(),
        quote!(
            struct Orders;
        ),
    );
    assert!(found[0].contains("goes on an axum handler"), "{found:?}");
}

#[test]
fn a_bare_guard_asks_for_a_session_and_keeps_the_item_on_error() {
    let output = super::expand(quote!(), handler()).to_string();
    assert!(output.contains("scopes : & []"), "{output}");
    let output = super::expand(quote!(scope = ""), handler()).to_string();
    assert!(
        output.contains("async fn orders (token"),
        "the handler is kept as written: {output}"
    );
    assert!(!output.contains("Guarded"), "{output}");
}

#[test]
fn organization_scoped_tokens_are_an_explicit_flag() {
    let output = super::expand(
        quote!(scope = "read", allow_organization_scoped_tokens),
        handler(),
    )
    .to_string();
    assert!(
        output.contains("allow_organization_scoped_tokens : true"),
        "{output}"
    );
    assert!(!output.contains("compile_error"), "{output}");

    // The name the issue used, and a British spelling: "did you mean".
    for written in [
        quote!(allow_organization_tokens),
        quote!(allow_organisation_scoped_tokens),
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
        quote!(organization = "org_id", allow_organization_scoped_tokens),
        handler(),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("`organization` already requires the one in the path"),
        "{found:?}"
    );
}
