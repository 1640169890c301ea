//! The syntax of `#[logto::protected(...)]`: which function, and the arguments as
//! written.

use darling::{FromMeta, ast::NestedMeta};
use proc_macro2::TokenStream;
use syn::{Expr, ItemFn, LitStr, Meta, Path};

use crate::{
    attr::{self, Arg, PROTECTED_KEYS, lit_str, unwrap_expr},
    errors::Errors,
};

/// The macro's name in messages.
pub(super) const CONTEXT: &str = "`#[logto::protected]`";

/// The arguments as written, before any check.
#[derive(Default)]
pub(super) struct Args {
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
pub(super) fn handler(item: TokenStream, errors: &mut Errors) -> Option<ItemFn> {
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

/// `#[logto::protected]` for the shared argument handling of [`attr`].
pub(super) struct ProtectedAttr;

impl attr::Attribute for ProtectedAttr {
    const CONTEXT: &'static str = CONTEXT;
    const KEYS: &'static [attr::Symbol] = PROTECTED_KEYS;
}

/// What darling reads: every key collected (`multiple`), so a repeated one is reported
/// by [`attr::once`] in our words; [`attr::read`] keeps unknown keys away from it. Field
/// names are the keys of [`PROTECTED_KEYS`].
#[derive(Default, FromMeta)]
struct Raw {
    #[darling(multiple, with = read_scope)]
    scope: Vec<Arg<ScopeValue>>,
    #[darling(multiple, with = read_resource)]
    resource: Vec<Arg<LitStr>>,
    #[darling(multiple, with = read_organization)]
    organization: Vec<Arg<LitStr>>,
    #[darling(multiple, with = read_config)]
    config: Vec<Arg<Path>>,
    #[darling(multiple, with = read_flag)]
    bearer_only: Vec<Arg<()>>,
    #[darling(multiple, with = read_flag)]
    redirect: Vec<Arg<()>>,
    #[darling(multiple, with = read_flag)]
    allow_organization_scoped_tokens: Vec<Arg<()>>,
}

/// What `scope = ...` holds.
enum ScopeValue {
    /// `scope = "read"` or `scope = ["read", "write"]`.
    Scopes(Vec<LitStr>),
    /// `scope = []`, kept for the check's error.
    Empty(Expr),
}

/// The arguments of the attribute, each checked for its syntax; all errors are
/// reported, and the arguments hold the values that could be read.
pub(super) fn args(tokens: TokenStream, errors: &mut Errors) -> Args {
    let Some(metas) = errors.take(NestedMeta::parse_meta_list(tokens)) else {
        return Args::default();
    };
    let raw: Raw = attr::read_readable::<ProtectedAttr, _>(metas, errors);
    let mut args = Args::default();
    match attr::once::<ProtectedAttr, _>(raw.scope, errors).map(|arg| arg.value) {
        Some(ScopeValue::Scopes(scopes)) => args.scopes = scopes,
        Some(ScopeValue::Empty(empty)) => args.empty_scope_list = Some(empty),
        None => {}
    }
    args.resource = attr::once::<ProtectedAttr, _>(raw.resource, errors).map(|arg| arg.value);
    args.organization =
        attr::once::<ProtectedAttr, _>(raw.organization, errors).map(|arg| arg.value);
    args.config = attr::once::<ProtectedAttr, _>(raw.config, errors).map(|arg| arg.value);
    // Flags are kept as written, for the spans of the errors that combine them.
    let mut written =
        |flag: Vec<Arg<()>>| attr::once::<ProtectedAttr, _>(flag, errors).map(|arg| arg.key);
    args.bearer_only = written(raw.bearer_only);
    args.redirect = written(raw.redirect);
    args.allow_organization_scoped_tokens = written(raw.allow_organization_scoped_tokens);
    args
}

fn read_scope(meta: &Meta) -> darling::Result<Arg<ScopeValue>> {
    let value = attr::value(meta, "scope = \"read\"", CONTEXT)?;
    let scopes = match unwrap_expr(value) {
        Expr::Array(array) if array.elems.is_empty() => ScopeValue::Empty(value.clone()),
        Expr::Array(array) => {
            let mut errors = darling::Error::accumulator();
            let scopes = array
                .elems
                .iter()
                .filter_map(|element| {
                    errors.handle(lit_str(element).cloned().ok_or_else(|| {
                        attr::error(
                            element,
                            "a scope is a string literal: write `scope = [\"read\", \"write\"]`",
                        )
                    }))
                })
                .collect();
            errors.finish()?;
            ScopeValue::Scopes(scopes)
        }
        _ => match lit_str(value) {
            Some(lit) => ScopeValue::Scopes(vec![lit.clone()]),
            None => {
                return Err(attr::error(
                    value,
                    "the macro reads the scope at compile time: write a string literal, \
                     `scope = \"read\"`, or a list, `scope = [\"read\", \"write\"]`",
                ));
            }
        },
    };
    Ok(Arg {
        key: meta.path().clone(),
        value: scopes,
    })
}

fn read_resource(meta: &Meta) -> darling::Result<Arg<LitStr>> {
    attr::string(
        meta,
        "resource = \"https://api.example.com\"",
        CONTEXT,
        "the macro reads the resource at compile time: write a string literal, \
         `resource = \"https://api.example.com\"`",
    )
}

fn read_organization(meta: &Meta) -> darling::Result<Arg<LitStr>> {
    attr::string(
        meta,
        "organization = \"org_id\"",
        CONTEXT,
        "`organization` names the path parameter that holds the organization id, as a \
         string: write `organization = \"org_id\"` for a route `/orgs/{org_id}/...`",
    )
}

fn read_config(meta: &Meta) -> darling::Result<Arg<Path>> {
    attr::config(meta, CONTEXT)
}

fn read_flag(meta: &Meta) -> darling::Result<Arg<()>> {
    attr::flag(meta, CONTEXT)
}
