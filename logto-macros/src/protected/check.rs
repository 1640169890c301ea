//! Checks the arguments of `#[logto::protected]` and the handler it is on.

use syn::{FnArg, LitStr};

use super::{
    model::{Guard, Handler},
    parse::{Args, CONTEXT},
};
use crate::{errors::Errors, resources, scopes};

/// Checks every argument, reporting all problems; the result holds the valid parts.
pub(super) fn check(args: Args, errors: &mut Errors) -> Guard {
    if let Some(empty) = &args.empty_scope_list {
        errors.spanned(
            empty,
            "`scope = []` asks for nothing: remove `scope` to ask only for a signed-in user, \
             or name the scopes, `scope = [\"read\"]`",
        );
    }
    let mut scopes: Vec<LitStr> = Vec::new();
    for lit in args.scopes {
        let value = lit.value();
        if let Err(message) = check_scope(&value) {
            errors.spanned(&lit, message);
        } else if scopes.iter().any(|seen| seen.value() == value) {
            errors.spanned(
                &lit,
                format!("scope `{value}` is listed twice: remove this one"),
            );
        } else {
            scopes.push(lit);
        }
    }
    let resource = args
        .resource
        .filter(|lit| match resources::check(&lit.value()) {
            Ok(()) => true,
            Err(message) => {
                errors.spanned(lit, message);
                false
            }
        });
    let organization = args.organization.filter(|lit| {
        let name = lit.value();
        let valid = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            errors.spanned(
                lit,
                format!(
                    "`organization` names a path parameter, which `{name}` cannot be: write its \
                     name as in the route, e.g. `organization = \"org_id\"` for \
                     `/orgs/{{org_id}}/members`"
                ),
            );
        }
        valid
    });
    if let (Some(_), Some(redirect)) = (&args.bearer_only, &args.redirect) {
        errors.spanned(
            redirect,
            "`redirect` sends signed-out users to sign-in, but `bearer_only` ignores sessions: \
             remove `redirect` (an API answers 401) or `bearer_only` (a page)",
        );
    }
    if let (Some(_), Some(flag)) = (&organization, &args.allow_organization_scoped_tokens) {
        errors.spanned(
            flag,
            "`allow_organization_scoped_tokens` accepts tokens of any organization, but \
             `organization` already requires the one in the path: remove \
             `allow_organization_scoped_tokens`",
        );
    }
    if args.config.is_none() {
        require_config(&scopes, &resource, &organization, errors);
    }
    Guard {
        scopes,
        resource,
        organization,
        config: args.config,
        bearer_only: args.bearer_only.is_some(),
        redirect: args.redirect.is_some(),
        allow_organization_scoped_tokens: args.allow_organization_scoped_tokens.is_some(),
    }
}

/// A guard that needs anything of the config (a scope, a resource, an organization)
/// names it, so the build checks it against that config: the alternative, a check of
/// every guard in the process against every client built in it, refuses an app that
/// runs two clients, and only at startup.
fn require_config(
    scopes: &[LitStr],
    resource: &Option<LitStr>,
    organization: &Option<LitStr>,
    errors: &mut Errors,
) {
    let needs = scopes
        .first()
        .map(|lit| (lit, format!("scope = \"{}\"", lit.value())))
        .or_else(|| {
            resource
                .as_ref()
                .map(|lit| (lit, format!("resource = \"{}\"", lit.value())))
        })
        .or_else(|| {
            organization
                .as_ref()
                .map(|lit| (lit, format!("organization = \"{}\"", lit.value())))
        });
    if let Some((lit, argument)) = needs {
        errors.spanned(
            lit,
            format!(
                "this guard needs `{argument}` of the config, so it names the config that \
                 provides it, to be checked at compile time: add `config = Auth` (your \
                 `#[logto::config]` type) to {CONTEXT}"
            ),
        );
    }
}

/// A scope token (RFC 6749 §3.3), with the fix worded for this attribute.
fn check_scope(scope: &str) -> Result<(), String> {
    if scope.chars().any(char::is_whitespace) && !scope.trim().is_empty() {
        let parts: Vec<String> = scope
            .split_whitespace()
            .map(|s| format!("\"{s}\""))
            .collect();
        return Err(format!(
            "scope `{scope}` contains whitespace, but a scope is a single token (RFC 6749 \
             §3.3): to require several, write `scope = [{}]`",
            parts.join(", ")
        ));
    }
    scopes::check_token(scope).map_err(|message| {
        if scope.is_empty() {
            "a scope cannot be empty: remove `scope` to ask only for a signed-in user, or \
             write the scope's name, e.g. `scope = \"read\"`"
                .to_owned()
        } else {
            message
        }
    })
}

/// Checks that the guarded item is a free `async fn`.
pub(super) fn handler(item: syn::ItemFn, errors: &mut Errors) -> Option<Handler> {
    let mut ok = true;
    if item.sig.asyncness.is_none() {
        errors.spanned(
            item.sig.fn_token,
            format!(
                "{CONTEXT} guards axum handlers, which are `async fn`: write `async fn {}(...)`",
                item.sig.ident
            ),
        );
        ok = false;
    }
    if let Some(FnArg::Receiver(receiver)) = item.sig.inputs.first() {
        errors.spanned(
            receiver,
            format!(
                "{CONTEXT} guards free functions, not methods: move `{}` out of the `impl` \
                 block and drop `self`",
                item.sig.ident
            ),
        );
        ok = false;
    }
    if let Some(constness) = &item.sig.constness {
        errors.spanned(
            constness,
            format!("{CONTEXT} guards handlers: remove `const`"),
        );
        ok = false;
    }
    ok.then_some(Handler { item })
}
