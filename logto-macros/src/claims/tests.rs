//! The derive on `syn::parse_quote!` inputs: the model it builds, the errors it reports.

use syn::{DeriveInput, parse_quote};

use super::{check, expand, model::ClaimsType, parse};
use crate::{catalog::Source, errors::Errors};

/// The checked model, or every error message, of `input` with `#[claims(config = Auth)]`
/// unless it has its own `#[claims]`: most tests are about the fields.
fn run(mut input: DeriveInput) -> Result<ClaimsType, Vec<String>> {
    if !input.attrs.iter().any(|a| a.path().is_ident("claims")) {
        input.attrs.push(parse_quote!(#[claims(config = Auth)]));
    }
    run_as_written(input)
}

/// The checked model, or every error message, of `input` as written.
fn run_as_written(input: DeriveInput) -> Result<ClaimsType, Vec<String>> {
    let mut errors = Errors::default();
    let parsed = parse::input(&input, &mut errors);
    let claims = parsed.map(|parsed| check::check(parsed, &mut errors));
    match (claims, errors.finish()) {
        (Some(claims), Ok(())) => Ok(claims),
        (_, Err(error)) => Err(error.into_iter().map(|e| e.to_string()).collect()),
        (None, Ok(())) => Err(vec!["no model and no error".into()]),
    }
}

fn errors(input: DeriveInput) -> Vec<String> {
    match run(input) {
        Ok(_) => panic!("expected errors"),
        Err(errors) => errors,
    }
}

fn single_error(input: DeriveInput) -> String {
    let errors = errors(input);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors.into_iter().next().unwrap_or_default()
}

#[test]
fn builds_the_design_example() {
    let claims = run(parse_quote! {
        pub struct User {
            pub sub: String,
            pub name: Option<String>,
            pub email: Option<String>,
            pub email_verified: Option<bool>,
            pub organizations: Vec<String>,
            pub custom_data: Option<serde_json::Value>,
        }
    })
    .unwrap_or_else(|errors| panic!("{errors:#?}"));
    assert_eq!(
        claims.scopes(),
        ["email", "urn:logto:scope:organizations", "custom_data"]
    );
    assert!(claims.needs_userinfo());
    let names: Vec<&str> = claims.fields.iter().map(|f| f.claim.as_str()).collect();
    assert_eq!(
        names,
        [
            "sub",
            "name",
            "email",
            "email_verified",
            "organizations",
            "custom_data"
        ]
    );
}

#[test]
fn id_token_claims_need_no_userinfo() {
    let claims = run(parse_quote! {
        struct User { sub: String, picture: Option<String>, created_at: Option<logto::UnixMillis> }
    })
    .unwrap_or_else(|errors| panic!("{errors:#?}"));
    assert!(!claims.needs_userinfo());
    assert!(claims.scopes().is_empty(), "profile is always requested");
}

#[test]
fn renames_and_custom_claims() {
    let claims = run(parse_quote! {
        struct User {
            #[claim(rename = "picture")]
            avatar: Option<String>,
            #[claim(custom, scope = "billing", userinfo)]
            plan: Option<Plan>,
            #[claim(custom, scope = "billing")]
            #[claim(rename = "seats")]
            seat_ids: Vec<u32>,
        }
    })
    .unwrap_or_else(|errors| panic!("{errors:#?}"));
    let fields: Vec<(&str, &str, Source)> = claims
        .fields
        .iter()
        .map(|f| (f.claim.as_str(), f.scope.as_str(), f.source))
        .collect();
    assert_eq!(
        fields,
        [
            ("picture", "profile", Source::IdToken),
            ("plan", "billing", Source::Userinfo),
            ("seats", "billing", Source::IdToken),
        ]
    );
    assert_eq!(claims.scopes(), ["billing"]);
}

#[test]
fn suggests_the_claim_meant() {
    let error = single_error(parse_quote!(
        struct User {
            emial: Option<String>,
        }
    ));
    assert!(
        error.contains("`emial` is not a Logto claim: did you mean `email`?"),
        "{error}"
    );
    assert!(error.contains("#[claim(rename = \"email\")]"), "{error}");
    let error = single_error(parse_quote!(
        struct User {
            #[claim(rename = "avatar")]
            a: Option<String>,
        }
    ));
    assert!(error.contains("did you mean `picture`?"), "{error}");
}

#[test]
fn says_the_expected_type() {
    let error = single_error(parse_quote!(
        struct User {
            email_verified: Option<String>,
        }
    ));
    assert!(
        error.contains("claim `email_verified` holds `Option<bool>`, not `Option<String>`"),
        "{error}"
    );
    let error = single_error(parse_quote!(
        struct User {
            created_at: Option<String>,
        }
    ));
    assert!(
        error.contains("(milliseconds since the Unix epoch)"),
        "{error}"
    );
    let error = single_error(parse_quote!(
        struct User {
            organization_roles: Vec<String>,
        }
    ));
    assert!(error.contains("`Vec<logto::OrganizationRole>`"), "{error}");
}

#[test]
fn says_where_option_or_vec_goes() {
    let error = single_error(parse_quote!(
        struct User {
            email: String,
        }
    ));
    assert!(error.contains("may be absent"), "{error}");
    assert!(error.contains("use `Option<String>`"), "{error}");
    let error = single_error(parse_quote!(
        struct User {
            created_at: u64,
        }
    ));
    assert!(error.contains("use `Option<u64>`"), "{error}");
    let error = single_error(parse_quote!(
        struct User {
            roles: Option<Vec<String>>,
        }
    ));
    assert!(
        error.contains("is a list, empty when absent: use `Vec<String>`"),
        "{error}"
    );
    let error = single_error(parse_quote!(
        struct User {
            sub: Option<String>,
        }
    ));
    assert!(error.contains("always present: write `String`"), "{error}");
    let error = single_error(parse_quote!(
        struct User {
            custom_data: serde_json::Value,
        }
    ));
    assert!(error.contains("use `Option<serde_json::Value>`"), "{error}");
}

#[test]
fn checks_the_claim_attribute() {
    let error = single_error(parse_quote!(
        struct User {
            #[claim(renmae = "email")]
            email: Option<String>,
        }
    ));
    assert!(error.contains("unknown argument `renmae`"), "{error}");
    assert!(error.contains("did you mean `rename`?"), "{error}");
    let error = single_error(parse_quote!(
        struct User {
            #[claim(custom)]
            plan: Option<String>,
        }
    ));
    assert!(error.contains("needs the scope that grants it"), "{error}");
    let error = single_error(parse_quote!(
        struct User {
            #[claim(custom, scope = "a b")]
            plan: Option<String>,
        }
    ));
    assert!(error.contains("contains whitespace"), "{error}");
    let error = single_error(parse_quote!(
        struct User {
            #[claim(scope = "email")]
            email: Option<String>,
        }
    ));
    assert!(
        error.contains("`scope` is only for custom claims"),
        "{error}"
    );
    let error = single_error(parse_quote!(
        struct User {
            #[claim(custom, scope = "x")]
            email: Option<String>,
        }
    ));
    assert!(
        error.contains("`email` is a Logto claim, so it is not custom"),
        "{error}"
    );
    let error = single_error(parse_quote!(
        struct User {
            #[claim(custom, scope = "x")]
            plan: String,
        }
    ));
    assert!(error.contains("use `Option<String>`"), "{error}");
    let error = single_error(parse_quote!(
        struct User {
            #[claim(rename = "email", rename = "b")]
            x: Option<String>,
        }
    ));
    assert!(error.contains("`rename` is given twice"), "{error}");
    let error = single_error(parse_quote!(
        struct User {
            #[claim(userinfo = true, custom, scope = "s")]
            x: Option<String>,
        }
    ));
    assert!(error.contains("takes no value"), "{error}");
    let error = single_error(parse_quote!(
        struct User {
            #[claim]
            email: Option<String>,
        }
    ));
    assert!(error.contains("in parentheses"), "{error}");
}

#[test]
fn rejects_two_fields_for_one_claim() {
    let error = single_error(parse_quote! {
        struct User { email: Option<String>, #[claim(rename = "email")] mail: Option<String> }
    });
    assert!(
        error.contains("claim `email` is already read by field `email`"),
        "{error}"
    );
}

#[test]
fn rejects_shapes_it_cannot_build() {
    for (input, expected) in [
        (
            parse_quote!(
                struct User(String);
            ),
            "a tuple struct",
        ),
        (
            parse_quote!(
                struct User;
            ),
            "a unit struct",
        ),
        (
            parse_quote!(
                enum User {
                    A,
                }
            ),
            "an enum",
        ),
        (parse_quote!(union User { a: u8 }), "a union"),
    ] {
        let error = single_error(input);
        assert!(
            error.contains("needs a struct with named fields"),
            "{error}"
        );
        assert!(error.contains(expected), "{error}");
    }
    let error = single_error(parse_quote!(
        struct User<'a> {
            sub: String,
        }
    ));
    assert!(error.contains("does not support lifetimes"), "{error}");
    let error = single_error(parse_quote!(
        struct User<T> {
            sub: String,
            custom_data: Option<T>,
        }
    ));
    assert!(
        error.contains("does not support type parameters"),
        "{error}"
    );
}

#[test]
fn reports_all_field_errors_at_once() {
    let errors = errors(parse_quote! {
        struct User { emial: Option<String>, email_verified: Option<String>, roles: String }
    });
    assert_eq!(errors.len(), 3, "{errors:#?}");
}

#[test]
fn raw_identifiers_name_their_claim() {
    // `r#type` is not a claim, but its message must say `type`, not `r#type`.
    let error = single_error(parse_quote!(
        struct User {
            r#type: Option<String>,
        }
    ));
    assert!(error.starts_with("`type` is not a Logto claim"), "{error}");
}

#[test]
fn generates_decoding_and_extractors() {
    let claims = run(parse_quote! {
        struct User {
            sub: String,
            address: Option<Address>,
            organization_data: Vec<MyOrganization>,
        }
    })
    .unwrap_or_else(|errors| panic!("{errors:#?}"));
    let generated = expand::implementation(&claims).to_string();
    for expected in [
        "impl :: logto :: Claims for User",
        "const SCOPES : & 'static [& 'static :: core :: primitive :: str] = & [\"address\" , \"urn:logto:scope:organizations\"]",
        "const NEEDS_USERINFO : :: core :: primitive :: bool = true",
        "sub : __claims . required :: < :: std :: string :: String > (\"sub\" , :: logto :: __private :: ClaimSource :: Merged) ?",
        "address : __claims . optional :: < :: logto :: __private :: Address > (\"address\"",
        "organization_data : __claims . list :: < MyOrganization > (\"organization_data\" , :: logto :: __private :: ClaimSource :: Userinfo) ?",
        "FromRequestParts < __S > for User",
        ":: logto :: __private :: extract_claims :: < Self , __S > (parts , state)",
        "OptionalFromRequestParts < __S > for User",
        ":: logto :: __private :: extract_optional_claims :: < Self , __S > (parts , state)",
    ] {
        assert!(generated.contains(expected), "{expected}\nin\n{generated}");
    }
}

#[test]
fn every_key_reaches_the_derive() {
    // The derive's field names and `CLAIM_KEYS` are two lists: a key missing from the
    // derive would be darling's "Unknown field" here.
    for key in crate::attr::CLAIM_KEYS {
        let ident = syn::Ident::new(key.0, proc_macro2::Span::call_site());
        for written in [quote::quote!(#ident), quote::quote!(#ident = "x")] {
            let input: DeriveInput = parse_quote! {
                struct User { #[claim(#written)] plan: Option<String> }
            };
            for error in run(input).err().unwrap_or_default() {
                assert!(!error.contains("Unknown field"), "{key}: {error}");
                assert!(!error.contains("unknown argument"), "{key}: {error}");
            }
        }
    }
}

#[test]
fn reads_the_attribute_into_the_model() {
    let mut errors = Errors::default();
    let input = parse::input(
        &parse_quote! {
            struct User {
                #[claim(custom, scope = "billing")]
                #[claim(userinfo, rename = "plan_id")]
                plan: Option<String>,
                email: Option<String>,
            }
        },
        &mut errors,
    )
    .unwrap_or_else(|| panic!("no input"));
    assert!(crate::attr::messages(errors).is_empty());
    let attrs = &input.fields[0].attrs;
    assert!(attrs.custom.is_some() && attrs.userinfo.is_some());
    assert_eq!(
        attrs.scope.as_ref().map(syn::LitStr::value).as_deref(),
        Some("billing")
    );
    assert_eq!(
        attrs.rename.as_ref().map(syn::LitStr::value).as_deref(),
        Some("plan_id")
    );
    let plain = &input.fields[1].attrs;
    assert!(plain.custom.is_none() && plain.rename.is_none());
}

#[test]
fn a_field_whose_attribute_cannot_be_read_is_not_checked_further() {
    // `rename = 5` is the one mistake: the field is not then reported as an unknown
    // claim `x` too.
    let errors = errors(parse_quote! {
        struct User { #[claim(rename = 5)] x: Option<String>, #[claim(renam = "a")] email: Option<String> }
    });
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert_eq!(
        errors[0],
        "`rename` is a string literal: write `rename = \"email\"`"
    );
    assert!(
        errors[1].starts_with("unknown argument `renam` of `#[claim]`: did you mean `rename`?"),
        "{errors:#?}"
    );
}

#[test]
fn a_type_that_needs_a_scope_names_its_config() {
    let found = match run_as_written(parse_quote! {
        struct User {
            sub: String,
            name: Option<String>,
            email: Option<String>,
            custom_data: Option<serde_json::Value>,
        }
    }) {
        Ok(_) => panic!("expected an error"),
        Err(found) => found,
    };
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains("`User` reads claims of the scopes `email`, `custom_data`")
            && found[0].contains("`#[claims(config = Auth)]`, list `User` in its `claims = [...]`")
            && found[0].contains("else `email` is always empty"),
        "{found:#?}"
    );
    // Only what every sign-in requests: nothing to check, no config needed.
    let claims = run_as_written(parse_quote! {
        struct Profile { sub: String, name: Option<String>, username: Option<String> }
    })
    .unwrap_or_else(|errors| panic!("{errors:#?}"));
    assert!(claims.config.is_none() && claims.scopes().is_empty());
}

#[test]
fn a_named_config_is_checked_once_per_scope() {
    let claims = run_as_written(parse_quote! {
        #[claims(config = crate::Auth)]
        struct User { sub: String, email: Option<String>, email_verified: Option<bool>, phone_number: Option<String> }
    })
    .unwrap_or_else(|errors| panic!("{errors:#?}"));
    assert_eq!(claims.config, Some(parse_quote!(crate::Auth)));
    let file: syn::File =
        syn::parse2(expand::implementation(&claims)).unwrap_or_else(|error| panic!("{error}"));
    let text = quote::quote!(#file).to_string();
    assert_eq!(
        text.matches("trait __LogtoScopeRequested").count(),
        2,
        "{text}"
    );
    assert!(
        text.contains(
            "`User` reads claims of the scope `phone`, which `crate::Auth` never requests"
        ),
        "{text}"
    );
    // The attribute's mistakes, in its own words.
    let found = match run_as_written(parse_quote! {
        #[claims(config = "Auth", confg = Auth)]
        struct User { sub: String }
    }) {
        Ok(_) => panic!("expected errors"),
        Err(found) => found,
    };
    assert!(
        found
            .iter()
            .any(|e| e.contains("unknown argument `confg` of `#[claims]`: did you mean `config`?")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|e| e.contains("`config` names the type of your `#[logto::config]`")),
        "{found:#?}"
    );
}
