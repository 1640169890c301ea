//! The syntax of `#[logto::config(...)]`: which struct, and the arguments as written.

use darling::{FromMeta, ast::NestedMeta};
use proc_macro2::TokenStream;
use syn::{Expr, Ident, LitStr, Meta, Path};

use crate::{
    attr::{self, Arg, CONFIG_KEYS, lit_str, unwrap_expr},
    errors::Errors,
};

/// The macro's name in messages.
pub(super) const CONTEXT: &str = "`#[logto::config]`";

/// The struct that receives the implementation.
pub(super) struct Target {
    /// Its name.
    pub ident: Ident,
}

/// The arguments as written, before any check.
#[derive(Default)]
pub(super) struct Args {
    /// `scopes = [...]`.
    pub scopes: Vec<ScopeArg>,
    /// `resources = [...]`.
    pub resources: Vec<LitStr>,
    /// `claims = [...]`.
    pub claims: Vec<Path>,
    /// `prompt = "..."`.
    pub prompt: Option<LitStr>,
}

/// One element of `scopes = [...]`.
pub(super) enum ScopeArg {
    /// `"read"`.
    Literal(LitStr),
    /// `UserScope::Email` (any path; resolved by the check).
    Variant(Path),
}

/// The struct the attribute is on; `None` (with an error) for anything else.
pub(super) fn target(item: TokenStream, errors: &mut Errors) -> Option<Target> {
    let item: syn::Item = errors.take(syn::parse2(item))?;
    let syn::Item::Struct(item) = item else {
        errors.spanned(
            item_keyword(&item),
            format!("{CONTEXT} goes on a struct: write `pub struct Auth;` under it"),
        );
        return None;
    };
    if !item.generics.params.is_empty() {
        errors.spanned(
            &item.generics,
            format!(
                "{CONTEXT} does not support generic parameters: the config is a plain marker \
                 type; remove `{}`",
                quote::ToTokens::to_token_stream(&item.generics)
            ),
        );
        return None;
    }
    Some(Target { ident: item.ident })
}

/// `#[logto::config]` for the shared argument handling of [`attr`].
pub(super) struct ConfigAttr;

impl attr::Attribute for ConfigAttr {
    const CONTEXT: &'static str = CONTEXT;
    const KEYS: &'static [attr::Symbol] = CONFIG_KEYS;
}

/// What darling reads: every key collected (`multiple`), so a repeated one is reported
/// by [`attr::once`] in our words; [`attr::read`] keeps unknown keys away from it. Field
/// names are the keys of [`CONFIG_KEYS`].
#[derive(Default, FromMeta)]
struct Raw {
    #[darling(multiple, with = read_scopes)]
    scopes: Vec<Arg<Vec<ScopeArg>>>,
    #[darling(multiple, with = read_resources)]
    resources: Vec<Arg<Vec<LitStr>>>,
    #[darling(multiple, with = read_claims)]
    claims: Vec<Arg<Vec<Path>>>,
    #[darling(multiple, with = read_prompt)]
    prompt: Vec<Arg<LitStr>>,
}

/// The arguments of the attribute, each checked for its syntax; all errors are
/// reported, and the arguments hold the values that could be read.
pub(super) fn args(tokens: TokenStream, errors: &mut Errors) -> Args {
    let Some(metas) = errors.take(NestedMeta::parse_meta_list(tokens)) else {
        return Args::default();
    };
    let raw: Raw = attr::read_readable::<ConfigAttr, _>(metas, errors);
    Args {
        scopes: attr::once::<ConfigAttr, _>(raw.scopes, errors)
            .map(|arg| arg.value)
            .unwrap_or_default(),
        resources: attr::once::<ConfigAttr, _>(raw.resources, errors)
            .map(|arg| arg.value)
            .unwrap_or_default(),
        claims: attr::once::<ConfigAttr, _>(raw.claims, errors)
            .map(|arg| arg.value)
            .unwrap_or_default(),
        prompt: attr::once::<ConfigAttr, _>(raw.prompt, errors).map(|arg| arg.value),
    }
}

/// Every element of a list, each read by `element`; all their errors, accumulated.
fn elements<T>(
    meta: &Meta,
    example: &str,
    element: impl Fn(&Expr) -> darling::Result<T>,
) -> darling::Result<Arg<Vec<T>>> {
    let array = attr::array(meta, example, CONTEXT)?;
    // darling's accumulator panics when dropped unfinished: created after the last `?`.
    let mut errors = darling::Error::accumulator();
    let values = array
        .into_iter()
        .filter_map(|expr| errors.handle(element(expr)))
        .collect();
    errors.finish_with(Arg {
        key: meta.path().clone(),
        value: values,
    })
}

fn read_scopes(meta: &Meta) -> darling::Result<Arg<Vec<ScopeArg>>> {
    elements(meta, "scopes = [UserScope::Email, \"read\"]", |element| {
        if let Some(lit) = lit_str(element) {
            return Ok(ScopeArg::Literal(lit.clone()));
        }
        match unwrap_expr(element) {
            Expr::Path(path) if path.qself.is_none() => Ok(ScopeArg::Variant(path.path.clone())),
            _ => Err(attr::error(
                element,
                "a scope is a string literal (\"read\") or a `UserScope` variant \
                 (`UserScope::Email`)",
            )),
        }
    })
}

fn read_resources(meta: &Meta) -> darling::Result<Arg<Vec<LitStr>>> {
    elements(
        meta,
        "resources = [\"https://api.example.com\"]",
        |element| {
            lit_str(element).cloned().ok_or_else(|| {
                attr::error(
                    element,
                    "a resource is a string literal, e.g. \"https://api.example.com\"",
                )
            })
        },
    )
}

fn read_claims(meta: &Meta) -> darling::Result<Arg<Vec<Path>>> {
    elements(meta, "claims = [User]", |element| {
        match unwrap_expr(element) {
            Expr::Path(path) if path.qself.is_none() => Ok(path.path.clone()),
            _ => Err(attr::error(
                element,
                "`claims` lists types that derive `logto::Claims`, by name: write `claims = [User]`",
            )),
        }
    })
}

fn read_prompt(meta: &Meta) -> darling::Result<Arg<LitStr>> {
    attr::string(
        meta,
        "prompt = \"consent\"",
        CONTEXT,
        "`prompt` is a string of space-separated values: write `prompt = \"consent\"` or \
         `prompt = \"login consent\"`",
    )
}

/// The keyword that starts `item` (`enum`, `fn`, ...), where "this is not a struct" points.
fn item_keyword(item: &syn::Item) -> TokenStream {
    use quote::ToTokens;
    match item {
        syn::Item::Enum(item) => item.enum_token.to_token_stream(),
        syn::Item::Union(item) => item.union_token.to_token_stream(),
        syn::Item::Fn(item) => item.sig.fn_token.to_token_stream(),
        syn::Item::Type(item) => item.type_token.to_token_stream(),
        syn::Item::Trait(item) => item.trait_token.to_token_stream(),
        syn::Item::Impl(item) => item.impl_token.to_token_stream(),
        other => other.to_token_stream(),
    }
}
