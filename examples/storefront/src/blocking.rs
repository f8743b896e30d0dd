//! The storefront served a second way, **for comparison only**: the routes of the load test
//! (`tests/load.rs`) on link-runtime's blocking API (`link_runtime::create`,
//! `link_runtime::delete`, `graph::Query`) over a diesel r2d2 pool, each request's database
//! work run on tokio's blocking threads with `tokio::task::spawn_blocking`. It is how a
//! service would call the blocking driver from axum; [`crate::router`], on the async driver,
//! is the storefront itself.
//!
//! The two share everything but the calls that reach the database: the bodies and query
//! strings they take, the scope, the statements that check a record exists, the answers and
//! the errors are `src/api.rs`'s. So the same requests get the same answers, and the load
//! test compares the drivers and nothing else.
//!
//! Its routes: `GET /store/products`, `POST /store/graph`, `POST /admin/links/product-brand`,
//! `POST /admin/wishlists/{id}/products` and `DELETE /admin/products/{id}`. It creates the
//! tables, but has no routes that create records: fill the database another way.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool};
use diesel::{PgConnection, SqliteConnection};
use link_runtime::axum::{GraphQuery, Json};
use link_runtime::databases::{Database, SqliteSettings};
use link_runtime::graph::{Graph, JsonResult, Query};
use link_runtime::service::Modules;
use link_runtime::Linkable;
use serde_json::Value;

use crate::api::{self, Answer, ApiError, ProductBrand, WishedProduct};
use crate::links::wishlist_product;
use crate::modules::brand::Brand;
use crate::modules::product::Product;
use crate::modules::wishlist::Wishlist;
use crate::scope;
use crate::store::connection;

/// The shop's database on diesel's blocking connections, through an r2d2 pool.
pub struct Store(Backend);

enum Backend {
    Sqlite(Database<SqliteConnection>),
    Postgres(Database<PgConnection>),
}

/// Runs `$body` with `$conn` bound to a connection checked out of `$store`, whichever its
/// backend, as `src/store.rs`'s macro of the same name does for the async driver.
macro_rules! with_conn {
    ($store:expr, |$conn:ident| $body:expr) => {
        match &$store.0 {
            Backend::Sqlite(database) => {
                let mut checkout = database.checkout()?;
                let $conn = &mut *checkout;
                $body
            }
            Backend::Postgres(database) => {
                let mut checkout = database.checkout()?;
                let $conn = &mut *checkout;
                $body
            }
        }
    };
}

impl Store {
    /// The SQLite database in the file at `path` (created if missing), with a pool of `size`
    /// connections with [`SqliteSettings`], as [`crate::Store::sqlite_file_pool`] has.
    /// Blocking: it opens the connections.
    ///
    /// # Errors
    ///
    /// If SQLite cannot open it, or the tables cannot be created.
    pub fn sqlite_file_pool(path: &str, size: usize) -> link_runtime::Result<Store> {
        let pool = Pool::builder()
            .max_size(u32::try_from(size).unwrap_or(u32::MAX))
            .connection_customizer(Box::new(SqliteSettings::new()))
            .build(ConnectionManager::<SqliteConnection>::new(path))
            .map_err(|source| connection(path, source))?;
        Store(Backend::Sqlite(Database::pool(path.to_owned(), pool))).ready()
    }

    /// The PostgreSQL database at `url`, with a pool of `size` connections. Blocking: it
    /// opens the connections.
    ///
    /// # Errors
    ///
    /// If it cannot be reached, or the tables cannot be created.
    pub fn postgres_pool(url: &str, size: usize) -> link_runtime::Result<Store> {
        let pool = Pool::builder()
            .max_size(u32::try_from(size).unwrap_or(u32::MAX))
            .build(ConnectionManager::<PgConnection>::new(url))
            .map_err(|source| connection("postgres", source))?;
        Store(Backend::Postgres(Database::pool("postgres", pool))).ready()
    }

    /// Creates the modules' tables and syncs the link tables.
    fn ready(self) -> link_runtime::Result<Store> {
        with_conn!(self, |conn| {
            conn.batch_execute(crate::modules::TABLES)?;
            link_runtime::migrate(conn)?;
        });
        Ok(self)
    }
}

/// The load test's routes on `store`, each answering as [`crate::router`]'s route of the same
/// path does.
pub fn router(store: Store) -> Router {
    Router::new()
        .route("/admin/products/{id}", delete(delete_product))
        .route("/admin/wishlists/{id}/products", post(add_to_wishlist))
        .route("/admin/links/product-brand", post(link_product_brand))
        .route("/store/products", get(list_products))
        .route("/store/graph", post(store_graph))
        .with_state(Arc::new(store))
}

type Shared = State<Arc<Store>>;

/// Runs `work` on one of tokio's blocking threads: the way to call blocking code from an
/// async handler without holding up the runtime's workers.
async fn blocking<T, F>(store: &Arc<Store>, work: F) -> Answer<T>
where
    F: FnOnce(&Store) -> Answer<T> + Send + 'static,
    T: Send + 'static,
{
    let store = Arc::clone(store);
    match tokio::task::spawn_blocking(move || work(&store)).await {
        Ok(answer) => answer,
        // A panic in the work is the handler's, as if it had run here.
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(error) => panic!("the blocking work was cancelled: {error}"),
    }
}

async fn add_to_wishlist(
    State(store): Shared,
    Path(wishlist_id): Path<String>,
    Json(wished): Json<WishedProduct>,
) -> Answer<Response> {
    blocking(&store, move |store| {
        let created = with_conn!(store, |conn| {
            link_runtime::service::create_with::<wishlist_product::Link, _>(
                conn,
                &Wishlist::id(wishlist_id.as_str()),
                &Product::id(wished.product_id.as_str()),
                &wishlist_product::Columns {
                    quantity: wished.quantity,
                },
            )?
        });
        Ok(api::wished(&wishlist_id, &wished, created))
    })
    .await
}

async fn link_product_brand(
    State(store): Shared,
    Json(pair): Json<ProductBrand>,
) -> Answer<Response> {
    blocking(&store, move |store| {
        let created = with_conn!(store, |conn| {
            let products = api::live_product_count(&pair.product_id).get_result(conn)?;
            api::found(products, Product::MODEL, &pair.product_id)?;
            let brands = api::brand_count(&pair.brand_id).get_result(conn)?;
            api::found(brands, Brand::MODEL, &pair.brand_id)?;
            link_runtime::create(
                conn,
                Product::id(pair.product_id.as_str()),
                Brand::id(pair.brand_id.as_str()),
            )?
        });
        Ok(api::linked(&pair, created))
    })
    .await
}

async fn delete_product(State(store): Shared, Path(id): Path<String>) -> Answer<Response> {
    blocking(&store, move |store| {
        let deleted = with_conn!(store, |conn| {
            conn.transaction::<_, ApiError, _>(|conn| {
                let deleted = api::soft_delete_product(&id).execute(conn)?;
                if deleted > 0 {
                    link_runtime::delete(conn, &Modules::new(), &[Product::id(id.as_str())])?;
                }
                Ok(deleted > 0)
            })?
        });
        api::deleted(id, deleted)
    })
    .await
}

async fn list_products(
    State(store): Shared,
    GraphQuery(graph, ..): GraphQuery<Product>,
) -> Answer<Response> {
    let graph = api::products_query(graph);
    blocking(&store, move |store| {
        Ok(api::products_page(run(store, graph)?))
    })
    .await
}

async fn store_graph(State(store): Shared, Json(document): Json<Value>) -> Answer<Response> {
    let graph = api::graph_query(document)?;
    blocking(&store, move |store| Ok(run(store, graph)?.into_response())).await
}

/// Runs a store query under the store's scope.
fn run(store: &Store, graph: Graph) -> Answer<JsonResult> {
    let scope = scope::store();
    Ok(with_conn!(store, |conn| {
        Query::new(conn).scope(&scope).graph(graph.to_json())?
    }))
}
