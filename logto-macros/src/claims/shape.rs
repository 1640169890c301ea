//! Reading a field's type by its spelling: `Option<T>`, `Vec<T>` or bare, and the
//! catalog type `T` names. A proc macro cannot resolve types, so aliases are not seen
//! through; the generated code then decodes into the catalog's own types, which makes
//! the compiler reject a look-alike.

use quote::ToTokens;
use syn::{GenericArgument, PathArguments, Type};

use crate::catalog::{Presence, ValueType};

/// The outer shape of a field's type.
#[derive(Clone, Copy)]
pub(super) enum Shape<'a> {
    /// `Option<T>`.
    Option(&'a Type),
    /// `Vec<T>`.
    Vec(&'a Type),
    /// Anything else.
    Bare(&'a Type),
}

impl<'a> Shape<'a> {
    /// The shape of `ty`.
    pub(super) fn of(ty: &'a Type) -> Self {
        let ty = unwrap(ty);
        if let Some(inner) = single_argument(ty, "Option") {
            Self::Option(inner)
        } else if let Some(inner) = single_argument(ty, "Vec") {
            Self::Vec(inner)
        } else {
            Self::Bare(ty)
        }
    }

    /// The type inside the shape.
    pub(super) fn inner(self) -> &'a Type {
        match self {
            Self::Option(inner) | Self::Vec(inner) | Self::Bare(inner) => inner,
        }
    }

    /// The presence this shape holds.
    pub(super) fn presence(self) -> Presence {
        match self {
            Self::Option(_) => Presence::Optional,
            Self::Vec(_) => Presence::List,
            Self::Bare(_) => Presence::Always,
        }
    }
}

/// The catalog type `ty` is spelled as (`String`, `std::string::String`,
/// `logto::Address`), if any.
pub(super) fn value_type(ty: &Type) -> Option<ValueType> {
    match unwrap(ty) {
        Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last()?;
            if !last.arguments.is_none() {
                return None;
            }
            ValueType::by_ident(&last.ident.to_string())
        }
        _ => None,
    }
}

/// `ty` as users write it, `Option<Vec<String>>`, for messages.
pub(super) fn to_string(ty: &Type) -> String {
    let spaced = ty.to_token_stream().to_string();
    let mut out = String::with_capacity(spaced.len());
    let mut chars = spaced.chars().peekable();
    let mut previous = None;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        // `to_string` puts a space between every two tokens; keep only the ones a
        // person would write: after `,`, and around `=` / `+` / `->` / `dyn`.
        let tight = c == ' '
            && (matches!(previous, Some('<' | ':' | '&' | '('))
                || matches!(next, Some('<' | '>' | ':' | ',' | ')')));
        if !tight {
            out.push(c);
        }
        previous = Some(c);
    }
    out
}

/// `T` in `Name<T>` (or `path::to::Name<T>`).
fn single_argument<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    let mut arguments = arguments.args.iter();
    match (arguments.next(), arguments.next()) {
        (Some(GenericArgument::Type(inner)), None) => Some(unwrap(inner)),
        _ => None,
    }
}

/// `ty` without the invisible groups of `macro_rules!` and without parentheses.
fn unwrap(mut ty: &Type) -> &Type {
    loop {
        match ty {
            Type::Group(group) => ty = &group.elem,
            Type::Paren(paren) => ty = &paren.elem,
            _ => return ty,
        }
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    #[test]
    fn reads_shapes() {
        let ty: Type = parse_quote!(Option<String>);
        assert!(matches!(Shape::of(&ty), Shape::Option(_)));
        assert_eq!(value_type(Shape::of(&ty).inner()), Some(ValueType::String));
        let ty: Type = parse_quote!(::std::vec::Vec<logto::OrganizationRole>);
        assert!(matches!(Shape::of(&ty), Shape::Vec(_)));
        assert_eq!(
            value_type(Shape::of(&ty).inner()),
            Some(ValueType::OrganizationRole)
        );
        let ty: Type = parse_quote!(HashMap<String, Identity>);
        assert!(matches!(Shape::of(&ty), Shape::Bare(_)));
        assert_eq!(value_type(&ty), None);
    }

    #[test]
    fn prints_types_as_written() {
        let ty: Type = parse_quote!(Option<Vec<std::string::String>>);
        assert_eq!(to_string(&ty), "Option<Vec<std::string::String>>");
        let ty: Type = parse_quote!(HashMap<String, &'static str>);
        assert_eq!(to_string(&ty), "HashMap<String, &'static str>");
    }
}
