//! Keys of the macros' attributes, named once (serde's `symbol.rs`): parsing, "did you
//! mean" suggestions and the lists in error messages all read these constants.

use std::fmt;

use darling::ast::NestedMeta;
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
pub const SCOPES: Symbol = Symbol("scopes");
/// `#[logto::config(resources = [...])]`: API resource indicators (RFC 8707).
pub const RESOURCES: Symbol = Symbol("resources");
/// `#[logto::config(claims = [...])]`: claims types whose scopes to request.
pub const CLAIMS: Symbol = Symbol("claims");
/// `#[logto::config(prompt = "...")]`: the OIDC `prompt` sent at sign-in.
pub const PROMPT: Symbol = Symbol("prompt");
/// Every key of `#[logto::config(...)]`.
pub const CONFIG_KEYS: &[Symbol] = &[SCOPES, RESOURCES, CLAIMS, PROMPT];

/// The field attribute of `#[derive(Claims)]`.
pub const CLAIM: Symbol = Symbol("claim");
/// `#[claim(rename = "...")]`: the claim's name when it differs from the field's.
pub const RENAME: Symbol = Symbol("rename");
/// `#[claim(custom)]`: a claim outside Logto's catalog.
pub const CUSTOM: Symbol = Symbol("custom");
/// `#[claim(custom, scope = "...")]`: the scope that grants a custom claim.
pub const SCOPE: Symbol = Symbol("scope");
/// `#[claim(custom, userinfo)]`: a custom claim only the userinfo endpoint returns.
pub const USERINFO: Symbol = Symbol("userinfo");
/// Every key of `#[claim(...)]`.
pub const CLAIM_KEYS: &[Symbol] = &[RENAME, CUSTOM, SCOPE, USERINFO];

/// `#[logto::protected(resource = "...")]`: the API resource the token is for.
pub const RESOURCE: Symbol = Symbol("resource");
/// `#[logto::protected(organization = "org_id")]`: the path parameter holding the
/// organization id.
pub const ORGANIZATION: Symbol = Symbol("organization");
/// `#[logto::protected(config = Auth)]`: the config to check the guard against at
/// compile time.
pub const CONFIG: Symbol = Symbol("config");
/// `#[logto::protected(bearer_only)]`: bearer tokens only, cookies ignored.
pub const BEARER_ONLY: Symbol = Symbol("bearer_only");
/// `#[logto::protected(redirect)]`: signed out, redirect to sign-in and back.
pub const REDIRECT: Symbol = Symbol("redirect");
/// `#[logto::protected(allow_organization_scoped_tokens)]`: bearer tokens scoped to any
/// organization pass too, not only global ones.
pub const ALLOW_ORGANIZATION_SCOPED_TOKENS: Symbol = Symbol("allow_organization_scoped_tokens");
/// Every key of `#[logto::protected(...)]` (`scope` is shared with `#[claim]`).
pub const PROTECTED_KEYS: &[Symbol] = &[
    SCOPE,
    RESOURCE,
    ORGANIZATION,
    CONFIG,
    BEARER_ONLY,
    REDIRECT,
    ALLOW_ORGANIZATION_SCOPED_TOKENS,
];

/// One argument of an attribute: `key = value` or a bare `key`.
pub struct Arg {
    /// Which known key this is.
    pub key: Symbol,
    /// The key as written, for spans.
    pub path: Path,
    /// `Some` for `key = value`, `None` for a bare `key`.
    pub value: Option<Expr>,
}

impl Arg {
    /// The value of a `key = value` argument; `example` shows the expected form.
    pub fn value(&self, example: &str) -> syn::Result<&Expr> {
        self.value.as_ref().ok_or_else(|| {
            syn::Error::new_spanned(
                &self.path,
                format!("`{}` needs a value: write `{example}`", self.key),
            )
        })
    }

    /// Checks that a flag is written alone.
    pub fn flag(&self) -> syn::Result<()> {
        match &self.value {
            None => Ok(()),
            Some(value) => Err(syn::Error::new_spanned(
                value,
                format!(
                    "`{}` is a flag and takes no value: write `{}` alone",
                    self.key, self.key
                ),
            )),
        }
    }
}

/// Sorts `metas` into known arguments; reports unknown keys (with a suggestion),
/// repeated keys, literals and `key(...)` lists. `context` names the attribute in
/// messages, e.g. "`#[logto::config]`".
pub fn parse_args(
    metas: impl IntoIterator<Item = NestedMeta>,
    keys: &[Symbol],
    context: &str,
    errors: &mut Errors,
) -> Vec<Arg> {
    let expected = suggest::one_of(keys.iter().map(|key| key.0));
    let mut args: Vec<Arg> = Vec::new();
    for meta in metas {
        let (path, value) = match meta {
            NestedMeta::Lit(lit) => {
                errors.spanned(
                    lit,
                    format!("{context} takes `key = value` arguments: {expected}"),
                );
                continue;
            }
            NestedMeta::Meta(Meta::Path(path)) => (path, None),
            NestedMeta::Meta(Meta::NameValue(name_value)) => {
                (name_value.path, Some(name_value.value))
            }
            NestedMeta::Meta(Meta::List(list)) => {
                let name = path_to_string(&list.path);
                errors.spanned(
                    &list,
                    format!("write `{name} = ...` instead of `{name}(...)` in {context}"),
                );
                continue;
            }
        };
        let Some(key) = keys.iter().copied().find(|key| path == *key) else {
            let name = path_to_string(&path);
            let keys: Vec<&str> = keys.iter().map(|key| key.0).collect();
            errors.spanned(
                &path,
                suggest::unknown(
                    &format!("unknown argument `{name}` of {context}"),
                    &name,
                    &keys,
                ),
            );
            continue;
        };
        if args.iter().any(|arg| arg.key == key) {
            errors.spanned(
                &path,
                format!("`{key}` is given twice in {context}: remove this one"),
            );
            continue;
        }
        args.push(Arg { key, path, value });
    }
    args
}

/// A path as written, `a::b::C`, for messages.
pub fn path_to_string(path: &Path) -> String {
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
pub fn unwrap_expr(mut expr: &Expr) -> &Expr {
    loop {
        match expr {
            Expr::Group(group) => expr = &group.expr,
            Expr::Paren(paren) => expr = &paren.expr,
            _ => return expr,
        }
    }
}

/// The string of a string-literal expression.
pub fn lit_str(expr: &Expr) -> Option<&syn::LitStr> {
    match unwrap_expr(expr) {
        Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        }) => Some(lit),
        _ => None,
    }
}
