//! A storefront served with axum on link-runtime's async driver: four modules that know
//! nothing about each other (product, brand, customer, wishlist), three links between
//! them, an admin API that writes, and a store API that reads through graph queries under a
//! scope, so that a client's query reaches products and brands and nothing else.
//!
//! | route | body / query | answer |
//! |---|---|---|
//! | `POST /admin/brands`, `/admin/products`, `/admin/customers` | `{"id", "name"}`, `{"id", "title"}`, `{"id", "email"}` | 201 and the record |
//! | `POST /admin/wishlists` | `{"id", "customer_id"}` | 201, the customer's one wishlist |
//! | `POST /admin/wishlists/{id}/products` | `{"product_id", "quantity"}` | 201 |
//! | `POST /admin/links/product-brand` | `{"product_id", "brand_id"}` | 201 created, 200 already linked, 409 a second brand, 404 an unknown record |
//! | `DELETE /admin/products/{id}` | | 200 `{"id", "object": "product", "deleted": true}` |
//! | `GET /store/products` | `fields=id,title,brand.*&brand[name]=Acme&limit=12&offset=0&order=title`, or `after=<next_cursor>` for the next page | 200 `{"products": [...], "count", "offset", "limit", "next_cursor"}` |
//! | `POST /store/graph` | a `query.graph` JSON document | 200 `{"data": [...], "metadata": {...}}`; customers and wishlists are 403 |
//!
//! Every error is `{"type": "...", "message": "..."}` with its status: 400 invalid, 403
//! out of scope, 404, 409, 503, 500.
//!
//! [`blocking::router`] serves the routes of the load test (`tests/load.rs`) a second way,
//! on the blocking driver through `spawn_blocking`, to compare the two drivers under the
//! same load; the binary and [`router`] are the async driver's.
//!
//! ```no_run
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = storefront::Store::memory().await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, storefront::router(store)).await?;
//! # Ok(())
//! # }
//! ```

pub mod modules;
link_runtime::links!();
mod api;
mod app;
pub mod blocking;
pub mod scope;
mod store;

pub use api::{ApiError, DEFAULT_LIMIT};
pub use app::router;
pub use store::{SqliteConn, Store};
