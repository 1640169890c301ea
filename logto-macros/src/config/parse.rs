//! The syntax of `#[logto::config(...)]`: which struct, and the arguments as written.

use darling::ast::NestedMeta;
use proc_macro2::TokenStream;
use syn::{Expr, Ident, LitStr, Path};

use crate::{
    attr::{self, CLAIMS, CONFIG_KEYS, PROMPT, RESOURCES, SCOPES, lit_str, unwrap_expr},
    errors::Errors,
};

/// The macro's name in messages.
pub const CONTEXT: &str = "`#[logto::config]`";

/// The struct that receives the implementation.
pub struct Target {
    /// Its name.
    pub ident: Ident,
}

/// The arguments as written, before any check.
#[derive(Default)]
pub struct Args {
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
pub enum ScopeArg {
    /// `"read"`.
    Literal(LitStr),
    /// `UserScope::Email` (any path; resolved by the check).
    Variant(Path),
}

/// The struct the attribute is on; `None` (with an error) for anything else.
pub fn target(item: TokenStream, errors: &mut Errors) -> Option<Target> {
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

/// The arguments of the attribute, each checked for its syntax.
pub fn args(tokens: TokenStream, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    let Some(metas) = errors.take(NestedMeta::parse_meta_list(tokens)) else {
        return args;
    };
    for arg in attr::parse_args(metas, CONFIG_KEYS, CONTEXT, errors) {
        let key = arg.key;
        if key == SCOPES {
            let value = errors.take(arg.value("scopes = [UserScope::Email, \"read\"]"));
            for element in value.map(|v| array(key, v, errors)).unwrap_or_default() {
                if let Some(scope) = scope(element, errors) {
                    args.scopes.push(scope);
                }
            }
        } else if key == RESOURCES {
            let value = errors.take(arg.value("resources = [\"https://api.example.com\"]"));
            for element in value.map(|v| array(key, v, errors)).unwrap_or_default() {
                match lit_str(element) {
                    Some(lit) => args.resources.push(lit.clone()),
                    None => errors.spanned(
                        element,
                        "a resource is a string literal, e.g. \"https://api.example.com\"",
                    ),
                }
            }
        } else if key == CLAIMS {
            let value = errors.take(arg.value("claims = [User]"));
            for element in value.map(|v| array(key, v, errors)).unwrap_or_default() {
                match unwrap_expr(element) {
                    Expr::Path(path) if path.qself.is_none() => args.claims.push(path.path.clone()),
                    _ => errors.spanned(
                        element,
                        "`claims` lists types that derive `logto::Claims`, by name: \
                         write `claims = [User]`",
                    ),
                }
            }
        } else if key == PROMPT {
            let value = errors.take(arg.value("prompt = \"consent\""));
            match value.map(|v| (v, lit_str(v))) {
                Some((_, Some(lit))) => args.prompt = Some(lit.clone()),
                Some((value, None)) => errors.spanned(
                    value,
                    "`prompt` is a string of space-separated values: write \
                     `prompt = \"consent\"` or `prompt = \"login consent\"`",
                ),
                None => {}
            }
        }
    }
    args
}

/// The elements of a `key = [...]` list; a lone element gets the brackets suggested.
fn array<'a>(key: attr::Symbol, value: &'a Expr, errors: &mut Errors) -> Vec<&'a Expr> {
    match unwrap_expr(value) {
        Expr::Array(array) => array.elems.iter().collect(),
        other => {
            let written = quote::ToTokens::to_token_stream(other);
            errors.spanned(
                value,
                format!("`{key}` is a list: write `{key} = [{written}]`"),
            );
            Vec::new()
        }
    }
}

fn scope(element: &Expr, errors: &mut Errors) -> Option<ScopeArg> {
    if let Some(lit) = lit_str(element) {
        return Some(ScopeArg::Literal(lit.clone()));
    }
    match unwrap_expr(element) {
        Expr::Path(path) if path.qself.is_none() => Some(ScopeArg::Variant(path.path.clone())),
        _ => {
            errors.spanned(
                element,
                "a scope is a string literal (\"read\") or a `UserScope` variant \
                 (`UserScope::Email`)",
            );
            None
        }
    }
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
