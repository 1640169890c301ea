//! Every error's answer, rendered: bodies say what happened, never the provider's
//! URL, a transport error, the provider's own words or the store's message. The
//! fixtures put distinctive text in every place a detail could come from.

use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::StatusCode;

use super::{
    Rejection,
    page::error_page,
    rejection::{code_exchange_status, provider_status},
};
use crate::{
    bearer::{BearerError, InvalidToken},
    claims::ClaimError,
    context::ContextError,
    error::{CallbackError, OAuthError, OAuthErrorCode, ProviderError},
    store::StoreError,
    tokens::TokenError,
};

const HOST: &str = "idp-4a7e.internal.example";
const TRANSPORT: &str = "TRANSPORT-CHAIN-5d1b";
const PROVIDER_WORDS: &str = "PROVIDER-WORDS-9e0c";
const STORE_WORDS: &str = "STORE-WORDS-77f2";
const DECODER_WORDS: &str = "DECODER-WORDS-3b8a";

/// What no body may contain.
const SECRETS: [&str; 9] = [
    "http://",
    "https://",
    HOST,
    "127.0.0.2",
    TRANSPORT,
    PROVIDER_WORDS,
    STORE_WORDS,
    DECODER_WORDS,
    "redis://",
];

fn url() -> String {
    format!("https://{HOST}/oidc/token")
}

fn codes() -> Vec<OAuthErrorCode> {
    [
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "invalid_target",
        "access_denied",
        "insufficient_scope",
        "login_required",
        "consent_required",
        "interaction_required",
        "server_error",
        "temporarily_unavailable",
    ]
    .into_iter()
    .map(OAuthErrorCode::parse)
    .chain([OAuthErrorCode::Other(format!("mac_error_{PROVIDER_WORDS}"))])
    .collect()
}

fn oauth(code: OAuthErrorCode) -> OAuthError {
    OAuthError {
        code,
        description: Some(format!("{PROVIDER_WORDS}: see http://{HOST}/help")),
    }
}

fn provider_errors() -> Vec<ProviderError> {
    let mut errors = vec![
        ProviderError::Unreachable {
            url: url(),
            reason: format!("error sending request for url (http://127.0.0.2:1/): {TRANSPORT}"),
        },
        ProviderError::Timeout { url: url() },
        ProviderError::InvalidResponse {
            url: url(),
            reason: format!("malformed token response: {TRANSPORT}"),
        },
        ProviderError::InvalidIdToken(format!(
            "Invalid issuer: expected `http://{HOST}/oidc`, found `{PROVIDER_WORDS}`"
        )),
    ];
    errors.extend(codes().into_iter().map(|c| ProviderError::OAuth(oauth(c))));
    errors
}

fn store_errors() -> Vec<StoreError> {
    vec![
        StoreError::Unavailable(format!(
            "{STORE_WORDS}: Connection refused (os error 111) at redis://127.0.0.2:6379"
        )),
        StoreError::Timeout(Duration::from_millis(500)),
    ]
}

fn token_errors() -> Vec<TokenError> {
    let mut errors = vec![
        TokenError::SignedOut,
        TokenError::NoRefreshToken,
        TokenError::SessionEnded,
        TokenError::UnknownResource(format!("https://{HOST}/api")),
        TokenError::OrganizationsNotRequested,
        TokenError::InvalidOrganizationId(String::new()),
    ];
    errors.extend(provider_errors().into_iter().map(TokenError::Provider));
    errors.extend(store_errors().into_iter().map(TokenError::Store));
    errors
}

fn context_errors() -> Vec<ContextError> {
    let mut errors = vec![
        ContextError::NoAccessToken,
        ContextError::Claim(ClaimError::Missing { claim: "sub" }),
        ContextError::Claim(ClaimError::Malformed {
            claim: "created_at",
            reason: format!("invalid type: string \"{DECODER_WORDS}\", expected i64"),
        }),
        ContextError::Claim(ClaimError::UserinfoRequired {
            claim: "custom_data",
        }),
    ];
    errors.extend(provider_errors().into_iter().map(ContextError::Provider));
    errors.extend(store_errors().into_iter().map(ContextError::Store));
    errors.extend(token_errors().into_iter().map(ContextError::Token));
    errors
}

fn rejections() -> Vec<Rejection> {
    let mut rejections = vec![Rejection::SignedOut, Rejection::MissingLayer];
    rejections.extend(context_errors().into_iter().map(Rejection::from));
    rejections.push(Rejection::from(ContextError::ScopesNotRequested {
        claims_type: "app::User",
        scopes: vec!["email"],
    }));
    rejections
}

fn callback_errors() -> Vec<CallbackError> {
    let mut errors: Vec<CallbackError> = codes()
        .into_iter()
        .map(|c| CallbackError::Provider(oauth(c)))
        .collect();
    errors.extend([
        CallbackError::MissingState,
        CallbackError::UnknownState,
        CallbackError::MissingCode,
        CallbackError::IssuerMismatch,
    ]);
    errors.extend(provider_errors().into_iter().map(CallbackError::Exchange));
    errors
}

fn guard_rejections() -> Vec<Rejection> {
    let mut rejections = vec![
        Rejection::MissingCredentials,
        Rejection::MissingBearerToken,
        Rejection::InvalidRequest("the token is not a b64token"),
        Rejection::Misconfigured(format!("no resource {PROVIDER_WORDS} at https://{HOST}")),
        // A bearer token's faults are the client's own token's; the API's expected
        // audience (`WrongAudience`) is public by RFC 9068 and left out here.
        Rejection::Bearer(BearerError::Invalid(InvalidToken::Expired)),
        Rejection::Bearer(BearerError::Invalid(InvalidToken::UnknownKey)),
        Rejection::Bearer(BearerError::InsufficientScope {
            required: vec!["read".into()],
        }),
    ];
    rejections.extend(
        provider_errors()
            .into_iter()
            .map(|e| Rejection::Bearer(BearerError::Provider(e))),
    );
    rejections
}

async fn render(response: Response) -> (StatusCode, String) {
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn assert_clean(what: &str, status: StatusCode, body: &str) {
    for secret in SECRETS {
        assert!(
            !body.contains(secret),
            "{what}: the {status} body shows `{secret}`: {body}"
        );
    }
    assert!(!body.is_empty(), "{what}: an empty body says nothing");
}

#[tokio::test]
async fn json_bodies_show_no_details() {
    let mut seen = 0;
    for rejection in rejections() {
        let what = format!("{rejection:?}");
        assert_clean(
            &what,
            StatusCode::OK,
            rejection.public_message().description(),
        );
        let (status, body) = render(rejection.into_response()).await;
        assert_clean(&what, status, &body);
        seen += 1;
    }
    for error in token_errors() {
        let what = format!("{error:?}");
        let (status, body) = render(error.into_response()).await;
        assert_clean(&what, status, &body);
        seen += 1;
    }
    for rejection in guard_rejections() {
        let what = format!("{rejection:?}");
        let (status, body) = render(rejection.into_response()).await;
        assert_clean(&what, status, &body);
        seen += 1;
    }
    assert!(seen > 100, "every variant: {seen}");
}

#[tokio::test]
async fn the_fixtures_hold_the_details_their_displays_show() {
    // Positive control: were a body built from `Display`, the test above would see it.
    for error in provider_errors() {
        let text = error.to_string();
        assert!(
            text.contains(HOST) || text.contains(PROVIDER_WORDS),
            "{text}"
        );
    }
    for error in &store_errors()[..1] {
        assert!(error.to_string().contains(STORE_WORDS));
    }
}

#[tokio::test]
async fn sign_in_pages_show_no_details() {
    for error in callback_errors() {
        let what = format!("{error:?}");
        let page = error_page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            &error.public_message(),
            "/sign-in",
        );
        let (status, body) = render(page).await;
        assert_clean(&what, status, &body);
        assert!(body.contains("id=\"reason\""), "{body}");
    }
    for error in provider_errors() {
        let what = format!("{error:?}");
        let page = error_page(
            provider_status(&error),
            "Sign-in failed",
            &error.public_message(),
            "/sign-in",
        );
        let (status, body) = render(page).await;
        assert_clean(&what, status, &body);
    }
}

#[test]
fn codes_are_the_documented_ones() {
    let documented = [
        "unauthorized",
        "access_denied",
        "insufficient_scope",
        "invalid_token",
        "invalid_request",
        "invalid_claims",
        "provider_error",
        "session_store_unavailable",
        "server_error",
    ];
    for error in context_errors() {
        let code = error.public_message().code();
        assert!(documented.contains(&code), "{error:?}: {code}");
    }
    for error in callback_errors() {
        let code = error.public_message().code();
        assert!(documented.contains(&code), "{error:?}: {code}");
    }
}

#[test]
fn the_cancelled_sign_in_is_named_and_the_providers_words_are_not() {
    let message = CallbackError::Provider(oauth(OAuthErrorCode::AccessDenied)).public_message();
    assert_eq!(message.code(), "access_denied");
    assert!(message.description().contains("cancelled"), "{message}");
    let message = CallbackError::Provider(oauth(OAuthErrorCode::Other(format!(
        "{PROVIDER_WORDS}<script>"
    ))))
    .public_message();
    assert!(!message.description().contains(PROVIDER_WORDS), "{message}");
}

/// Item: a provider's refusal is never the client's fault, unless mapped on purpose.
#[tokio::test]
async fn only_deliberate_refusals_are_4xx() {
    for code in codes() {
        let error = ProviderError::OAuth(oauth(code.clone()));
        assert_eq!(
            provider_status(&error),
            StatusCode::BAD_GATEWAY,
            "{code:?} from userinfo, discovery or keys"
        );
        let expected_exchange = match code {
            OAuthErrorCode::InvalidGrant => StatusCode::BAD_REQUEST,
            _ => StatusCode::BAD_GATEWAY,
        };
        assert_eq!(
            code_exchange_status(&error),
            expected_exchange,
            "{code:?} at the code exchange"
        );
        // An access token for a resource or an organization (the refresh grant).
        let (status, body) = render(TokenError::from_provider(error).into_response()).await;
        let expected = match code {
            OAuthErrorCode::InvalidGrant => (StatusCode::UNAUTHORIZED, "\"unauthorized\""),
            OAuthErrorCode::AccessDenied => (StatusCode::FORBIDDEN, "\"access_denied\""),
            OAuthErrorCode::InsufficientScope => (StatusCode::FORBIDDEN, "\"insufficient_scope\""),
            _ => (StatusCode::BAD_GATEWAY, "\"provider_error\""),
        };
        assert_eq!(status, expected.0, "{code:?} for an access token: {body}");
        assert!(body.contains(expected.1), "{code:?}: {body}");
        // Userinfo, or the refresh of the ID token.
        let rejection = Rejection::from(ContextError::Provider(ProviderError::OAuth(oauth(
            code.clone(),
        ))));
        let (status, _) = render(rejection.into_response()).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{code:?} from userinfo");
    }
}

#[test]
fn transport_failures_keep_their_statuses() {
    let errors = provider_errors();
    assert_eq!(provider_status(&errors[0]), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(provider_status(&errors[1]), StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(provider_status(&errors[2]), StatusCode::BAD_GATEWAY);
    assert_eq!(provider_status(&errors[3]), StatusCode::BAD_GATEWAY);
}

/// One 401 shape: every 401 is `{"error": "unauthorized" | "invalid_token", ...}`, and
/// those of guards (which take bearer tokens) carry RFC 6750's challenge.
#[tokio::test]
async fn every_401_has_the_one_shape() {
    let mut seen = 0;
    for rejection in rejections().into_iter().chain(guard_rejections()) {
        let what = format!("{rejection:?}");
        let bearer = matches!(
            rejection,
            Rejection::MissingCredentials | Rejection::MissingBearerToken | Rejection::Bearer(_)
        );
        let response = rejection.into_response();
        if response.status() != StatusCode::UNAUTHORIZED {
            continue;
        }
        let challenge = response
            .headers()
            .get(http::header::WWW_AUTHENTICATE)
            .cloned();
        let (_, body) = render(response).await;
        let body: serde_json::Value =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: {e}: {body}"));
        let keys: Vec<&str> = body
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(keys, ["error", "error_description"], "{what}");
        assert!(
            ["unauthorized", "invalid_token"].contains(&body["error"].as_str().unwrap_or("")),
            "{what}: {body}"
        );
        assert_eq!(challenge.is_some(), bearer, "{what}: {challenge:?}");
        seen += 1;
    }
    assert!(seen >= 8, "{seen}");
}

/// An error keeps the variant of the step it came from, however deep it was met.
#[test]
fn errors_keep_their_meaning() {
    let store = || StoreError::Unavailable(STORE_WORDS.to_owned());
    assert!(matches!(
        Rejection::from(ContextError::Token(TokenError::Store(store()))),
        Rejection::Store(_)
    ));
    assert!(matches!(
        Rejection::from(ContextError::Store(store())),
        Rejection::Store(_)
    ));
    assert!(matches!(
        Rejection::from(ContextError::from(TokenError::Provider(
            provider_errors().remove(0)
        ))),
        Rejection::Provider(_)
    ));
    assert!(matches!(
        Rejection::from(TokenError::SessionEnded),
        Rejection::Token(TokenError::SessionEnded)
    ));
    assert!(matches!(
        Rejection::from(ContextError::Claim(ClaimError::Missing { claim: "sub" })),
        Rejection::Claims(ContextError::Claim(_))
    ));
}

#[tokio::test]
async fn a_claims_type_that_does_not_fit_the_config_is_a_500_that_says_nothing_more() {
    let rejection = Rejection::from(ContextError::ScopesNotRequested {
        claims_type: "app::User",
        scopes: vec!["email"],
    });
    assert!(
        rejection.to_string().contains("add `claims = [User]`"),
        "{rejection}"
    );
    let (status, body) = render(rejection.into_response()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!body.contains("User") && !body.contains("email"), "{body}");
}
