// A guard that names no config registers itself; building a client whose config never
// requests its scope fails at startup, naming the handler and the fix.
#[logto::config(scopes = ["read"], resources = ["https://shopping.your-app.com/api"])]
pub struct Auth;

#[logto::protected(scope = "write")]
async fn edit() -> &'static str {
    "edited"
}

fn main() {
    let _: logto::__private::axum::routing::MethodRouter = logto::__private::axum::routing::get(edit);
    let error = logto::BearerVerifier::builder::<Auth>()
        .endpoint("https://tenant.logto.app")
        .build()
        .unwrap_err()
        .to_string();
    // The handler by its module path (trybuild names the crate) and its line.
    assert!(error.contains("::edit` ("), "{error}");
    assert!(error.contains("pass_protected_startup_check.rs:7)"), "{error}");
    assert!(error.contains("add \"write\" to `scopes` in #[logto::config]"), "{error}");
    let error = logto::Logto::builder::<Auth>()
        .endpoint("https://tenant.logto.app")
        .app_id("app")
        .app_secret("secret")
        .base_url("http://localhost:3000")
        .cookie_secret("complex_password_at_least_32_characters_long")
        .build()
        .unwrap_err()
        .to_string();
    assert!(error.contains("requires the scope `write`"), "{error}");
}
