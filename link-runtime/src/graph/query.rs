//! [`Query`]: graph queries on a blocking connection, or across [`Databases`].

use super::{run, GraphRequest};
use crate::backend::{block_on, Blocking, LinkConnection, OneConnection};
use crate::databases::Databases;
use crate::error::Result;
use crate::placement::Session;

/// The public face of a driver's `Query`, written once for both drivers: a query runs on
/// one connection or across the driver's `Databases`, under a scope or not; each driver
/// adds `graph`, which hands `scope` to the core.
macro_rules! query_face {
    (
        databases: $databases:ident,
        connection: $connection:path,
        scope_example: { $(#[$scope_example:meta])* },
        limits_example: { $(#[$limits_example:meta])* },
        $(#[$doc:meta])*
    ) => {
        $(#[$doc])*
        pub struct Query<'c, C> {
            target: Target<'c, C>,
            scope: Option<&'c $crate::graph::Scope>,
            limits: Option<$crate::graph::Limits>,
        }

        enum Target<'c, C> {
            One(&'c mut C),
            Across(&'c $databases<C>),
        }

        impl<'c, C: $connection> Query<'c, C> {
            /// Queries through `conn`, where the modules' tables and the links' tables are.
            pub fn new(conn: &'c mut C) -> Self {
                Query {
                    target: Target::One(conn),
                    scope: None,
                    limits: None,
                }
            }

            /// Queries across `databases`: each statement runs in the database of its
            /// table, and records are joined in the application (see
            /// [`databases`](crate::databases)). Ordering by a linked record's field needs
            /// the link and the record in the root's database: across databases it is
            /// refused with [`Error::InvalidOrder`](crate::Error::InvalidOrder).
            pub fn across(databases: &'c $databases<C>) -> Self {
                Query {
                    target: Target::Across(databases),
                    scope: None,
                    limits: None,
                }
            }

            /// Runs the queries under `scope`: a query that reaches outside it is refused
            /// with [`Error::Forbidden`](crate::Error::Forbidden) before any SQL runs,
            /// and a query without `take` reads the scope's
            /// [`max_take`](crate::graph::Scope::max_take) rows at most. For queries an
            /// untrusted client sends; see [`Scope`](crate::graph::Scope). Without it, a
            /// query may reach every registered entity, field and link.
            ///
            $(#[$scope_example])*
            pub fn scope(mut self, scope: &'c $crate::graph::Scope) -> Self {
                self.scope = Some(scope);
                self
            }

            /// Runs the queries under `limits` rather than the defaults (see
            /// [`Limits`](crate::graph::Limits)): a query that costs more is refused with
            /// [`Error::TooCostly`](crate::Error::TooCostly), and on PostgreSQL each of
            /// its statements runs under the limits' statement timeout. Under a
            /// [scope](Self::scope) that sets limits too, the stricter of the two apply,
            /// limit by limit.
            ///
            $(#[$limits_example])*
            pub fn limits(mut self, limits: $crate::graph::Limits) -> Self {
                self.limits = Some(limits);
                self
            }
        }

        impl<C> ::std::fmt::Debug for Query<'_, C> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let mut query = f.debug_tuple("Query");
                match &self.target {
                    Target::One(_) => query.field(&format_args!("one connection")),
                    Target::Across(databases) => query.field(databases),
                };
                if let Some(scope) = self.scope {
                    query.field(scope);
                }
                if let Some(limits) = &self.limits {
                    query.field(limits);
                }
                query.finish()
            }
        }
    };
}

#[cfg(feature = "async")]
pub(crate) use query_face;

query_face! {
    databases: Databases,
    connection: LinkConnection,
    scope_example: {
        /// ```
        /// use diesel::{Connection, RunQueryDsl, SqliteConnection};
        /// use link_runtime::graph::{Fields, Graph, Query, Refusal, Scope};
        /// use link_runtime::prelude::*;
        /// use link_runtime::Error;
        /// # #[derive(Linkable)] #[linkable(module = "product", table = "product")]
        /// # pub struct Product { pub id: String, pub title: String }
        /// # #[derive(Linkable)] #[linkable(module = "brand", table = "brand")]
        /// # pub struct Brand { pub id: String, pub name: String }
        /// # mod product_brand { use super::*; link_runtime::define_link!(Product(is_list), Brand); }
        ///
        /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
        /// let mut conn = SqliteConnection::establish(":memory:")?;
        /// # diesel::sql_query("CREATE TABLE product (id TEXT PRIMARY KEY, title TEXT NOT NULL)").execute(&mut conn)?;
        /// # diesel::sql_query("CREATE TABLE brand (id TEXT PRIMARY KEY, name TEXT NOT NULL)").execute(&mut conn)?;
        /// # diesel::sql_query("INSERT INTO product VALUES ('p1', 'Chair'), ('p2', 'Lamp')").execute(&mut conn)?;
        /// link_runtime::migrate(&mut conn)?;
        /// // Clients read products' ids and titles, a page of 1 at most, and nothing of brands.
        /// let store = Scope::new()
        ///     .entity("product", Fields::only(["id", "title"]))
        ///     .max_take(1);
        ///
        /// let asked: Graph = serde_json::from_str(r#"{ "entity": "product" }"#)?;
        /// let page = Query::new(&mut conn).scope(&store).graph(asked)?;
        /// assert_eq!(page.data, [serde_json::json!({ "id": "p1", "title": "Chair" })]);
        /// assert_eq!(page.metadata.take, Some(1));
        ///
        /// let leak: Graph = serde_json::from_str(r#"{ "entity": "product", "fields": ["brand.name"] }"#)?;
        /// let refused = Query::new(&mut conn).scope(&store).graph(leak).unwrap_err();
        /// assert!(matches!(refused, Error::Forbidden { reason: Refusal::Link, .. }));
        /// # Ok(())
        /// # }
        /// ```
    },
    limits_example: {
        /// ```
        /// use diesel::{Connection, RunQueryDsl, SqliteConnection};
        /// use link_runtime::graph::{CostLimit, Filter, Graph, Limits, Query};
        /// use link_runtime::prelude::*;
        /// use link_runtime::Error;
        /// # #[derive(Linkable)] #[linkable(module = "product", table = "product")]
        /// # pub struct Product { pub id: String, pub title: String }
        /// # #[derive(Linkable)] #[linkable(module = "brand", table = "brand")]
        /// # pub struct Brand { pub id: String, pub name: String }
        /// # mod product_brand { use super::*; link_runtime::define_link!(Product(is_list), Brand); }
        ///
        /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
        /// let mut conn = SqliteConnection::establish(":memory:")?;
        /// # diesel::sql_query("CREATE TABLE product (id TEXT PRIMARY KEY, title TEXT NOT NULL)").execute(&mut conn)?;
        /// # diesel::sql_query("CREATE TABLE brand (id TEXT PRIMARY KEY, name TEXT NOT NULL)").execute(&mut conn)?;
        /// link_runtime::migrate(&mut conn)?;
        /// let strict = Limits::new().max(CostLimit::FilterLinks, 1);
        /// // Each alternative is a title and a brand: a subquery each.
        /// let either = Filter::or([
        ///     Filter::and([Filter::field("title", "Chair"), Filter::field("brand.name", "Acme")]),
        ///     Filter::and([Filter::field("title", "Lamp"), Filter::field("brand.name", "Birch")]),
        /// ]);
        /// let graph = Graph::entity("product").filter_by(either);
        /// let refused = Query::new(&mut conn).limits(strict.clone()).graph(graph).unwrap_err();
        /// assert!(matches!(refused, Error::TooCostly { limit: CostLimit::FilterLinks, value: 2, max: 1 }));
        ///
        /// // Alternatives through one link are one subquery: a brand named one or the other.
        /// let brands = Filter::or([Filter::field("brand.name", "Acme"), Filter::field("brand.name", "Birch")]);
        /// let page = Query::new(&mut conn).limits(strict).graph(Graph::entity("product").filter_by(brands))?;
        /// assert!(page.data.is_empty());
        /// # Ok(())
        /// # }
        /// ```
    },
    /// Runs graph queries: on one connection, or across [`Databases`].
    ///
    /// ```
    /// use diesel::{Connection, SqliteConnection};
    /// use link_runtime::graph::Query;
    ///
    /// let mut conn = SqliteConnection::establish(":memory:").unwrap();
    /// let query = Query::new(&mut conn);
    /// # let _ = query;
    /// ```
}

impl<C: LinkConnection> Query<'_, C> {
    /// Runs a [`Graph`](super::Graph) (rows as JSON values) or a
    /// [`TypedGraph`](super::TypedGraph) (rows as the selecting struct).
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`](crate::Error::Forbidden) if the query reaches outside the
    /// [scope](Self::scope);
    /// [`Error::UnknownEntity`](crate::Error::UnknownEntity),
    /// [`Error::UnknownField`](crate::Error::UnknownField),
    /// [`Error::InvalidFilter`](crate::Error::InvalidFilter),
    /// [`Error::InvalidOrder`](crate::Error::InvalidOrder) and
    /// [`Error::MalformedQuery`](crate::Error::MalformedQuery) name what the query got wrong
    /// before any SQL runs; [`Error::TooCostly`](crate::Error::TooCostly) if it costs more
    /// than its [limits](Self::limits) allow (before any SQL, but for the records its links
    /// lead to, counted as they load); [`Error::QueryTimeout`](crate::Error::QueryTimeout)
    /// if a statement ran past the limits' timeout on PostgreSQL;
    /// [`Error::Database`](crate::Error::Database) if the database
    /// refuses a statement (a model's table that does not exist, say);
    /// [`Error::Deserialize`](crate::Error::Deserialize) if a typed row does not fit its
    /// struct; [`Error::Connection`](crate::Error::Connection) if a database cannot be
    /// reached.
    pub fn graph<R: GraphRequest>(&mut self, request: R) -> Result<R::Output> {
        let (scope, limits) = (self.scope, self.limits.as_ref());
        match &mut self.target {
            Target::One(conn) => block_on(run(
                &mut OneConnection(Blocking(&mut **conn)),
                request,
                scope,
                limits,
            )),
            Target::Across(databases) => block_on(run(
                &mut Session::new(databases.placement(), false),
                request,
                scope,
                limits,
            )),
        }
    }
}
