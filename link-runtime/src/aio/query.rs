//! [`Query`]: graph queries on an async connection.

use super::connection::{Async, AsyncLinkConnection};
use super::databases::Databases;
use crate::backend::OneConnection;
use crate::error::Result;
use crate::graph::{query_face, run, GraphRequest};
use crate::placement::Session;

query_face! {
    databases: Databases,
    connection: AsyncLinkConnection,
    scope_example: {
        /// ```
        /// # use diesel::SqliteConnection;
        /// # use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
        /// # use diesel_async::{AsyncConnection, RunQueryDsl};
        /// use link_runtime::aio;
        /// use link_runtime::graph::{Fields, Graph, Refusal, Scope};
        /// use link_runtime::Error;
        /// # use link_runtime::prelude::*;
        /// # #[derive(Linkable)] #[linkable(module = "product", table = "product")]
        /// # pub struct Product { pub id: String, pub title: String }
        /// # #[derive(Linkable)] #[linkable(module = "brand", table = "brand")]
        /// # pub struct Brand { pub id: String, pub name: String }
        /// # mod product_brand { use super::*; link_runtime::define_link!(Product(is_list), Brand); }
        ///
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
        /// let mut conn = SyncConnectionWrapper::<SqliteConnection>::establish(":memory:").await?;
        /// # diesel::sql_query("CREATE TABLE product (id TEXT PRIMARY KEY, title TEXT NOT NULL)").execute(&mut conn).await?;
        /// # diesel::sql_query("CREATE TABLE brand (id TEXT PRIMARY KEY, name TEXT NOT NULL)").execute(&mut conn).await?;
        /// # diesel::sql_query("INSERT INTO product VALUES ('p1', 'Chair'), ('p2', 'Lamp')").execute(&mut conn).await?;
        /// aio::migrate(&mut conn).await?;
        /// // Clients read products' ids and titles, a page of 1 at most, and nothing of brands.
        /// let store = Scope::new()
        ///     .entity("product", Fields::only(["id", "title"]))
        ///     .max_take(1);
        ///
        /// let asked: Graph = serde_json::from_str(r#"{ "entity": "product" }"#)?;
        /// let page = aio::Query::new(&mut conn).scope(&store).graph(asked).await?;
        /// assert_eq!(page.data, [serde_json::json!({ "id": "p1", "title": "Chair" })]);
        /// assert_eq!(page.metadata.take, Some(1));
        ///
        /// let leak: Graph = serde_json::from_str(r#"{ "entity": "product", "fields": ["brand.name"] }"#)?;
        /// let refused = aio::Query::new(&mut conn).scope(&store).graph(leak).await.unwrap_err();
        /// assert!(matches!(refused, Error::Forbidden { reason: Refusal::Link, .. }));
        /// # Ok(())
        /// # }
        /// ```
    },
    limits_example: {
        /// ```
        /// # use diesel::SqliteConnection;
        /// # use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
        /// # use diesel_async::{AsyncConnection, RunQueryDsl};
        /// use link_runtime::aio;
        /// use link_runtime::graph::{CostLimit, Graph, Limits, Order};
        /// use link_runtime::Error;
        /// # use link_runtime::prelude::*;
        /// # #[derive(Linkable)] #[linkable(module = "product", table = "product")]
        /// # pub struct Product { pub id: String, pub title: String }
        ///
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
        /// let mut conn = SyncConnectionWrapper::<SqliteConnection>::establish(":memory:").await?;
        /// # diesel::sql_query("CREATE TABLE product (id TEXT PRIMARY KEY, title TEXT NOT NULL)").execute(&mut conn).await?;
        /// aio::migrate(&mut conn).await?;
        /// let one_key = Limits::new().max(CostLimit::OrderKeys, 1);
        /// let sorted = Graph::entity("product").order("title", Order::Asc).order("id", Order::Asc);
        /// let refused = aio::Query::new(&mut conn).limits(one_key).graph(sorted).await.unwrap_err();
        /// assert!(matches!(refused, Error::TooCostly { limit: CostLimit::OrderKeys, value: 2, max: 1 }));
        /// # Ok(())
        /// # }
        /// ```
    },
    /// Runs graph queries on an async connection: [`graph::Query`](crate::graph::Query),
    /// awaited, with the same requests and results.
    ///
    /// ```
    /// # use diesel::SqliteConnection;
    /// # use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
    /// # use diesel_async::{AsyncConnection, RunQueryDsl};
    /// use link_runtime::aio;
    /// use link_runtime::graph::Graph;
    /// # use link_runtime::prelude::*;
    /// # #[derive(Linkable)] #[linkable(module = "product", table = "product")]
    /// # pub struct Product { pub id: String, pub title: String }
    /// # #[derive(Linkable)] #[linkable(module = "brand", table = "brand")]
    /// # pub struct Brand { pub id: String, pub name: String }
    /// # mod product_brand { use super::*; link_runtime::define_link!(Product(is_list), Brand); }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut conn = SyncConnectionWrapper::<SqliteConnection>::establish(":memory:").await?;
    /// # diesel::sql_query("CREATE TABLE product (id TEXT PRIMARY KEY, title TEXT NOT NULL)").execute(&mut conn).await?;
    /// # diesel::sql_query("CREATE TABLE brand (id TEXT PRIMARY KEY, name TEXT NOT NULL)").execute(&mut conn).await?;
    /// # diesel::sql_query("INSERT INTO product VALUES ('p1', 'Chair')").execute(&mut conn).await?;
    /// # diesel::sql_query("INSERT INTO brand VALUES ('b1', 'Acme')").execute(&mut conn).await?;
    /// aio::migrate(&mut conn).await?;
    /// aio::create(&mut conn, Product::id("p1"), Brand::id("b1")).await?;
    /// let page = aio::Query::new(&mut conn)
    ///     .graph(Graph::entity("product").fields(["title", "brand.name"]))
    ///     .await?;
    /// assert_eq!(page.data, [serde_json::json!({ "title": "Chair", "brand": { "name": "Acme" } })]);
    /// # Ok(())
    /// # }
    /// ```
}

impl<C: AsyncLinkConnection> Query<'_, C> {
    /// Runs a [`Graph`](crate::graph::Graph) or a [`TypedGraph`](crate::graph::TypedGraph):
    /// [`graph::Query::graph`](crate::graph::Query::graph), awaited.
    ///
    /// # Errors
    ///
    /// As [`graph::Query::graph`](crate::graph::Query::graph).
    pub async fn graph<R: GraphRequest>(&mut self, request: R) -> Result<R::Output> {
        let (scope, limits) = (self.scope, self.limits.as_ref());
        match &mut self.target {
            Target::One(conn) => {
                run(
                    &mut OneConnection(Async(&mut **conn)),
                    request,
                    scope,
                    limits,
                )
                .await
            }
            Target::Across(databases) => {
                run(
                    &mut Session::new(databases.placement(), false),
                    request,
                    scope,
                    limits,
                )
                .await
            }
        }
    }
}
