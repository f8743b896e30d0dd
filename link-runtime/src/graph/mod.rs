//! Graph queries across links (Medusa's `query.graph`): read an entity with fields of its
//! linked records, in both directions and nested, in a fixed number of batched statements.
//!
//! ```
//! use diesel::{Connection, RunQueryDsl, SqliteConnection};
//! use link_runtime::graph::{Graph, Query};
//! use link_runtime::prelude::*;
//! use serde_json::json;
//!
//! #[derive(Linkable)]
//! #[linkable(module = "product", table = "product")]
//! pub struct Product { pub id: String, pub title: String }
//!
//! #[derive(Linkable)]
//! #[linkable(module = "brand", table = "brand")]
//! pub struct Brand { pub id: String, pub name: String }
//!
//! mod product_brand {
//!     use super::{Brand, Product};
//!     link_runtime::define_link!(Product(is_list), Brand);
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut conn = SqliteConnection::establish(":memory:")?;
//! diesel::sql_query("CREATE TABLE product (id TEXT PRIMARY KEY, title TEXT NOT NULL)").execute(&mut conn)?;
//! diesel::sql_query("CREATE TABLE brand (id TEXT PRIMARY KEY, name TEXT NOT NULL)").execute(&mut conn)?;
//! diesel::sql_query("INSERT INTO product VALUES ('p1', 'Chair'), ('p2', 'Lamp')").execute(&mut conn)?;
//! diesel::sql_query("INSERT INTO brand VALUES ('b1', 'Acme')").execute(&mut conn)?;
//! link_runtime::migrate(&mut conn)?;
//! link_runtime::create(&mut conn, Product::id("p1"), Brand::id("b1"))?;
//! link_runtime::create(&mut conn, Product::id("p2"), Brand::id("b1"))?;
//!
//! let mut query = Query::new(&mut conn);
//! // From the product side, `brand` is an object: a product has one brand.
//! let products = query.graph(Graph::entity("product").fields(["id", "brand.name"]).filter("id", "p1"))?;
//! assert_eq!(products.data, [json!({ "id": "p1", "brand": { "name": "Acme" } })]);
//! // From the brand side, `products` is an array: the product side is a list.
//! let brands = query.graph(Graph::entity("brand").fields(["name", "products.title"]))?;
//! assert_eq!(
//!     brands.data,
//!     [json!({ "name": "Acme", "products": [{ "title": "Chair" }, { "title": "Lamp" }] })]
//! );
//! # Ok(())
//! # }
//! ```
//!
//! How a query runs (`load.rs`): one statement for the root rows (and one `COUNT` when a page
//! is asked for). A link side that holds one record at most is `LEFT JOIN`ed into the
//! statement of the records it hangs from, joining one link per record, so that a table
//! without the side's unique index, whose rows may break it (one adopted from Medusa), never
//! repeats a record; on such a table the statement also finds a record that holds several
//! live links there, and the query fails with [`Error::OverLinked`]
//! naming the first one found rather than show one of its partners; where the index exists
//! the statement learns so from the catalog, once, and looks no further. A record's link row
//! (`brand_link`) is read as its record is. Any other link in the field paths takes one
//! statement on the pivot table and one on the linked model's table, each binding the ids of
//! the level above as a single JSON array parameter. The number of statements depends on the
//! shape of the query, never on the number of rows. They run in a transaction of the query's
//! own on each database (a savepoint inside a caller's), so that they read one snapshot of
//! it: the page and its count agree whatever other clients write meanwhile. On PostgreSQL
//! it is `REPEATABLE READ, READ ONLY` and sets the query's statement timeout. A
//! filter on a linked record's field is a semi-join inside the root statement
//! (`id IN (SELECT .. FROM pivot JOIN target ..)`), so a page of a filtered query costs what
//! the page costs. Every name in the SQL comes from the registry: the query's names are
//! only looked up.
//!
//! A query a client sends runs under a [`Scope`] ([`Query::scope`]), which refuses what
//! the client may not reach before any SQL runs. Every query runs under [`Limits`]
//! ([`Query::limits`], [`Scope::limits`], or the defaults), which bound what it costs: the
//! links its fields and filters follow, the values it compares with, its order keys and
//! the records it reads, and on PostgreSQL the time each statement takes.
//!
//! The parts: `request.rs` ([`Graph`] and its JSON form), `filter.rs` ([`Filter`],
//! [`Condition`], [`Order`]), `nested.rs` ([`Nested`]), `scope.rs` ([`Scope`]),
//! `limits.rs` ([`Limits`]), `plan.rs` (names resolved against the registry, and put to
//! the scope, into a tree of typed nodes, written as cheaply as the same rows allow, and
//! its cost counted), `cursor.rs` ([`CursorKey`], and the cursors of keyset pages: what a
//! query's cursors are signed over, sealed and opened), `load.rs` (SQL, batching,
//! stitching, the records counted), `window.rs` (the statements of a page inside each
//! record), `apart.rs` (counts of linked records in other databases, counted in the
//! application),
//! `timeout.rs` (the query's transaction on each database: one snapshot, and the statement
//! timeout on PostgreSQL), `record.rs` (the records a query loads,
//! and their JSON or typed form), `json.rs` ([`JsonResult`], JSON written from the records), `typed.rs` ([`GraphSelect`]), `result.rs`
//! ([`GraphResult`]), and `query.rs` ([`Query`], the blocking way to run them;
//! `link_runtime::aio` has the async one).

mod apart;
mod cursor;
mod filter;
mod json;
mod limits;
mod load;
mod localize;
mod nested;
mod plan;
mod query;
mod query_string;
mod record;
mod request;
mod result;
mod scope;
mod sql;
mod timeout;
mod typed;
mod window;

use serde_json::Value;

pub use self::cursor::CursorKey;
pub use self::filter::{Condition, Filter, Order, Quantifier};
pub use self::json::{JsonGraph, JsonResult};
pub use self::limits::Limits;
pub use self::nested::Nested;
#[cfg(feature = "async")]
pub(crate) use self::query::query_face;
pub use self::query::Query;
pub use self::request::Graph;
pub use self::result::{GraphResult, Metadata};
pub use self::scope::{Fields, Scope};
pub use self::typed::{
    Field, GraphLink, GraphSelect, HoldsLinked, ListSide, Many, One, TypedCount, TypedFilter,
    TypedGraph, TypedNested, TypedOrder,
};
pub use crate::entity::{EntityField, EntitySchema};
pub use crate::error::{CostLimit, Refusal};
/// Derives [`GraphSelect`](trait@GraphSelect); see the trait.
pub use link_macros::GraphSelect;

#[doc(hidden)]
pub use self::typed::checks;
#[doc(hidden)]
pub use self::typed::{push_page, CountKeys};
#[doc(hidden)]
pub use crate::entity::EntityRegistration;

use crate::backend::Connections;
use crate::error::{Error, Result};
use crate::linkable::Linkable;
use crate::trace::operation;

/// What [`Query::graph`] runs: a [`Graph`] (rows as JSON values), a [`JsonGraph`] (rows
/// written as JSON without building values) or a [`TypedGraph`] (rows as the selecting
/// struct).
pub trait GraphRequest: sealed::Sealed {
    /// The result: [`GraphResult`] of JSON rows, or of typed rows.
    type Output;
}

// The sealed supertrait cannot be named outside the crate, so its methods may speak of the
// crate's own plan and records.
#[allow(private_interfaces)]
mod sealed {
    use super::limits::Limits;
    use super::load::Sink;
    use super::plan::Plan;
    use super::result::Metadata;
    use super::scope::Scope;
    use crate::error::Result;

    /// How a request runs, whatever the driver: planned before any SQL, then shaped from
    /// the records loaded.
    pub trait Sealed: Sized {
        /// Where the records go as they load.
        type Sink: Sink + Default;

        /// Resolves the request's names against the registry, under `scope` if there is
        /// one, and refuses it if it costs more than `limits` allow.
        fn plan(self, scope: Option<&Scope>, limits: &Limits) -> Result<Plan>;

        /// The result, from what the records loaded left in the sink.
        fn output(
            plan: Plan,
            sink: Self::Sink,
            metadata: Metadata,
        ) -> Result<<Self as super::GraphRequest>::Output>
        where
            Self: super::GraphRequest;
    }
}

impl GraphRequest for Graph {
    type Output = GraphResult<Value>;
}

#[allow(private_interfaces)]
impl sealed::Sealed for Graph {
    type Sink = Vec<record::Record>;

    fn plan(self, scope: Option<&Scope>, limits: &Limits) -> Result<plan::Plan> {
        plan::plan(&self, scope, limits)
    }

    fn output(
        plan: plan::Plan,
        records: Self::Sink,
        metadata: Metadata,
    ) -> Result<<Self as GraphRequest>::Output> {
        Ok(GraphResult {
            data: records
                .into_iter()
                .map(|record| record::to_json(&plan.root, record))
                .collect(),
            metadata,
        })
    }
}

impl<S: GraphSelect> GraphRequest for TypedGraph<S> {
    type Output = GraphResult<S>;
}

#[allow(private_interfaces)]
impl<S: GraphSelect> sealed::Sealed for TypedGraph<S> {
    type Sink = Vec<record::Record>;

    fn plan(self, scope: Option<&Scope>, limits: &Limits) -> Result<plan::Plan> {
        plan::plan(&self.into_graph(), scope, limits)
    }

    fn output(
        plan: plan::Plan,
        records: Self::Sink,
        metadata: Metadata,
    ) -> Result<<Self as GraphRequest>::Output> {
        // Straight from the records: no JSON objects are built on the way. Each count
        // goes to the struct field that reads it.
        let keys = S::count_keys();
        let data = records
            .into_iter()
            .map(|record| {
                S::deserialize(record::RecordDeserializer::new(&plan.root, &keys, record))
            })
            .collect::<Result<Vec<S>, _>>()
            .map_err(|source| Error::Deserialize {
                entity: S::Entity::MODEL,
                source,
            })?;
        Ok(GraphResult { data, metadata })
    }
}

impl GraphRequest for JsonGraph {
    type Output = JsonResult;
}

#[allow(private_interfaces)]
impl sealed::Sealed for JsonGraph {
    type Sink = json::JsonSink;

    fn plan(self, scope: Option<&Scope>, limits: &Limits) -> Result<plan::Plan> {
        plan::plan(&self.0, scope, limits)
    }

    fn output(
        _: plan::Plan,
        sink: Self::Sink,
        metadata: Metadata,
    ) -> Result<<Self as GraphRequest>::Output> {
        JsonResult::new(sink, metadata)
    }
}

/// Runs `request` on `conns`, whatever the driver: plans it (under `scope`, if there is
/// one, and the limits of the query and the scope: refused before any statement), loads
/// its records under the limits' statement timeout, shapes them.
pub(crate) async fn run<R: GraphRequest, X: Connections>(
    conns: &mut X,
    request: R,
    scope: Option<&Scope>,
    limits: Option<&Limits>,
) -> Result<R::Output> {
    let limits = Limits::of_query(limits, scope.and_then(Scope::cost_limits));
    operation!(
        "link_runtime.graph",
        { entity = Empty, rows = Empty, },
        |span| async {
            let plan = request.plan(scope, &limits)?;
            span.record("entity", plan.root.source.name());
            let mut timed = timeout::Timed::new(conns, limits.timeout_limit());
            let mut sink = R::Sink::default();
            let metadata = load::run(&mut timed, &plan, &mut sink).await;
            let metadata = timed.finish(metadata).await?;
            span.record("rows", load::Sink::len(&sink));
            R::output(plan, sink, metadata)
        }
    )
}

impl Scope {
    /// Checks `graph` against the scope, its [limits](Scope::limits) (or the defaults) and
    /// the registry as running it would, without a connection and without running
    /// anything: `Ok` if the query would run under the scope, the error it would be
    /// refused with otherwise. A handler can refuse a query before it checks a connection
    /// out of its pool. (A typed query's graph is [`TypedGraph::into_graph`]; a query run
    /// with limits of its own runs under the stricter of the two.)
    ///
    /// # Errors
    ///
    /// [`Error::Forbidden`] if the query reaches outside the scope,
    /// [`Error::TooCostly`] if it costs more than the limits allow, and the errors of a
    /// query's names and values [`Query::graph`] would return before any SQL.
    ///
    /// ```
    /// use link_runtime::graph::{Fields, Graph, Scope};
    /// use link_runtime::ErrorKind;
    ///
    /// let scope = Scope::new().entity("brand", Fields::all());
    /// let refused = scope.check(&Graph::entity("customer")).unwrap_err();
    /// assert_eq!(refused.kind(), ErrorKind::Forbidden);
    /// assert_eq!(refused.to_string(), "the scope refuses `customer`: entity not in scope");
    /// ```
    pub fn check(&self, graph: &Graph) -> Result<()> {
        let limits = Limits::of_query(None, self.cost_limits());
        plan::plan(graph, Some(self), &limits).map(drop)
    }
}
