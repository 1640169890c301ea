//! Integration tests: the real OIDC flow against the Logto-like provider of
//! `tests/idp/`, through its login form, with a cookie-keeping HTTP client.
//!
//! One binary with modules keeps link time down.

mod backchannel;
mod callback_errors;
mod claims;
mod e2e;
mod examples;
mod guards;
mod provider_failures;
mod public_errors;
mod quickstart;
mod redis_cluster;
mod security;
mod session_cookies;
mod session_cost;
mod sign_in_flow;
mod stores;
mod support;
mod testing_auth;
mod testing_parity;
mod testing_quickstart;
mod token_route;
mod tokens;
