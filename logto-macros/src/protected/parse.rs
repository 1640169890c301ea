//! The syntax of `#[logto::protected(...)]`: which function, and the arguments as
//! written.

use darling::ast::NestedMeta;
use proc_macro2::TokenStream;
use syn::{Expr, ItemFn, LitStr, Path};

use crate::{
    attr::{
        self, ALLOW_ORGANIZATION_SCOPED_TOKENS, BEARER_ONLY, CONFIG, ORGANIZATION, PROTECTED_KEYS,
        REDIRECT, RESOURCE, SCOPE, lit_str, unwrap_expr,
    },
    errors::Errors,
};

/// The macro's name in messages.
pub const CONTEXT: &str = "`#[logto::protected]`";

/// The arguments as written, before any check.
#[derive(Default)]
pub struct Args {
    /// `scope = "read"` or `scope = ["read", "write"]`.
    pub scopes: Vec<LitStr>,
    /// `scope = []`, for the error.
    pub empty_scope_list: Option<Expr>,
    /// `resource = "https://..."`.
    pub resource: Option<LitStr>,
    /// `organization = "org_id"`.
    pub organization: Option<LitStr>,
    /// `config = Auth`.
    pub config: Option<Path>,
    /// `bearer_only`, as written.
    pub bearer_only: Option<Path>,
    /// `redirect`, as written.
    pub redirect: Option<Path>,
    /// `allow_organization_scoped_tokens`, as written.
    pub allow_organization_scoped_tokens: Option<Path>,
}

/// The function the attribute is on; `None` (with an error) for anything else.
pub fn handler(item: TokenStream, errors: &mut Errors) -> Option<ItemFn> {
    match syn::parse2::<syn::Item>(item) {
        Ok(syn::Item::Fn(item)) => Some(item),
        Ok(other) => {
            let first = quote::ToTokens::to_token_stream(&other)
                .into_iter()
                .find(|t| {
                    !matches!(t, proc_macro2::TokenTree::Punct(p) if p.as_char() == '#')
                        && !matches!(t, proc_macro2::TokenTree::Group(_))
                });
            errors.spanned(
                first.map(TokenStream::from).unwrap_or_default(),
                format!(
                    "{CONTEXT} goes on an axum handler, an `async fn`: e.g. \
                     `async fn orders(token: logto::AccessToken) -> String`"
                ),
            );
            None
        }
        Err(error) => {
            errors.push(error);
            None
        }
    }
}

/// The arguments of the attribute, each checked for its syntax.
pub fn args(tokens: TokenStream, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    let Some(metas) = errors.take(NestedMeta::parse_meta_list(tokens)) else {
        return args;
    };
    for arg in attr::parse_args(metas, PROTECTED_KEYS, CONTEXT, errors) {
        let key = arg.key;
        if key == SCOPE {
            let Some(value) = errors.take(arg.value("scope = \"read\"")) else {
                continue;
            };
            match unwrap_expr(value) {
                Expr::Array(array) if array.elems.is_empty() => {
                    args.empty_scope_list = Some(value.clone());
                }
                Expr::Array(array) => {
                    for element in &array.elems {
                        match lit_str(element) {
                            Some(lit) => args.scopes.push(lit.clone()),
                            None => errors.spanned(
                                element,
                                "a scope is a string literal: write `scope = [\"read\", \"write\"]`",
                            ),
                        }
                    }
                }
                _ => match lit_str(value) {
                    Some(lit) => args.scopes.push(lit.clone()),
                    None => errors.spanned(
                        value,
                        "the macro reads the scope at compile time: write a string literal, \
                         `scope = \"read\"`, or a list, `scope = [\"read\", \"write\"]`",
                    ),
                },
            }
        } else if key == RESOURCE {
            let Some(value) = errors.take(arg.value("resource = \"https://api.example.com\""))
            else {
                continue;
            };
            match lit_str(value) {
                Some(lit) => args.resource = Some(lit.clone()),
                None => errors.spanned(
                    value,
                    "the macro reads the resource at compile time: write a string literal, \
                     `resource = \"https://api.example.com\"`",
                ),
            }
        } else if key == ORGANIZATION {
            let Some(value) = errors.take(arg.value("organization = \"org_id\"")) else {
                continue;
            };
            match lit_str(value) {
                Some(lit) => args.organization = Some(lit.clone()),
                None => errors.spanned(
                    value,
                    "`organization` names the path parameter that holds the organization id, \
                     as a string: write `organization = \"org_id\"` for a route \
                     `/orgs/{org_id}/...`",
                ),
            }
        } else if key == CONFIG {
            let Some(value) = errors.take(arg.value("config = Auth")) else {
                continue;
            };
            match unwrap_expr(value) {
                Expr::Path(path) if path.qself.is_none() => args.config = Some(path.path.clone()),
                _ => errors.spanned(
                    value,
                    "`config` names the type of your `#[logto::config]`: write `config = Auth`",
                ),
            }
        } else if key == BEARER_ONLY {
            if errors.take(arg.flag()).is_some() {
                args.bearer_only = Some(arg.path);
            }
        } else if key == REDIRECT {
            if errors.take(arg.flag()).is_some() {
                args.redirect = Some(arg.path);
            }
        } else if key == ALLOW_ORGANIZATION_SCOPED_TOKENS && errors.take(arg.flag()).is_some() {
            args.allow_organization_scoped_tokens = Some(arg.path);
        }
    }
    args
}
