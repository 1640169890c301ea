//! Checks each field of a claims type against the catalog (or its custom declaration)
//! and the fields against each other, into a [`ClaimsType`].

use proc_macro2::TokenStream;
use quote::{ToTokens, quote_spanned};
use syn::{LitStr, Type, ext::IdentExt, spanned::Spanned};

use super::{
    model::{ClaimField, ClaimsType},
    parse::{FieldInput, Input},
    shape::{self, Shape},
};
use crate::{
    attr::{CUSTOM, SCOPE, USERINFO},
    catalog::{self, Claim, Presence, Source, ValueType},
    errors::Errors,
    scopes,
};

/// Checks every field, reporting all problems; the result holds the valid fields.
pub(super) fn check(input: Input, errors: &mut Errors) -> ClaimsType {
    let mut fields: Vec<ClaimField> = Vec::new();
    for field in input.fields {
        let Some(checked) = check_field(&field, errors) else {
            continue;
        };
        if let Some(first) = fields.iter().find(|f| f.claim == checked.claim) {
            errors.spanned(
                name_tokens(&field),
                format!(
                    "claim `{}` is already read by field `{}`: remove one of the two fields, \
                     or point this one at another claim",
                    checked.claim, first.ident
                ),
            );
            continue;
        }
        fields.push(checked);
    }
    let claims = ClaimsType {
        ident: input.ident,
        fields,
        config: input.config,
    };
    require_config(&claims, errors);
    claims
}

/// A type that reads claims of a scope beyond those every sign-in requests names the
/// config that requests it, so the build can check it does: without that scope the
/// provider leaves the claims out, and the fields would quietly be `None`.
fn require_config(claims: &ClaimsType, errors: &mut Errors) {
    if claims.config.is_some() {
        return;
    }
    let needed = claims.scope_fields();
    let Some((_, field)) = needed.first() else {
        return;
    };
    let all: Vec<String> = needed.iter().map(|(s, _)| format!("`{s}`")).collect();
    let ty = &claims.ident;
    errors.spanned(
        &field.ident,
        format!(
            "`{ty}` reads claims of the scope{} {}, which a sign-in requests only when its \
             config asks (else `{}` is always empty): name the config on the type, \
             `#[claims(config = Auth)]`, list `{ty}` in its `claims = [...]`, and the build \
             checks that it does",
            if all.len() == 1 { "" } else { "s" },
            all.join(", "),
            field.ident.unraw(),
        ),
    );
}

/// The tokens that name the claim: the `rename` literal, else the field's name.
fn name_tokens(field: &FieldInput) -> TokenStream {
    match &field.attrs.rename {
        Some(rename) => rename.to_token_stream(),
        None => field.ident.to_token_stream(),
    }
}

fn check_field(field: &FieldInput, errors: &mut Errors) -> Option<ClaimField> {
    let claim = field
        .attrs
        .rename
        .as_ref()
        .map_or_else(|| field.ident.unraw().to_string(), LitStr::value);
    if field.attrs.custom.is_some() {
        return check_custom(field, claim, errors);
    }
    // `scope` and `userinfo` describe a claim the catalog does not know.
    for (key, tokens) in [
        (
            SCOPE,
            field.attrs.scope.as_ref().map(ToTokens::to_token_stream),
        ),
        (
            USERINFO,
            field.attrs.userinfo.as_ref().map(ToTokens::to_token_stream),
        ),
    ] {
        if let Some(tokens) = tokens {
            let known = catalog::lookup(&claim).map_or_else(String::new, |known| {
                format!(
                    " (Logto's `{claim}` needs scope `{}`: nothing to write)",
                    known.scope
                )
            });
            errors.spanned(
                tokens,
                format!(
                    "`{key}` is only for custom claims: add `{CUSTOM}` to declare a claim \
                     outside Logto's catalog, or remove `{key}`{known}"
                ),
            );
        }
    }
    let Some(known) = catalog::lookup(&claim) else {
        errors.spanned(
            name_tokens(field),
            unknown_claim(&claim, field.attrs.rename.is_some()),
        );
        return None;
    };
    let value = match check_type(known, &field.ty) {
        Ok(value) => value,
        Err(message) => {
            errors.spanned(&field.ty, message);
            return None;
        }
    };
    Some(ClaimField {
        ident: field.ident.clone(),
        claim,
        scope: known.scope.to_owned(),
        source: known.source,
        presence: known.presence,
        value,
        span: field.ty.span(),
    })
}

fn unknown_claim(claim: &str, renamed: bool) -> String {
    const CUSTOM_HINT: &str =
        "for a claim of your own, write `#[claim(custom, scope = \"<scope that grants it>\")]`";
    match (catalog::suggest(claim), renamed) {
        (Some(close), true) => format!(
            "`{claim}` is not a Logto claim: did you mean `{close}`? Write \
             `rename = \"{close}\"`; {CUSTOM_HINT}"
        ),
        (Some(close), false) => format!(
            "`{claim}` is not a Logto claim: did you mean `{close}`? Rename the field, or keep \
             its name and add `#[claim(rename = \"{close}\")]`; {CUSTOM_HINT}"
        ),
        (None, _) => format!(
            "`{claim}` is not a Logto claim (the docs of `logto::Claims` list them): name a \
             claim of that list; {CUSTOM_HINT}"
        ),
    }
}

/// The type to decode for `known` from a field of type `ty`, or what to write instead.
fn check_type(known: &Claim, ty: &Type) -> Result<TokenStream, String> {
    let shape = Shape::of(ty);
    let inner = shape.inner();
    let found = shape::value_type(inner);
    // The type the fix suggests: the user's own inner type when the catalog accepts it.
    let suggested_inner = match found {
        Some(value) if known.types.contains(&value) => value.spelling().to_owned(),
        None if known.takes_any() => shape::to_string(inner),
        _ => known.types.first().map_or("T", |v| v.spelling()).to_owned(),
    };
    let suggested = known.presence.wrap(&suggested_inner);
    let name = known.name;
    if shape.presence() != known.presence {
        return Err(match known.presence {
            Presence::Always => format!(
                "claim `{name}` is always present: write `{suggested}`, without `Option` or `Vec`"
            ),
            Presence::Optional => format!(
                "claim `{name}` may be absent (Logto leaves out or sends `null` for empty \
                 values): use `{suggested}`"
            ),
            Presence::List => format!(
                "claim `{name}` is a list, empty when absent: use `{suggested}`{}",
                if matches!(shape, Shape::Option(_)) {
                    " (no `Option` around it)"
                } else {
                    ""
                }
            ),
        });
    }
    match found {
        Some(value) if known.types.contains(&value) => {
            // Decode into the catalog's own type: a look-alike fails to compile here.
            let canonical = canonical(value);
            Ok(quote_spanned!(inner.span()=> #canonical))
        }
        _ if known.takes_any() => Ok(inner.to_token_stream()),
        _ => {
            let expected = crate::suggest::join_or(
                &known
                    .field_types()
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>(),
            );
            let unit = if known.types.contains(&ValueType::I64) {
                " (milliseconds since the Unix epoch)"
            } else {
                ""
            };
            Err(format!(
                "claim `{name}` holds {expected}{unit}, not `{}`: change the field's type to \
                 `{suggested}`",
                shape::to_string(ty)
            ))
        }
    }
}

/// The absolute path of a named catalog type, for the generated code.
fn canonical(value: ValueType) -> TokenStream {
    match value {
        ValueType::String => quote::quote!(::std::string::String),
        ValueType::Bool => quote::quote!(::core::primitive::bool),
        ValueType::I64 => quote::quote!(::core::primitive::i64),
        ValueType::U64 => quote::quote!(::core::primitive::u64),
        ValueType::UnixMillis => quote::quote!(::logto::__private::UnixMillis),
        ValueType::Address => quote::quote!(::logto::__private::Address),
        ValueType::OrganizationRole => quote::quote!(::logto::__private::OrganizationRole),
        ValueType::OrganizationData => quote::quote!(::logto::__private::OrganizationData),
        // Never named; kept total so a new variant is a compile error here.
        ValueType::Any => quote::quote!(_),
    }
}

fn check_custom(field: &FieldInput, claim: String, errors: &mut Errors) -> Option<ClaimField> {
    let custom = field.attrs.custom.as_ref()?;
    let mut ok = true;
    if let Some(known) = catalog::lookup(&claim) {
        errors.spanned(
            custom,
            format!(
                "`{claim}` is a Logto claim, so it is not custom: remove `{CUSTOM}` (and any \
                 `{SCOPE}`/`{USERINFO}`); the catalog gives its type (`{}`) and scope (`{}`)",
                known.field_types().join("` or `"),
                known.scope
            ),
        );
        ok = false;
    }
    let scope = match &field.attrs.scope {
        None => {
            errors.spanned(
                custom,
                format!(
                    "custom claim `{claim}` needs the scope that grants it, so sign-in can \
                     request it: write `#[claim(custom, scope = \"<scope>\")]`"
                ),
            );
            None
        }
        Some(scope) => match scopes::check_token(&scope.value()) {
            Ok(()) => Some(scope.value()),
            Err(message) => {
                errors.spanned(scope, message);
                None
            }
        },
    };
    let shape = Shape::of(&field.ty);
    if matches!(shape, Shape::Bare(_)) {
        let ty = shape::to_string(&field.ty);
        errors.spanned(
            &field.ty,
            format!(
                "custom claim `{claim}` may be absent: use `Option<{ty}>`, or `Vec<...>` for a \
                 list (empty when absent)"
            ),
        );
        ok = false;
    }
    let scope = scope?;
    if !ok {
        return None;
    }
    Some(ClaimField {
        ident: field.ident.clone(),
        claim,
        scope,
        source: if field.attrs.userinfo.is_some() {
            Source::Userinfo
        } else {
            Source::IdToken
        },
        presence: shape.presence(),
        value: shape.inner().to_token_stream(),
        span: field.ty.span(),
    })
}
