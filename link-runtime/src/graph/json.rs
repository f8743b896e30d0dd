//! A graph query's JSON result written straight from its records: [`JsonGraph`] and
//! [`JsonResult`].

use std::ops::Range;

use serde::ser::{Error as _, Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;

use super::load::{Budget, Join, Sink, Stream};
use super::plan::Node;
use super::plan::COUNT_FIELD;
use super::record::count_order;
use super::record::{Record, RecordJson};
use super::request::Graph;
use super::result::Metadata;
use crate::backend::{shape, Cell, RawRow};
use crate::error::{Error, Result};

/// A [`Graph`] whose result is written as JSON without being built as
/// `serde_json::Value`s first: [`Graph::to_json`] makes one, and
/// [`Query::graph`](super::Query::graph) runs it into a [`JsonResult`].
///
/// A `GraphResult<Value>` holds each row as a tree of `Value`s, maps of boxed values, many
/// times the size of the JSON it becomes; a `JsonResult` holds the JSON text of its rows,
/// written from each record as soon as it is read. Where each row of the root statement is
/// a whole record (every link joined into it: `product { id, title, brand.* }`), the rows
/// are read one at a time, so that neither they nor their records are ever held together:
/// the query's memory is its JSON.
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

/// The result of a [`JsonGraph`]: the JSON of a [`GraphResult`](super::GraphResult)
/// (`{"data": [...], "metadata": {...}}`), written from the records as they were read, with
/// no `serde_json::Value` built on the way. It serializes (with `serde_json`) as that
/// document, and [`into_body`](Self::into_body) hands its bytes over without a copy. With
/// feature `axum`, it is an axum response.
///
/// It holds JSON text: it serializes with `serde_json` (whose raw values it uses), not with
/// serializers of other formats.
pub struct JsonResult {
    /// The whole document, JSON as serde_json wrote it (so UTF-8, checked where it is read
    /// as text rather than on every answer sent as bytes).
    document: Vec<u8>,
    /// Where in it the array of rows is.
    data: Range<usize>,
    rows: usize,
    metadata: Metadata,
}

impl JsonResult {
    pub(crate) fn new(sink: JsonSink, metadata: Metadata) -> Result<Self> {
        let JsonSink { mut out, rows } = sink;
        match rows {
            0 => out.extend_from_slice(b"[]"),
            _ => out.push(b']'),
        }
        let data = DOCUMENT_START.len()..out.len();
        out.extend_from_slice(b",\"metadata\":");
        serde_json::to_writer(&mut out, &metadata).map_err(|error| Error::Output(error.into()))?;
        out.push(b'}');
        out.shrink_to_fit();
        Ok(JsonResult {
            document: out,
            data,
            rows,
            metadata,
        })
    }

    /// The count of matching rows, the page, and the cursor of the next one.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// How many rows the page holds.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the page holds no row.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The rows alone, as a JSON array, written by serde: for a response shaped otherwise
    /// than `{"data", "metadata"}` (`{"products": [...], "count": 2}`, say).
    pub fn data(&self) -> impl Serialize + '_ {
        RawJson(self.data_json())
    }

    /// The rows alone, as the text of a JSON array.
    ///
    /// ```
    /// # use diesel::{Connection, SqliteConnection};
    /// # use diesel::connection::SimpleConnection;
    /// # use link_runtime::graph::{Graph, Query};
    /// # use link_runtime::prelude::*;
    /// # #[derive(Linkable)] #[linkable(module = "product", table = "product")] pub struct Product { pub id: String, pub title: String }
    /// let mut conn = SqliteConnection::establish(":memory:")?;
    /// conn.batch_execute("CREATE TABLE product (id TEXT PRIMARY KEY, title TEXT NOT NULL);
    ///                     INSERT INTO product VALUES ('p1', 'Kettle'), ('p2', 'Lamp');")?;
    /// let page = Query::new(&mut conn)
    ///     .graph(Graph::entity("product").fields(["title"]).to_json())?;
    /// assert_eq!(page.data_json(), r#"[{"title":"Kettle"},{"title":"Lamp"}]"#);
    /// assert_eq!(
    ///     String::from_utf8(page.into_body())?,
    ///     r#"{"data":[{"title":"Kettle"},{"title":"Lamp"}],"metadata":{"count":2,"skip":0,"take":null}}"#
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn data_json(&self) -> &str {
        text(&self.document[self.data.clone()])
    }

    /// The whole result as JSON bytes, `{"data": [...], "metadata": {...}}`, as it
    /// serializes: the buffer the rows were written into, handed over without a copy (for
    /// an HTTP body).
    pub fn into_body(self) -> Vec<u8> {
        self.document
    }
}

impl std::fmt::Debug for JsonResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonResult")
            .field("rows", &self.rows)
            .field("metadata", &self.metadata)
            .finish()
    }
}

impl Serialize for JsonResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        RawJson(text(&self.document)).serialize(serializer)
    }
}

/// JSON text that serializes as itself, with `serde_json` (which reads it once more on the
/// way, as a raw value: [`JsonResult::into_body`] does not).
struct RawJson<'a>(&'a str);

impl Serialize for RawJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let raw: &RawValue = serde_json::from_str(self.0).map_err(S::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// JSON that serde_json wrote, as the text it is.
fn text(json: &[u8]) -> &str {
    std::str::from_utf8(json).expect("serde_json writes UTF-8")
}

/// How a result's document starts: the rows come next.
const DOCUMENT_START: &[u8] = b"{\"data\":";

/// Up to how many bytes a result's buffer grows at once: it grows by half its size up to
/// that, so that it is never much larger than the JSON it holds.
const GROWTH: usize = 1 << 16;

/// The JSON document of a query's result, written a record at a time as the query reads
/// them. (Public in a private module, as the sink of the sealed `GraphRequest`.)
pub struct JsonSink {
    out: Vec<u8>,
    rows: usize,
}

impl Default for JsonSink {
    fn default() -> Self {
        JsonSink {
            out: DOCUMENT_START.to_vec(),
            rows: 0,
        }
    }
}

impl JsonSink {
    /// Writes the next row of the result.
    fn write(&mut self, row: &impl Serialize) -> Result<()> {
        // By half its size at most, rather than doubling: the buffer is the result.
        if self.out.capacity() - self.out.len() < GROWTH {
            self.out.reserve_exact((self.out.len() / 2).max(GROWTH));
        }
        self.out.push(if self.rows == 0 { b'[' } else { b',' });
        serde_json::to_writer(&mut self.out, row).map_err(|error| Error::Output(error.into()))?;
        self.rows += 1;
        Ok(())
    }
}

#[allow(private_interfaces)]
impl Sink for JsonSink {
    type Row = RawRow;

    fn push(&mut self, node: &Node, record: Record) -> Result<()> {
        self.write(&RecordJson {
            node,
            record: &record,
        })
    }

    /// Writes the record from the row's cells, with no record or value between.
    fn push_row(
        &mut self,
        stream: &mut Stream<'_>,
        row: RawRow,
        budget: &mut Budget,
    ) -> Result<()> {
        for join in &stream.joins {
            if !row.is_null(join.start + join.primary_key) {
                budget.add(1)?;
            }
        }
        self.write(&RowJson { stream, row: &row })
    }

    fn len(&self) -> usize {
        self.rows
    }
}

/// The record whole in a row of a [`Stream`]ed plan's statement, written by serde as
/// [`RecordJson`] writes the record built from it.
struct RowJson<'a> {
    stream: &'a Stream<'a>,
    row: &'a RawRow,
}

impl Serialize for RowJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let (stream, row) = (self.stream, self.row);
        let node = stream.node;
        let mut map = serializer.serialize_map(Some(stream.order.len()))?;
        for &i in &stream.order {
            match i.checked_sub(node.output) {
                None => {
                    map.serialize_entry(node.select[i].name, &field(stream, node, row, 0, i))?
                }
                Some(link) if link == node.hops.len() => {
                    map.serialize_entry(COUNT_FIELD, &CountsJson { stream, row })?
                }
                Some(link) => {
                    let join = &stream.joins[link];
                    let hop = join.hop;
                    if row.is_null(join.start + join.primary_key) {
                        map.serialize_entry(hop.name, &())?;
                    } else {
                        map.serialize_entry(
                            hop.name,
                            &JoinedJson {
                                stream,
                                row,
                                join,
                                order: &stream.join_orders[link],
                            },
                        )?;
                    }
                }
            }
        }
        map.end()
    }
}

/// The counts of the record whole in a streamed row, as a JSON object by link field, its
/// keys in the order a `serde_json` map keeps them.
struct CountsJson<'a> {
    stream: &'a Stream<'a>,
    row: &'a RawRow,
}

impl Serialize for CountsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let counts = &self.stream.node.counts;
        let mut map = serializer.serialize_map(Some(counts.len()))?;
        for i in count_order(counts) {
            map.serialize_entry(counts[i].name, &self.row.cell(self.stream.counts_start + i))?;
        }
        map.end()
    }
}

/// Field `i` of a record of `node` whose columns start at `start` in `row`, in its JSON
/// form.
fn field<'r>(
    stream: &Stream<'_>,
    node: &Node,
    row: &'r RawRow,
    start: usize,
    i: usize,
) -> Cell<'r> {
    shape(stream.dialect, node.select[i].kind, row.cell(start + i))
}

/// A record joined into a streamed row: its fields only (a streamed plan's joined records
/// have no links of their own).
struct JoinedJson<'a> {
    stream: &'a Stream<'a>,
    row: &'a RawRow,
    join: &'a Join<'a>,
    order: &'a [usize],
}

impl Serialize for JoinedJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let node = &self.join.hop.node;
        let mut map = serializer.serialize_map(Some(self.order.len()))?;
        for &i in self.order {
            map.serialize_entry(
                node.select[i].name,
                &field(self.stream, node, self.row, self.join.start, i),
            )?;
        }
        map.end()
    }
}
