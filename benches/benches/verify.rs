//! Bearer verification: logto's verifier cold (every check done) and cached, against
//! `jsonwebtoken` used directly and `jwt-authorizer`'s verifier, on the same ES384
//! token. `cargo bench -p logto-bench --bench verify`.

use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::Jwk};
use logto::{BearerVerifier, bearer::Requirements};
use logto_bench::{LocalIssuer, RESOURCE, Shop};
use serde_json::Value;

fn verify(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let issuer = runtime.block_on(LocalIssuer::start());
    let token = issuer.token("read write");
    let requirements = Requirements::resource(RESOURCE).scopes(&["read"]);

    let cached = BearerVerifier::builder::<Shop>()
        .endpoint(issuer.endpoint())
        .build()
        .expect("a verifier");
    // No cache: every call checks the signature and the claims (the keys are fetched
    // once, by the warm-up call).
    let cold = BearerVerifier::builder::<Shop>()
        .endpoint(issuer.endpoint())
        .cache_capacity(0)
        .build()
        .expect("a verifier");
    for verifier in [&cached, &cold] {
        runtime
            .block_on(verifier.verify(&token, &requirements))
            .expect("the token is valid");
    }

    let jwk: Jwk = serde_json::from_value(issuer.jwks["keys"][0].clone()).expect("a JWK");
    let key = DecodingKey::from_jwk(&jwk).expect("a key");
    let mut validation = Validation::new(Algorithm::ES384);
    validation.set_audience(&[RESOURCE]);
    validation.set_issuer(&[&issuer.issuer]);

    let authorizer = runtime
        .block_on(
            jwt_authorizer::AuthorizerBuilder::<Value>::from_jwks_text(&issuer.jwks.to_string())
                .validation(
                    jwt_authorizer::Validation::new()
                        .iss(&[&issuer.issuer])
                        .aud(&[RESOURCE]),
                )
                .build(),
        )
        .expect("an authorizer");
    runtime
        .block_on(authorizer.check_auth(&token))
        .expect("jwt-authorizer accepts the token");

    let mut group = c.benchmark_group("bearer verification (ES384)");
    group.bench_function("logto cold (signature + claims)", |b| {
        b.to_async(&runtime)
            .iter(|| cold.verify(&token, &requirements))
    });
    group.bench_function("logto cached (keyed-hash lookup + claims)", |b| {
        b.to_async(&runtime)
            .iter(|| cached.verify(&token, &requirements))
    });
    group.bench_function("jsonwebtoken 11 decode (rust_crypto)", |b| {
        b.iter(|| jsonwebtoken::decode::<Value>(&token, &key, &validation).expect("valid"))
    });
    group.bench_function(
        "jwt-authorizer 0.15 check_auth (jsonwebtoken 9, ring)",
        |b| b.to_async(&runtime).iter(|| authorizer.check_auth(&token)),
    );
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
