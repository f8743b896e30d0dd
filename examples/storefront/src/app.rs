//! The routes on the async driver: an admin API that writes records and links, and a store
//! API that reads them through graph queries under the store's scope. What they take and
//! answer is in [`crate::api`], shared with [`crate::blocking`].

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::Router;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use link_runtime::aio;
use link_runtime::axum::{GraphQuery, Json};
use link_runtime::graph::{Graph, JsonResult};
use link_runtime::Linkable;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{self, Answer, ApiError, ProductBrand, WishedProduct};
use crate::links::wishlist_product;
use crate::modules::brand::{schema::brand, Brand};
use crate::modules::customer::{schema::customer, Customer};
use crate::modules::product::{schema::product, NewProduct, Product};
use crate::modules::wishlist::{schema::wishlist, Wishlist};
use crate::scope;
use crate::store::{with_conn, Store};

/// The service: its routes on `store`.
pub fn router(store: Store) -> Router {
    Router::new()
        .route("/admin/brands", post(create_brand))
        .route("/admin/products", post(create_product))
        .route("/admin/products/{id}", delete(delete_product))
        .route("/admin/customers", post(create_customer))
        .route("/admin/wishlists", post(create_wishlist))
        .route("/admin/wishlists/{id}/products", post(add_to_wishlist))
        .route("/admin/links/product-brand", post(link_product_brand))
        .route("/store/products", axum::routing::get(list_products))
        .route("/store/graph", post(store_graph))
        .with_state(Arc::new(store))
}

type Shared = State<Arc<Store>>;

async fn create_brand(State(store): Shared, Json(record): Json<Brand>) -> Answer<Response> {
    with_conn!(&*store, |conn| {
        diesel::insert_into(brand::table)
            .values(&record)
            .execute(conn)
            .await?;
    });
    Ok((StatusCode::CREATED, Json(record)).into_response())
}

async fn create_product(State(store): Shared, Json(record): Json<NewProduct>) -> Answer<Response> {
    with_conn!(&*store, |conn| {
        diesel::insert_into(product::table)
            .values(&record)
            .execute(conn)
            .await?;
    });
    let body = json!({ "id": record.id, "title": record.title });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn create_customer(State(store): Shared, Json(record): Json<Customer>) -> Answer<Response> {
    with_conn!(&*store, |conn| {
        diesel::insert_into(customer::table)
            .values(&record)
            .execute(conn)
            .await?;
    });
    Ok((StatusCode::CREATED, Json(record)).into_response())
}

/// `POST /admin/wishlists`: `{"id", "customer_id"}`, a customer's one wishlist.
#[derive(Debug, Deserialize)]
struct NewWishlist {
    id: String,
    customer_id: String,
}

async fn create_wishlist(State(store): Shared, Json(new): Json<NewWishlist>) -> Answer<Response> {
    with_conn!(&*store, |conn| {
        let found = customer::table
            .find(&new.customer_id)
            .count()
            .get_result::<i64>(conn)
            .await?;
        if found == 0 {
            return Err(ApiError::NotFound {
                object: Customer::MODEL,
                id: new.customer_id,
            });
        }
        let (id, customer_id) = (new.id.clone(), new.customer_id.clone());
        conn.transaction::<_, ApiError, _>(async |conn| {
            diesel::insert_into(wishlist::table)
                .values(&Wishlist { id: id.clone() })
                .execute(conn)
                .await?;
            aio::create(conn, Customer::id(customer_id), Wishlist::id(id)).await?;
            Ok(())
        })
        .await?;
    });
    let body = json!({ "id": new.id, "customer_id": new.customer_id });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `POST /admin/wishlists/{id}/products`.
async fn add_to_wishlist(
    State(store): Shared,
    Path(wishlist_id): Path<String>,
    Json(wished): Json<WishedProduct>,
) -> Answer<Response> {
    let created = with_conn!(&*store, |conn| {
        aio::create_with(
            conn,
            Wishlist::id(wishlist_id.as_str()),
            Product::id(wished.product_id.as_str()),
            wishlist_product::Columns {
                quantity: wished.quantity,
            },
        )
        .await?
    });
    Ok(api::wished(&wishlist_id, &wished, created))
}

/// `POST /admin/links/product-brand`.
async fn link_product_brand(
    State(store): Shared,
    Json(pair): Json<ProductBrand>,
) -> Answer<Response> {
    let created = with_conn!(&*store, |conn| {
        let products = api::live_product_count(&pair.product_id)
            .get_result(conn)
            .await?;
        api::found(products, Product::MODEL, &pair.product_id)?;
        let brands = api::brand_count(&pair.brand_id).get_result(conn).await?;
        api::found(brands, Brand::MODEL, &pair.brand_id)?;
        // Order-checked: `Product` first, as the link declares it.
        aio::create(
            conn,
            Product::id(pair.product_id.as_str()),
            Brand::id(pair.brand_id.as_str()),
        )
        .await?
    });
    Ok(api::linked(&pair, created))
}

/// `DELETE /admin/products/{id}`: the product is soft-deleted and its links with it, in one
/// transaction.
async fn delete_product(State(store): Shared, Path(id): Path<String>) -> Answer<Response> {
    let deleted = with_conn!(&*store, |conn| {
        let id = id.clone();
        conn.transaction::<_, ApiError, _>(async |conn| {
            let deleted = api::soft_delete_product(&id).execute(conn).await?;
            if deleted > 0 {
                aio::delete(conn, &aio::Modules::new(), &[Product::id(id)]).await?;
            }
            Ok(deleted > 0)
        })
        .await?
    });
    api::deleted(id, deleted)
}

/// `GET /store/products?fields=..&brand[name]=..&limit=..&offset=..&order=..`.
async fn list_products(
    State(store): Shared,
    GraphQuery(graph, ..): GraphQuery<Product>,
) -> Answer<Response> {
    let page = run(&store, api::products_query(graph)).await?;
    Ok(api::products_page(page))
}

/// `POST /store/graph`: a `query.graph` document, under the store's scope.
async fn store_graph(State(store): Shared, Json(document): Json<Value>) -> Answer<Response> {
    let graph = api::graph_query(document)?;
    Ok(run(&store, graph).await?.into_response())
}

/// Runs a store query under the store's scope; its JSON is written from the records it
/// reads.
async fn run(store: &Store, graph: Graph) -> Answer<JsonResult> {
    let scope = scope::store();
    Ok(with_conn!(store, |conn| {
        aio::Query::new(conn)
            .scope(&scope)
            .graph(graph.to_json())
            .await?
    }))
}
