//! The API of `examples/api_server.rs`, a resource server for the quickstart's API
//! resource: bearer tokens only, `read` to list products, `write` to add one. Shared
//! with the integration tests, which serve it in-process.

use std::sync::{Arc, Mutex};

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use logto::{AccessToken, BearerVerifier};
use serde::{Deserialize, Serialize};

/// The API resource the quickstart requests tokens for.
pub const RESOURCE: &str = "https://shopping.example.com/api";

/// What this API accepts: tokens for its resource, with its scopes. An API server
/// needs no app id or secret: only `LOGTO_ENDPOINT`.
#[logto::config(scopes = ["read", "write"], resources = ["https://shopping.example.com/api"])]
pub struct Api;

/// A product of the shop.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Product {
    pub id: u32,
    pub name: String,
}

/// What `POST /api/products` takes.
#[derive(Debug, Deserialize)]
pub struct NewProduct {
    pub name: String,
}

#[derive(Clone, Default)]
pub struct Products(Arc<Mutex<Vec<Product>>>);

/// `GET /api/products` (scope `read`) and `POST /api/products` (scope `write`).
pub fn router(verifier: &BearerVerifier) -> Router {
    let products = Products::default();
    products
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Product {
            id: 1,
            name: "Rust in Action".into(),
        });
    Router::new()
        .route("/api/products", get(list_products).post(add_product))
        .with_state(products)
        // The guards find the verifier in each request.
        .layer(verifier.layer())
}

/// Lists the products: any token for this API with `read`.
#[logto::protected(config = Api, scope = "read", bearer_only)]
async fn list_products(State(products): State<Products>) -> Json<Vec<Product>> {
    Json(products.0.lock().unwrap_or_else(|e| e.into_inner()).clone())
}

/// Adds a product: `write` only. The body is read only after the guard let the
/// request through.
#[logto::protected(config = Api, scope = "write", bearer_only)]
async fn add_product(
    token: AccessToken,
    State(products): State<Products>,
    Json(new): Json<NewProduct>,
) -> (StatusCode, Json<serde_json::Value>) {
    let mut products = products.0.lock().unwrap_or_else(|e| e.into_inner());
    let product = Product {
        id: products.len() as u32 + 1,
        name: new.name,
    };
    products.push(product.clone());
    (
        StatusCode::CREATED,
        Json(serde_json::json!({ "product": product, "added_by": token.subject() })),
    )
}
