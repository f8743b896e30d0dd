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
//! statement of the records it hangs from; any other link in the field paths takes one
//! statement on the pivot table and one on the linked model's table, each binding the ids of
//! the level above as a single JSON array parameter. The number of statements depends on the
//! shape of the query, never on the number of rows. A filter on a linked record's field is a semi-join inside the root
//! statement (`id IN (SELECT .. FROM pivot JOIN target ..)`), so a page of a filtered query
//! costs what the page costs. Every name in the SQL comes from the registry: the query's
//! names are only looked up.
//!
//! The parts: `request.rs` ([`Graph`], filters, JSON), `plan.rs` (names resolved against
//! the registry into a tree of typed nodes), `load.rs` (SQL, batching, stitching),
//! `value.rs` (reading columns whatever their type), `typed.rs` ([`GraphSelect`]), and
//! `entity.rs` (models as entities).

mod entity;
mod load;
mod plan;
mod record;
mod request;
mod typed;
mod value;

use serde::Serialize;
use serde_json::Value;

pub use self::entity::{EntityField, EntitySchema};
pub use self::request::{Condition, Filter, Graph, Order};
pub use self::typed::{
    Field, GraphLink, GraphSelect, HoldsLinked, Many, One, TypedFilter, TypedGraph, TypedOrder,
};
/// Derives [`GraphSelect`](trait@GraphSelect); see the trait.
pub use link_macros::GraphSelect;

pub(crate) use self::entity::registered_entities;
#[doc(hidden)]
pub use self::entity::EntityRegistration;
#[doc(hidden)]
pub use self::typed::checks;
pub(crate) use self::value::JsonRow;

use crate::backend::LinkConnection;
use crate::databases::{Databases, OneConnection, Session};
use crate::error::{Error, Result};
use crate::linkable::Linkable;

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
pub struct Query<'c, C> {
    target: Target<'c, C>,
}

enum Target<'c, C> {
    One(&'c mut C),
    Across(&'c Databases<C>),
}

impl<'c, C: LinkConnection> Query<'c, C> {
    /// Queries through `conn`, where the modules' tables and the links' tables are.
    pub fn new(conn: &'c mut C) -> Self {
        Query {
            target: Target::One(conn),
        }
    }

    /// Queries across `databases`: each statement runs in the database of its table, and
    /// records are joined in the application (see [`databases`](crate::databases)).
    /// Ordering by a linked record's field needs the link and the record in the root's
    /// database: across databases it is refused with [`Error::InvalidOrder`].
    pub fn across(databases: &'c Databases<C>) -> Self {
        Query {
            target: Target::Across(databases),
        }
    }

    /// Runs a [`Graph`] (rows as JSON values) or a [`TypedGraph`] (rows as the selecting
    /// struct).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownEntity`], [`Error::UnknownField`], [`Error::InvalidFilter`],
    /// [`Error::InvalidOrder`] and [`Error::MalformedQuery`] name what the query got wrong
    /// before any SQL runs; [`Error::Database`] if the database refuses a statement (a
    /// model's table that does not exist, say); [`Error::Deserialize`] if a typed row does
    /// not fit its struct; [`Error::Connection`] if a database cannot be reached.
    pub fn graph<R: GraphRequest>(&mut self, request: R) -> Result<R::Output> {
        request.run(self)
    }

    fn run_plan(&mut self, plan: &plan::Plan) -> Result<load::Loaded> {
        match &mut self.target {
            Target::One(conn) => load::run(&mut OneConnection(&mut **conn), plan),
            Target::Across(databases) => load::run(&mut Session::reading(databases), plan),
        }
    }
}

impl<C> std::fmt::Debug for Query<'_, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.target {
            Target::One(_) => f.write_str("Query(one connection)"),
            Target::Across(databases) => f.debug_tuple("Query").field(databases).finish(),
        }
    }
}

/// What [`Query::graph`] runs: a [`Graph`] or a [`TypedGraph`].
pub trait GraphRequest: sealed::Sealed {
    /// The result: [`GraphResult`] of JSON rows, or of typed rows.
    type Output;

    #[doc(hidden)]
    fn run<C: LinkConnection>(self, query: &mut Query<'_, C>) -> Result<Self::Output>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Graph {}
    impl<S> Sealed for super::TypedGraph<S> {}
}

impl GraphRequest for Graph {
    type Output = GraphResult<Value>;

    fn run<C: LinkConnection>(self, query: &mut Query<'_, C>) -> Result<Self::Output> {
        let plan = plan::plan(&self)?;
        let loaded = query.run_plan(&plan)?;
        Ok(GraphResult {
            data: loaded
                .records
                .into_iter()
                .map(|record| record::to_json(&plan.root, record))
                .collect(),
            metadata: loaded.metadata,
        })
    }
}

impl<S: GraphSelect> GraphRequest for TypedGraph<S> {
    type Output = GraphResult<S>;

    fn run<C: LinkConnection>(self, query: &mut Query<'_, C>) -> Result<Self::Output> {
        let graph = self.into_graph();
        let plan = plan::plan(&graph)?;
        let loaded = query.run_plan(&plan)?;
        // Straight from the records: no JSON objects are built on the way.
        let data = loaded
            .records
            .into_iter()
            .map(|record| S::deserialize(record::RecordDeserializer::new(&plan.root, record)))
            .collect::<Result<Vec<S>, _>>()
            .map_err(|source| Error::Deserialize {
                entity: S::Entity::MODEL,
                source,
            })?;
        Ok(GraphResult {
            data,
            metadata: loaded.metadata,
        })
    }
}

/// The rows of a graph query and how they relate to the whole.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphResult<T> {
    /// The rows, with exactly the fields asked for.
    pub data: Vec<T>,
    /// The count of matching rows, and the page.
    pub metadata: Metadata,
}

/// The page a graph query returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// How many rows match the filters, whatever the page.
    pub count: u64,
    /// How many rows the page skipped.
    pub skip: u64,
    /// The page's size, if one was asked for.
    pub take: Option<u64>,
}
