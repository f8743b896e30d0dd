//! A graph query's JSON result written straight from its records: [`JsonGraph`] and
//! [`JsonResult`].

use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::load::Loaded;
use super::plan::{Node, Plan};
use super::record::{Record, RecordsJson};
use super::request::Graph;
use super::result::Metadata;

/// A [`Graph`] whose result is written as JSON without being built as
/// `serde_json::Value`s first: [`Graph::to_json`] makes one, and
/// [`Query::graph`](super::Query::graph) runs it into a [`JsonResult`].
///
/// A `GraphResult<Value>` holds each row as a tree of `Value`s, maps of boxed values, many
/// times the size of the JSON it becomes; a `JsonResult` holds the rows as they were read,
/// and writes the same JSON from them, for a web handler to send.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonGraph(pub(crate) Graph);

impl Graph {
    /// This query, to be answered as JSON written straight from the records it reads: see
    /// [`JsonGraph`].
    ///
    /// ```
    /// use diesel::{Connection, SqliteConnection};
    /// use diesel::connection::SimpleConnection;
    /// use link_runtime::graph::{Graph, Query};
    /// # use link_runtime::prelude::*;
    /// # #[derive(Linkable)] #[linkable(module = "product", table = "product")] pub struct Product { pub id: String, pub title: String }
    ///
    /// let mut conn = SqliteConnection::establish(":memory:")?;
    /// conn.batch_execute("CREATE TABLE product (id TEXT PRIMARY KEY, title TEXT NOT NULL);
    ///                     INSERT INTO product VALUES ('p1', 'Kettle');")?;
    /// let graph = Graph::entity("product").fields(["id", "title"]);
    ///
    /// let written = Query::new(&mut conn).graph(graph.clone().to_json())?;
    /// let built = Query::new(&mut conn).graph(graph)?;
    /// assert_eq!(written.metadata().count, 1);
    /// // The same JSON as the `Value`s would give.
    /// assert_eq!(serde_json::to_string(&written)?, serde_json::to_string(&built)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_json(self) -> JsonGraph {
        JsonGraph(self)
    }
}

/// The result of a [`JsonGraph`]: rows kept as read, written by serde as the JSON of a
/// [`GraphResult`](super::GraphResult) (`{"data": [...], "metadata": {...}}`) with no
/// `serde_json::Value` built on the way. With feature `axum`, it is an axum response.
pub struct JsonResult {
    root: Node,
    records: Vec<Record>,
    metadata: Metadata,
}

impl JsonResult {
    pub(crate) fn new(plan: Plan, loaded: Loaded) -> Self {
        JsonResult {
            root: plan.root,
            records: loaded.records,
            metadata: loaded.metadata,
        }
    }

    /// The count of matching rows, and the page.
    pub fn metadata(&self) -> Metadata {
        self.metadata
    }

    /// How many rows the page holds.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the page holds no row.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The rows alone, as a JSON array, written by serde: for a response shaped otherwise
    /// than `{"data", "metadata"}` (`{"products": [...], "count": 2}`, say).
    pub fn data(&self) -> impl Serialize + '_ {
        RecordsJson {
            node: &self.root,
            records: &self.records,
        }
    }
}

impl std::fmt::Debug for JsonResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonResult")
            .field("rows", &self.records.len())
            .field("metadata", &self.metadata)
            .finish()
    }
}

impl Serialize for JsonResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut result = serializer.serialize_struct("GraphResult", 2)?;
        result.serialize_field("data", &self.data())?;
        result.serialize_field("metadata", &self.metadata)?;
        result.end()
    }
}
