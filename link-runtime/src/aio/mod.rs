//! The async driver (feature `async`): the runtime's operations on diesel-async's
//! connections, `.await`ed instead of blocking a thread.
//!
//! Every operation here is the blocking one's logic, run on another driver: the same
//! statements, the same types, the same errors and the same order checks. The connections
//! are [`AsyncLinkConnection`]s: `diesel_async::AsyncPgConnection` (feature `postgres`),
//! `diesel_async::sync_connection_wrapper::SyncConnectionWrapper<SqliteConnection>`
//! (feature `sqlite`), and the connections diesel-async's pools hand out.
//!
//! ```
//! use diesel::SqliteConnection;
//! use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
//! use diesel_async::AsyncConnection;
//! use link_runtime::aio;
//! use link_runtime::prelude::*;
//!
//! #[derive(Linkable)]
//! #[linkable(module = "product")]
//! pub struct Product { pub id: String }
//!
//! #[derive(Linkable)]
//! #[linkable(module = "brand")]
//! pub struct Brand { pub id: String }
//!
//! mod product_brand {
//!     use super::{Brand, Product};
//!     link_runtime::define_link!(Product, Brand);
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut conn = SyncConnectionWrapper::<SqliteConnection>::establish(":memory:").await?;
//! aio::migrate(&mut conn).await?;
//! aio::create(&mut conn, Product::id("prod_1"), Brand::id("brand_1")).await?;
//! // A product has one brand: a second one is refused, as by the blocking form.
//! let refused = aio::create(&mut conn, Product::id("prod_1"), Brand::id("brand_2")).await;
//! assert!(matches!(refused, Err(link_runtime::Error::Cardinality { .. })));
//! assert!(aio::dismiss(&mut conn, Product::id("prod_1"), Brand::id("brand_1")).await?);
//! # Ok(())
//! # }
//! ```
//!
//! A future of this module holds its connection until it completes. Dropped midway, it
//! leaves the connection inside the transaction it had open; diesel-async's pools see that
//! and do not hand such a connection out again.

mod connection;
mod databases;
mod migrate;
mod query;
mod service;
mod steps;

pub use self::connection::AsyncLinkConnection;
pub use self::databases::{Checkout, CheckoutFuture, ConnectionSource, Database, Databases};
pub use self::migrate::{apply, migrate, plan, plan_for};
pub use self::query::Query;
pub use self::service::{
    check, create, create_many, create_many_with, create_with, delete, dismiss, dismiss_many, list,
    restore, update, update_many, Modules, SoftDelete,
};
pub use self::steps::{Steps, Work};
