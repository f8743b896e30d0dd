//! What the routes share, whichever driver runs them: the bodies they take, the statements
//! that check a record exists, the answers they give and the errors they refuse with.
//! [`crate::router`] (the async driver) and [`crate::blocking::router`] (the blocking
//! driver, for comparison) differ only in how they reach the database.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use diesel::prelude::*;
use link_runtime::axum::Json;
use link_runtime::graph::{Graph, JsonResult};
use link_runtime::{Created, ErrorDetails, ErrorKind, Linkable};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::modules::brand::schema::brand;
use crate::modules::product::{schema::product, Product};

/// The page size of `GET /store/products` when the client names none, as Medusa's store
/// API has it.
pub const DEFAULT_LIMIT: u64 = 50;

/// What a route answers when it cannot do what it was asked.
#[derive(Debug)]
pub enum ApiError {
    /// The runtime's error: its kind says the status.
    Link(link_runtime::Error),
    /// A record the request names does not exist.
    NotFound {
        /// Its model.
        object: &'static str,
        /// Its id.
        id: String,
    },
}

impl From<link_runtime::Error> for ApiError {
    fn from(error: link_runtime::Error) -> Self {
        ApiError::Link(error)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        ApiError::Link(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Link(error) => error.into_response(),
            ApiError::NotFound { object, id } => (
                StatusCode::NOT_FOUND,
                axum::Json(ErrorDetails::new(
                    ErrorKind::NotFound,
                    format!("{object} `{id}` was not found"),
                )),
            )
                .into_response(),
        }
    }
}

/// A route's result.
pub(crate) type Answer<T> = Result<T, ApiError>;

/// `Ok` if a count of records named `id` found one, [`ApiError::NotFound`] if not.
pub(crate) fn found(count: i64, object: &'static str, id: &str) -> Answer<()> {
    if count == 0 {
        return Err(ApiError::NotFound {
            object,
            id: id.to_owned(),
        });
    }
    Ok(())
}

/// `SELECT COUNT(*)` of the product `id` unless it is deleted.
#[diesel::dsl::auto_type(no_type_alias)]
pub(crate) fn live_product_count<'a>(id: &'a str) -> _ {
    product::table
        .filter(product::id.eq(id))
        .filter(product::deleted_at.is_null())
        .count()
}

/// `SELECT COUNT(*)` of the brand `id`.
#[diesel::dsl::auto_type(no_type_alias)]
pub(crate) fn brand_count<'a>(id: &'a str) -> _ {
    brand::table.filter(brand::id.eq(id)).count()
}

/// Soft-deletes the product `id` unless it is deleted already: one row changed, or none.
#[diesel::dsl::auto_type(no_type_alias)]
pub(crate) fn soft_delete_product<'a>(id: &'a str) -> _ {
    let now: diesel::dsl::now = diesel::dsl::now;
    diesel::dsl::update(
        product::table
            .filter(product::id.eq(id))
            .filter(product::deleted_at.is_null()),
    )
    .set(product::deleted_at.eq(now.nullable()))
}

/// `POST /admin/wishlists/{id}/products`: `{"product_id", "quantity"}`.
#[derive(Debug, Deserialize)]
pub(crate) struct WishedProduct {
    pub(crate) product_id: String,
    #[serde(default = "one")]
    pub(crate) quantity: i32,
}

fn one() -> i32 {
    1
}

/// The answer of `POST /admin/wishlists/{id}/products`: 201, and whether the pair was new.
pub(crate) fn wished(wishlist_id: &str, wished: &WishedProduct, created: Created) -> Response {
    let body = json!({
        "wishlist_id": wishlist_id,
        "product_id": wished.product_id,
        "quantity": wished.quantity,
        "created": created,
    });
    (StatusCode::CREATED, Json(body)).into_response()
}

/// `POST /admin/links/product-brand`: `{"product_id", "brand_id"}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ProductBrand {
    pub(crate) product_id: String,
    pub(crate) brand_id: String,
}

/// The answer of `POST /admin/links/product-brand`: 201 for a new link, 200 for one that
/// was there already.
pub(crate) fn linked(pair: &ProductBrand, created: Created) -> Response {
    let status = match created {
        Created::Unchanged => StatusCode::OK,
        _ => StatusCode::CREATED,
    };
    let body = json!({
        "product_id": pair.product_id,
        "brand_id": pair.brand_id,
        "created": created,
    });
    (status, Json(body)).into_response()
}

/// The answer of `DELETE /admin/products/{id}`: 200, or 404 if no live product had the id.
pub(crate) fn deleted(id: String, deleted: bool) -> Answer<Response> {
    if !deleted {
        return Err(ApiError::NotFound {
            object: Product::MODEL,
            id,
        });
    }
    let body = json!({ "id": id, "object": Product::MODEL, "deleted": true });
    Ok(Json(body).into_response())
}

/// The query of `GET /store/products`: the client's, with [`DEFAULT_LIMIT`] when it names
/// no page size.
pub(crate) fn products_query(graph: Graph) -> Graph {
    if graph.take_requested().is_none() {
        graph.take(DEFAULT_LIMIT)
    } else {
        graph
    }
}

/// The answer of `GET /store/products`, Medusa's shape:
/// `{"products": [...], "count", "offset", "limit"}`, and `next_cursor`, the `after=` of
/// the next page (`null` on the last).
pub(crate) fn products_page(page: JsonResult) -> Response {
    let metadata = page.metadata();
    let body = ProductsPage {
        products: page.data(),
        count: metadata.count,
        offset: metadata.skip,
        limit: metadata.take,
        next_cursor: metadata.next_cursor.as_deref(),
    };
    Json(body).into_response()
}

#[derive(Serialize)]
struct ProductsPage<'a, D> {
    products: D,
    count: u64,
    offset: u64,
    limit: Option<u64>,
    next_cursor: Option<&'a str>,
}

/// The query of `POST /store/graph`: a `query.graph` document.
pub(crate) fn graph_query(document: Value) -> Answer<Graph> {
    Ok(Graph::from_json(document)?)
}
