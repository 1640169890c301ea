//! Keys of the macros' attributes, named once (serde's `symbol.rs`): darling's derives,
//! "did you mean" suggestions and the lists in error messages all read these constants.
//!
//! Each attribute's arguments are read by a `#[derive(FromMeta)]` struct: darling walks
//! the keys, calls one parse function per key (`#[darling(with = ...)]`, built on the
//! helpers below) and accumulates their errors. The parts darling would word without
//! naming the attribute or saying what to write are ours: unknown keys (with "did you
//! mean" and the list of keys) and literals ([`read`]), keys given twice ([`once`]),
//! and the shape of each value.

use std::fmt;

use darling::{FromMeta, ast::NestedMeta};
use quote::ToTokens;
use syn::{Expr, Meta, Path};

use crate::{errors::Errors, suggest};

/// The name of an attribute or of one of its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbol(pub &'static str);

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, symbol: &Symbol) -> bool {
        self.is_ident(symbol.0)
    }
}

/// `#[logto::config(scopes = [...])]`: scopes to request at sign-in.
pub(crate) const SCOPES: Symbol = Symbol("scopes");
/// `#[logto::config(resources = [...])]`: API resource indicators (RFC 8707).
pub(crate) const RESOURCES: Symbol = Symbol("resources");
/// `#[logto::config(claims = [...])]`: claims types whose scopes to request.
pub(crate) const CLAIMS: Symbol = Symbol("claims");
/// `#[logto::config(prompt = "...")]`: the OIDC `prompt` sent at sign-in.
pub(crate) const PROMPT: Symbol = Symbol("prompt");
/// Every key of `#[logto::config(...)]`.
pub(crate) const CONFIG_KEYS: &[Symbol] = &[SCOPES, RESOURCES, CLAIMS, PROMPT];

/// The field attribute of `#[derive(Claims)]`.
pub(crate) const CLAIM: Symbol = Symbol("claim");
/// `#[claim(rename = "...")]`: the claim's name when it differs from the field's.
pub(crate) const RENAME: Symbol = Symbol("rename");
/// `#[claim(custom)]`: a claim outside Logto's catalog.
pub(crate) const CUSTOM: Symbol = Symbol("custom");
/// `#[claim(custom, scope = "...")]`: the scope that grants a custom claim.
pub(crate) const SCOPE: Symbol = Symbol("scope");
/// `#[claim(custom, userinfo)]`: a custom claim only the userinfo endpoint returns.
pub(crate) const USERINFO: Symbol = Symbol("userinfo");
/// Every key of `#[claim(...)]`.
pub(crate) const CLAIM_KEYS: &[Symbol] = &[RENAME, CUSTOM, SCOPE, USERINFO];

/// The struct attribute of `#[derive(Claims)]`.
pub(crate) const CLAIMS_ATTR: Symbol = Symbol("claims");
/// Every key of `#[claims(...)]` (`config` is shared with `#[logto::protected]`).
pub(crate) const CLAIMS_KEYS: &[Symbol] = &[CONFIG];

/// `#[logto::protected(resource = "...")]`: the API resource the token is for.
pub(crate) const RESOURCE: Symbol = Symbol("resource");
/// `#[logto::protected(organization = "org_id")]`: the path parameter holding the
/// organization id.
pub(crate) const ORGANIZATION: Symbol = Symbol("organization");
/// `#[logto::protected(config = Auth)]`: the config to check the guard against at
/// compile time.
pub(crate) const CONFIG: Symbol = Symbol("config");
/// `#[logto::protected(bearer_only)]`: bearer tokens only, cookies ignored.
pub(crate) const BEARER_ONLY: Symbol = Symbol("bearer_only");
/// `#[logto::protected(redirect)]`: signed out, redirect to sign-in and back.
pub(crate) const REDIRECT: Symbol = Symbol("redirect");
/// `#[logto::protected(allow_organization_scoped_tokens)]`: bearer tokens scoped to any
/// organization pass too, not only global ones.
pub(crate) const ALLOW_ORGANIZATION_SCOPED_TOKENS: Symbol =
    Symbol("allow_organization_scoped_tokens");
/// Every key of `#[logto::protected(...)]` (`scope` is shared with `#[claim]`).
pub(crate) const PROTECTED_KEYS: &[Symbol] = &[
    SCOPE,
    RESOURCE,
    ORGANIZATION,
    CONFIG,
    BEARER_ONLY,
    REDIRECT,
    ALLOW_ORGANIZATION_SCOPED_TOKENS,
];

/// An attribute whose arguments a darling derive reads: its name in messages and its
/// keys, for the errors darling would word without them.
pub(crate) trait Attribute {
    /// The attribute as users write it, e.g. "`#[logto::config]`".
    const CONTEXT: &'static str;
    /// Every key it takes; the derive's field names (a unit test per attribute checks
    /// that they agree).
    const KEYS: &'static [Symbol];
}

/// One argument as written: its key (for spans) and its parsed value.
pub(crate) struct Arg<T> {
    /// The key, as written.
    pub key: Path,
    /// The value.
    pub value: T,
}

/// Takes out of `metas`, with an error each, what darling would word without naming
/// the attribute or its keys: literals ("Unexpected meta-item format `literal`") and
/// unknown keys ("Unknown field: `x`"; ours adds the list of keys and finds camelCase
/// spellings). Done before the derive runs, so that neither stops it from reading, and
/// the checks from checking, the keys that are right.
fn known<A: Attribute>(metas: Vec<NestedMeta>, errors: &mut Errors) -> Vec<NestedMeta> {
    let keys: Vec<&str> = A::KEYS.iter().map(|key| key.0).collect();
    let expected = suggest::one_of(keys.iter().copied());
    let mut known = Vec::new();
    for meta in metas {
        match &meta {
            NestedMeta::Lit(lit) => errors.spanned(
                lit,
                format!("{} takes `key = value` arguments: {expected}", A::CONTEXT),
            ),
            NestedMeta::Meta(inner) if !A::KEYS.iter().any(|key| inner.path() == key) => {
                let path = inner.path();
                let name = path_to_string(path);
                errors.spanned(
                    path,
                    suggest::unknown(
                        &format!("unknown argument `{name}` of {}", A::CONTEXT),
                        &name,
                        &keys,
                    ),
                );
            }
            NestedMeta::Meta(_) => known.push(meta),
        }
    }
    known
}

/// Reads `metas` with the darling derive `T`; its errors and ours join `errors`.
/// `None` when a value could not be read: the checks then have nothing sound to check
/// (an unknown or repeated key does not stop them).
pub(crate) fn read<A: Attribute, T: FromMeta>(
    metas: Vec<NestedMeta>,
    errors: &mut Errors,
) -> Option<T> {
    let metas = known::<A>(metas, errors);
    errors.take(T::from_list(&metas).map_err(syn::Error::from))
}

/// Like [`read`], but a value that cannot be read does not stop the others: darling
/// fails the whole derive on one bad value, so after its errors are recorded, the
/// keys that read on their own are read again together and their checks still run.
/// For attributes whose checks need no key to stand in for another.
pub(crate) fn read_readable<A: Attribute, T: FromMeta + Default>(
    metas: Vec<NestedMeta>,
    errors: &mut Errors,
) -> T {
    let metas = known::<A>(metas, errors);
    match T::from_list(&metas) {
        Ok(read) => read,
        Err(error) => {
            errors.push(error.into());
            let readable: Vec<NestedMeta> = metas
                .into_iter()
                .filter(|meta| T::from_list(std::slice::from_ref(meta)).is_ok())
                .collect();
            // Keys that read alone read together (a repeated key is collected, not
            // refused); the default is only a guard.
            T::from_list(&readable).unwrap_or_default()
        }
    }
}

/// The first value of a key the derive collected with `#[darling(multiple)]` (so that a
/// repeated key is ours to word, not darling's "Duplicate field"); every later one is
/// reported on its key.
pub(crate) fn once<A: Attribute, T>(args: Vec<Arg<T>>, errors: &mut Errors) -> Option<Arg<T>> {
    let mut args = args.into_iter();
    let first = args.next()?;
    for repeated in args {
        errors.spanned(
            &repeated.key,
            format!(
                "`{}` is given twice in {}: remove this one",
                path_to_string(&repeated.key),
                A::CONTEXT
            ),
        );
    }
    Some(first)
}

/// `config = Auth`: the path of the user's `#[logto::config]` type.
pub(crate) fn config(meta: &Meta, context: &str) -> darling::Result<Arg<Path>> {
    let value = value(meta, "config = Auth", context)?;
    match unwrap_expr(value) {
        Expr::Path(path) if path.qself.is_none() => Ok(Arg {
            key: meta.path().clone(),
            value: path.path.clone(),
        }),
        _ => Err(error(
            value,
            "`config` names the type of your `#[logto::config]`: write `config = Auth`",
        )),
    }
}

/// A darling error spanning `tokens`, with our message as is (an explicit span keeps
/// darling from appending " at <field>").
pub(crate) fn error(tokens: impl ToTokens, message: impl fmt::Display) -> darling::Error {
    syn::Error::new_spanned(tokens, message).into()
}

/// The value of `key = value`; `example` shows the expected form to write.
pub(crate) fn value<'a>(meta: &'a Meta, example: &str, context: &str) -> darling::Result<&'a Expr> {
    let key = path_to_string(meta.path());
    match meta {
        Meta::NameValue(name_value) => Ok(&name_value.value),
        Meta::Path(path) => Err(error(
            path,
            format!("`{key}` needs a value: write `{example}`"),
        )),
        Meta::List(list) => Err(error(
            list,
            format!("write `{key} = ...` instead of `{key}(...)` in {context}"),
        )),
    }
}

/// A key written alone, `key`.
pub(crate) fn flag(meta: &Meta, context: &str) -> darling::Result<Arg<()>> {
    let key = path_to_string(meta.path());
    match meta {
        Meta::Path(path) => Ok(Arg {
            key: path.clone(),
            value: (),
        }),
        Meta::NameValue(name_value) => Err(error(
            &name_value.value,
            format!("`{key}` is a flag and takes no value: write `{key}` alone"),
        )),
        Meta::List(list) => Err(error(
            list,
            format!("`{key}` is a flag and takes no arguments: write `{key}` alone in {context}"),
        )),
    }
}

/// A string literal, `key = "..."`; `not_a_string` says what to write instead.
pub(crate) fn string(
    meta: &Meta,
    example: &str,
    context: &str,
    not_a_string: &str,
) -> darling::Result<Arg<syn::LitStr>> {
    let value = self::value(meta, example, context)?;
    match lit_str(value) {
        Some(lit) => Ok(Arg {
            key: meta.path().clone(),
            value: lit.clone(),
        }),
        None => Err(error(value, not_a_string)),
    }
}

/// The elements of `key = [...]`; a lone element gets the brackets suggested.
pub(crate) fn array<'a>(
    meta: &'a Meta,
    example: &str,
    context: &str,
) -> darling::Result<Vec<&'a Expr>> {
    let value = self::value(meta, example, context)?;
    match unwrap_expr(value) {
        Expr::Array(array) => Ok(array.elems.iter().collect()),
        other => {
            let key = path_to_string(meta.path());
            let written = other.to_token_stream();
            Err(error(
                value,
                format!("`{key}` is a list: write `{key} = [{written}]`"),
            ))
        }
    }
}

/// A path as written, `a::b::C`, for messages.
pub(crate) fn path_to_string(path: &Path) -> String {
    let segments: Vec<String> = path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    let joined = segments.join("::");
    if path.leading_colon.is_some() {
        format!("::{joined}")
    } else {
        joined
    }
}

/// `expr` without the invisible groups `macro_rules!` wraps around `$x:expr` and without
/// parentheses, so `scopes = [$scope]` in a user's macro reads like `scopes = ["read"]`.
pub(crate) fn unwrap_expr(mut expr: &Expr) -> &Expr {
    loop {
        match expr {
            Expr::Group(group) => expr = &group.expr,
            Expr::Paren(paren) => expr = &paren.expr,
            _ => return expr,
        }
    }
}

/// The string of a string-literal expression.
pub(crate) fn lit_str(expr: &Expr) -> Option<&syn::LitStr> {
    match unwrap_expr(expr) {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) => Some(lit),
        _ => None,
    }
}

/// For the tests of each attribute: the messages of `errors`, in order.
#[cfg(test)]
pub(crate) fn messages(errors: Errors) -> Vec<String> {
    match errors.finish() {
        Ok(()) => Vec::new(),
        Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
    }
}
