//! Checks the arguments of `#[logto::config]` and resolves them into a [`Config`].

use syn::{LitStr, Path};

use super::{
    model::{Config, Scope},
    parse::{Args, ScopeArg},
};
use crate::{attr::path_to_string, errors::Errors, resources, scopes, suggest};

/// The values `prompt` may hold (OIDC Core §3.1.2.1).
const PROMPT_VALUES: &[&str] = &["none", "login", "consent", "select_account"];

/// Checks every argument, reporting all problems; the result holds the valid parts.
pub(super) fn check(args: Args, errors: &mut Errors) -> Config {
    Config {
        scopes: check_scopes(args.scopes, errors),
        resources: check_resources(args.resources, errors),
        claims: check_claims(args.claims, errors),
        prompt: args.prompt.and_then(|prompt| check_prompt(&prompt, errors)),
    }
}

fn check_scopes(args: Vec<ScopeArg>, errors: &mut Errors) -> Vec<Scope> {
    // (scope string, how it was first written) of every scope seen so far.
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut checked = Vec::new();
    for arg in args {
        let (value, written, scope) = match arg {
            ScopeArg::Literal(lit) => {
                let value = lit.value();
                if let Err(message) = scopes::check_token(&value) {
                    errors.spanned(&lit, message);
                    continue;
                }
                let written = format!("\"{value}\"");
                (value, written, Scope::Literal(lit))
            }
            ScopeArg::Variant(path) => {
                let Some(user_scope) = resolve_variant(&path, errors) else {
                    continue;
                };
                let written = path_to_string(&path);
                let scope = Scope::Variant {
                    path,
                    scope: user_scope.scope,
                };
                (user_scope.scope.to_owned(), written, scope)
            }
        };
        let tokens = match &scope {
            Scope::Literal(lit) => quote::ToTokens::to_token_stream(lit),
            Scope::Variant { path, .. } => quote::ToTokens::to_token_stream(path),
        };
        if let Some((_, first)) = seen.iter().find(|(seen, _)| *seen == value) {
            errors.spanned(
                tokens,
                format!("scope `{value}` is requested twice (first as `{first}`): remove this one"),
            );
            continue;
        }
        seen.push((value.clone(), written));
        // Written by hand is fine but redundant: every sign-in requests these, and
        // `Config::SCOPES` is documented to leave them out.
        if !scopes::is_always_requested(&value) {
            checked.push(scope);
        }
    }
    checked
}

/// The `UserScope` variant `path` names, or an error that says what to write.
fn resolve_variant(path: &Path, errors: &mut Errors) -> Option<scopes::UserScope> {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let variants = || scopes::USER_SCOPES.iter().map(|s| s.variant);
    match segments.as_slice() {
        [.., parent, variant] if parent == "UserScope" => {
            let found = scopes::by_variant(variant);
            if found.is_none() {
                let expected = suggest::one_of(variants());
                let fault = format!("`UserScope` has no variant `{variant}`");
                let message = match suggest::did_you_mean(variant, variants()) {
                    Some(close) => {
                        format!("{fault}: did you mean `UserScope::{close}`? (expected {expected})")
                    }
                    None => format!("{fault}: expected {expected}"),
                };
                errors.spanned(path.segments.last(), message);
            }
            found
        }
        [name] if scopes::by_variant(name).is_some() => {
            errors.spanned(path, format!("write `UserScope::{name}`"));
            None
        }
        _ => {
            errors.spanned(
                path,
                format!(
                    "the macro reads scopes at compile time, so `{}` cannot be one: write a \
                     string literal (\"read\") or a `UserScope` variant (`UserScope::Email`)",
                    path_to_string(path)
                ),
            );
            None
        }
    }
}

fn check_resources(resources: Vec<LitStr>, errors: &mut Errors) -> Vec<LitStr> {
    let mut checked: Vec<LitStr> = Vec::new();
    for lit in resources {
        let value = lit.value();
        if let Err(message) = resources::check(&value) {
            errors.spanned(&lit, message);
        } else if checked.iter().any(|seen| seen.value() == value) {
            errors.spanned(
                &lit,
                format!("resource `{value}` is listed twice: remove this one"),
            );
        } else {
            checked.push(lit);
        }
    }
    checked
}

fn check_claims(claims: Vec<Path>, errors: &mut Errors) -> Vec<Path> {
    let mut checked: Vec<Path> = Vec::new();
    for path in claims {
        let name = path_to_string(&path);
        if checked.iter().any(|seen| path_to_string(seen) == name) {
            errors.spanned(
                &path,
                format!("`{name}` is listed twice in `claims`: remove this one"),
            );
        } else {
            checked.push(path);
        }
    }
    checked
}

/// The normalized prompt (values separated by one space), or `None` after an error.
fn check_prompt(prompt: &LitStr, errors: &mut Errors) -> Option<LitStr> {
    let value = prompt.value();
    let values: Vec<&str> = value.split_whitespace().collect();
    let expected = suggest::one_of(PROMPT_VALUES.iter().copied());
    let problem = if values.is_empty() {
        Some(format!(
            "`prompt` cannot be empty: remove it to use the default \"consent\" (needed for \
             a refresh token), or write some of {expected}"
        ))
    } else if let Some(unknown) = values.iter().find(|v| !PROMPT_VALUES.contains(v)) {
        Some(suggest::unknown(
            &format!("unknown prompt value `{unknown}`"),
            unknown,
            PROMPT_VALUES,
        ))
    } else if let Some((_, twice)) = values
        .iter()
        .enumerate()
        .find(|(i, v)| values[..*i].contains(v))
    {
        Some(format!("prompt value `{twice}` is written twice: keep one"))
    } else if values.len() > 1 && values.contains(&"none") {
        Some(
            "`none` cannot be combined with other prompt values (OIDC Core §3.1.2.1): write \
             `prompt = \"none\"` alone, or drop `none`"
                .to_owned(),
        )
    } else {
        None
    };
    match problem {
        Some(message) => {
            errors.spanned(prompt, message);
            None
        }
        None => Some(LitStr::new(&values.join(" "), prompt.span())),
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;
    use crate::config::parse;

    fn check_tokens(tokens: proc_macro2::TokenStream) -> (Config, Vec<String>) {
        let mut errors = Errors::default();
        let args = parse::args(tokens, &mut errors);
        let config = check(args, &mut errors);
        let messages = match errors.finish() {
            Ok(()) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        };
        (config, messages)
    }

    fn scope_values(config: &Config) -> Vec<String> {
        config
            .scopes
            .iter()
            .map(|scope| match scope {
                Scope::Literal(lit) => lit.value(),
                Scope::Variant { path, .. } => path_to_string(path),
            })
            .collect()
    }

    #[test]
    fn accepts_the_design_example() {
        let (config, errors) = check_tokens(quote! {
            scopes = [UserScope::Email, UserScope::Organizations, "read", "write"],
            resources = ["https://shopping.your-app.com/api"],
            claims = [User, crate::Admin],
            prompt = "login  consent",
        });
        assert_eq!(errors, Vec::<String>::new());
        assert_eq!(
            scope_values(&config),
            [
                "UserScope::Email",
                "UserScope::Organizations",
                "read",
                "write"
            ]
        );
        assert_eq!(config.resources.len(), 1);
        assert_eq!(config.claims.len(), 2);
        assert_eq!(
            config.prompt.map(|p| p.value()).as_deref(),
            Some("login consent")
        );
    }

    #[test]
    fn drops_the_scopes_every_sign_in_requests() {
        let (config, errors) = check_tokens(quote!(
            scopes = ["openid", UserScope::Profile, "offline_access", "read"]
        ));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(scope_values(&config), ["read"]);
    }

    #[test]
    fn reports_every_mistake_at_once() {
        let (_, errors) = check_tokens(quote! {
            scopes = ["read write", "", UserScope::Emial, "email", logto::UserScope::Email, READ],
            resources = ["api.example.com", "https://a.example.com#x", "urn:logto:resource:organizations",
                         "https://b.example.com", "https://b.example.com"],
            claims = [User, User],
            prompt = "consnet",
        });
        let expected = [
            "contains whitespace",
            "cannot be empty",
            "did you mean `UserScope::Email`?",
            "scope `email` is requested twice (first as `\"email\"`)",
            "cannot be one: write a string literal",
            "not an absolute URI",
            "has a fragment `#x`",
            "is reserved",
            "resource `https://b.example.com` is listed twice",
            "`User` is listed twice",
            "unknown prompt value `consnet`: did you mean `consent`?",
        ];
        assert_eq!(errors.len(), expected.len(), "{errors:#?}");
        for (error, expected) in errors.iter().zip(expected) {
            assert!(error.contains(expected), "{error:?} lacks {expected:?}");
        }
    }

    #[test]
    fn rejects_bad_prompts() {
        for (prompt, expected) in [
            ("", "cannot be empty"),
            ("none login", "cannot be combined"),
            ("login login", "written twice"),
        ] {
            let (_, errors) = check_tokens(quote!(prompt = #prompt));
            assert_eq!(errors.len(), 1, "{prompt}");
            assert!(errors[0].contains(expected), "{:?}", errors[0]);
        }
    }

    #[test]
    fn suggests_argument_names_and_shapes() {
        let (_, errors) = check_tokens(quote!(
            scope = ["read"],
            resources = "https://a.example.com"
        ));
        assert!(errors[0].contains("unknown argument `scope`"), "{errors:?}");
        assert!(errors[0].contains("did you mean `scopes`?"), "{errors:?}");
        assert!(
            errors[1].contains("write `resources = [\"https://a.example.com\"]`"),
            "{errors:?}"
        );
    }

    #[test]
    fn every_key_reaches_the_derive() {
        // The derive's field names and `CONFIG_KEYS` are two lists: a key missing from
        // the derive would be darling's "Unknown field" here.
        for key in crate::attr::CONFIG_KEYS {
            let ident = syn::Ident::new(key.0, proc_macro2::Span::call_site());
            for written in [quote!(#ident), quote!(#ident = "x")] {
                let (_, errors) = check_tokens(written);
                for error in errors {
                    assert!(!error.contains("Unknown field"), "{key}: {error}");
                    assert!(!error.contains("unknown argument"), "{key}: {error}");
                }
            }
        }
    }

    #[test]
    fn words_the_syntax_errors_darling_would_not() {
        let (_, errors) = check_tokens(quote!(prompt = "login", prompt = "consent"));
        assert_eq!(
            errors,
            ["`prompt` is given twice in `#[logto::config]`: remove this one"]
        );
        let (config, errors) = check_tokens(quote!("read", scopes = ["read"]));
        assert_eq!(
            errors,
            [
                "`#[logto::config]` takes `key = value` arguments: `scopes`, `resources`, \
                 `claims` or `prompt`"
            ]
        );
        assert_eq!(scope_values(&config), ["read"], "the rest is still read");
        let (_, errors) = check_tokens(quote!(scopes("read")));
        assert_eq!(
            errors,
            ["write `scopes = ...` instead of `scopes(...)` in `#[logto::config]`"]
        );
        let (_, errors) = check_tokens(quote!(claims));
        assert_eq!(errors, ["`claims` needs a value: write `claims = [User]`"]);
        // Every element's mistake, accumulated by darling across elements and keys.
        let (_, errors) = check_tokens(quote!(
            scopes = [1, "read", 2],
            resources = [api],
            claims = ["User"],
            prompt = consent,
        ));
        assert_eq!(errors.len(), 5, "{errors:#?}");
        assert!(
            errors[0].starts_with("a scope is a string literal"),
            "{errors:#?}"
        );
        assert!(
            errors[2].starts_with("a resource is a string literal"),
            "{errors:#?}"
        );
        assert!(errors[3].starts_with("`claims` lists types"), "{errors:#?}");
        assert!(errors[4].starts_with("`prompt` is a string"), "{errors:#?}");
        // A value that cannot be read does not hide the checks of those that can.
        let (config, errors) = check_tokens(quote!(
            scopes = "read",
            resources = ["api.example.com"],
            claims = [User, User],
        ));
        assert_eq!(errors.len(), 3, "{errors:#?}");
        assert!(
            errors[0].contains("write `scopes = [\"read\"]`"),
            "{errors:#?}"
        );
        assert!(errors[1].contains("not an absolute URI"), "{errors:#?}");
        assert!(errors[2].contains("`User` is listed twice"), "{errors:#?}");
        assert_eq!(config.claims.len(), 1);
        // A camelCase key from the JavaScript SDKs finds its key.
        let (_, errors) = check_tokens(quote!(Scopes = ["read"]));
        assert!(errors[0].contains("did you mean `scopes`?"), "{errors:#?}");
    }
}
