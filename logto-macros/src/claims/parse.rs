//! The syntax of `#[derive(Claims)]`: a struct's named fields and their `#[claim(...)]`
//! attributes, as written.

use darling::{FromMeta, ast::NestedMeta};
use syn::{Data, DeriveInput, Fields, GenericParam, Ident, LitStr, Meta, Path, Type};

use crate::{
    attr::{self, Arg, CLAIM, CLAIM_KEYS, CLAIMS_ATTR, CLAIMS_KEYS},
    errors::Errors,
};

/// The derive's name in messages.
pub(super) const CONTEXT: &str = "`#[claim]`";

/// The struct, as written.
pub(super) struct Input {
    /// Its name.
    pub ident: Ident,
    /// Its fields, in order.
    pub fields: Vec<FieldInput>,
    /// `#[claims(config = Auth)]`: the config that requests its scopes.
    pub config: Option<Path>,
}

/// One named field.
pub(super) struct FieldInput {
    /// The field's name.
    pub ident: Ident,
    /// The field's type.
    pub ty: Type,
    /// Its `#[claim(...)]` arguments.
    pub attrs: FieldAttrs,
}

/// The arguments of a field's `#[claim(...)]` attributes.
#[derive(Default)]
pub(super) struct FieldAttrs {
    /// `rename = "..."`.
    pub rename: Option<LitStr>,
    /// `custom`, kept for its span.
    pub custom: Option<Path>,
    /// `scope = "..."`.
    pub scope: Option<LitStr>,
    /// `userinfo`, kept for its span.
    pub userinfo: Option<Path>,
}

/// The struct's fields; `None` (with an error) when it is not a struct with named fields.
pub(super) fn input(input: &DeriveInput, errors: &mut Errors) -> Option<Input> {
    const SHAPE: &str = "`#[derive(Claims)]` needs a struct with named fields, one per \
                         claim: `struct User { sub: String, email: Option<String> }`";
    let fields = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(fields) => fields,
            Fields::Unnamed(fields) => {
                errors.spanned(
                    fields,
                    format!("{SHAPE}; a tuple struct has no field names to match claims"),
                );
                return None;
            }
            Fields::Unit => {
                errors.spanned(
                    &input.ident,
                    format!("{SHAPE}; a unit struct holds no claims"),
                );
                return None;
            }
        },
        Data::Enum(data) => {
            errors.spanned(
                data.enum_token,
                format!("{SHAPE}; an enum cannot be built from claims"),
            );
            return None;
        }
        Data::Union(data) => {
            errors.spanned(
                data.union_token,
                format!("{SHAPE}; a union cannot be built from claims"),
            );
            return None;
        }
    };
    check_generics(&input.generics, errors);
    let fields = fields
        .named
        .iter()
        .filter_map(|field| {
            let attrs = field_attrs(&field.attrs, errors)?;
            Some(FieldInput {
                ident: field.ident.clone()?,
                ty: field.ty.clone(),
                attrs,
            })
        })
        .collect();
    let config = type_attrs(&input.attrs, errors);
    Some(Input {
        ident: input.ident.clone(),
        fields,
        config,
    })
}

/// A claims type is decoded from JSON into owned values, and its fields are checked
/// against the catalog by their written types: neither works with parameters.
fn check_generics(generics: &syn::Generics, errors: &mut Errors) {
    for param in &generics.params {
        match param {
            GenericParam::Lifetime(param) => errors.spanned(
                param,
                format!(
                    "`#[derive(Claims)]` does not support lifetimes: claims are decoded into \
                     owned values; remove `{}` and use owned types (`String`, not `&str`)",
                    param.lifetime
                ),
            ),
            GenericParam::Type(param) => errors.spanned(
                param,
                format!(
                    "`#[derive(Claims)]` does not support type parameters: it checks each \
                     field's type against Logto's claims; remove `{}` and write the concrete \
                     type (a custom claim may be any type, e.g. `serde_json::Value`)",
                    param.ident
                ),
            ),
            GenericParam::Const(param) => errors.spanned(
                param,
                format!(
                    "`#[derive(Claims)]` does not support const parameters: remove `{}`",
                    param.ident
                ),
            ),
        }
    }
}

/// `#[claims]` for the shared argument handling of [`attr`].
struct ClaimsTypeAttr;

impl attr::Attribute for ClaimsTypeAttr {
    const CONTEXT: &'static str = "`#[claims]`";
    const KEYS: &'static [attr::Symbol] = CLAIMS_KEYS;
}

/// What darling reads of `#[claims(...)]`.
#[derive(FromMeta)]
struct TypeRaw {
    #[darling(multiple, with = read_config)]
    config: Vec<Arg<Path>>,
}

fn read_config(meta: &Meta) -> darling::Result<Arg<Path>> {
    attr::config(meta, "`#[claims]`")
}

/// The config named by the struct's `#[claims(config = ...)]` attributes, if any.
fn type_attrs(attrs: &[syn::Attribute], errors: &mut Errors) -> Option<Path> {
    let mut metas = Vec::new();
    for attribute in attrs.iter().filter(|a| a.path() == &CLAIMS_ATTR) {
        match &attribute.meta {
            Meta::List(list) => {
                if let Some(parsed) = errors.take(NestedMeta::parse_meta_list(list.tokens.clone()))
                {
                    metas.extend(parsed);
                }
            }
            other => errors.spanned(
                other,
                "name the config that requests this type's scopes: `#[claims(config = Auth)]`",
            ),
        }
    }
    let raw = attr::read::<ClaimsTypeAttr, TypeRaw>(metas, errors)?;
    attr::once::<ClaimsTypeAttr, _>(raw.config, errors).map(|arg| arg.value)
}

/// `#[claim]` for the shared argument handling of [`attr`].
pub(super) struct ClaimAttr;

impl attr::Attribute for ClaimAttr {
    const CONTEXT: &'static str = CONTEXT;
    const KEYS: &'static [attr::Symbol] = CLAIM_KEYS;
}

/// What darling reads: every key collected (`multiple`), so a repeated one is reported
/// by [`attr::once`] in our words; [`attr::read`] keeps unknown keys away from it. Field
/// names are the keys of [`CLAIM_KEYS`].
#[derive(FromMeta)]
struct Raw {
    #[darling(multiple, with = read_rename)]
    rename: Vec<Arg<LitStr>>,
    #[darling(multiple, with = read_flag)]
    custom: Vec<Arg<()>>,
    #[darling(multiple, with = read_scope)]
    scope: Vec<Arg<LitStr>>,
    #[darling(multiple, with = read_flag)]
    userinfo: Vec<Arg<()>>,
}

/// Reads every `#[claim(...)]` of a field together, so a key repeated across two
/// attributes is reported like one repeated in a single attribute. `None` when a value
/// could not be read (the error says why): the field is then left unchecked rather
/// than checked as if it had no attribute.
fn field_attrs(attrs: &[syn::Attribute], errors: &mut Errors) -> Option<FieldAttrs> {
    let mut metas = Vec::new();
    for attribute in attrs.iter().filter(|a| a.path() == &CLAIM) {
        match &attribute.meta {
            Meta::List(list) => {
                if let Some(parsed) = errors.take(NestedMeta::parse_meta_list(list.tokens.clone()))
                {
                    metas.extend(parsed);
                }
            }
            other => errors.spanned(
                other,
                format!(
                    "write the claim's arguments in parentheses: `#[claim(rename = \"...\")]`, \
                     with {}",
                    crate::suggest::one_of(CLAIM_KEYS.iter().map(|key| key.0))
                ),
            ),
        }
    }
    let raw = attr::read::<ClaimAttr, Raw>(metas, errors)?;
    Some(FieldAttrs {
        rename: attr::once::<ClaimAttr, _>(raw.rename, errors).map(|arg| arg.value),
        custom: attr::once::<ClaimAttr, _>(raw.custom, errors).map(|arg| arg.key),
        scope: attr::once::<ClaimAttr, _>(raw.scope, errors).map(|arg| arg.value),
        userinfo: attr::once::<ClaimAttr, _>(raw.userinfo, errors).map(|arg| arg.key),
    })
}

fn read_rename(meta: &Meta) -> darling::Result<Arg<LitStr>> {
    string(meta, "rename = \"email\"")
}

fn read_scope(meta: &Meta) -> darling::Result<Arg<LitStr>> {
    string(meta, "scope = \"my_scope\"")
}

fn string(meta: &Meta, example: &str) -> darling::Result<Arg<LitStr>> {
    let key = attr::path_to_string(meta.path());
    attr::string(
        meta,
        example,
        CONTEXT,
        &format!("`{key}` is a string literal: write `{example}`"),
    )
}

fn read_flag(meta: &Meta) -> darling::Result<Arg<()>> {
    attr::flag(meta, CONTEXT)
}
