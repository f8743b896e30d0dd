//! What a graph query asks for: [`Graph`], built in Rust or read from JSON.

use serde_json::Value;

use crate::entity::EntitySchema;
use crate::error::Result;
use crate::graph::filter::{
    count, malformed, parse_filters, parse_order, Condition, Filter, Order,
};
use crate::graph::nested::{push as push_nested, Nested};

/// A graph query: an entity, the fields to read (across links, in both directions), filters
/// on the entity, pagination and ordering. Run it with [`Query::graph`](crate::graph::Query::graph).
///
/// Fields are paths: `"title"` is a field of the entity, `"*"` all of them, `"brand.*"` every
/// field of the linked brand, `"brand.name"` one of them, and `"reviews.customer.*"` goes two
/// links deep. A linked field is named after the linked model (`brand`), in the plural when
/// the link's side is a list (`products`). A link field holds an object (or `null`) when the
/// entity has at most one partner, and an array when it may have many, in the order the
/// links were made (then by id). Dismissed links and soft-deleted records (a model with a
/// `deleted_at` field) are left out unless [`with_deleted`](Graph::with_deleted) asks.
///
/// A query an untrusted client sends runs under a [`Scope`](crate::graph::Scope), which
/// limits what it may reach; the `*_requested` accessors ([`entity_name`](Graph::entity_name),
/// [`fields_requested`](Graph::fields_requested), ..) tell what it asks for.
///
/// ```
/// use link_runtime::graph::{Condition, Graph, Order};
///
/// let graph = Graph::entity("product")
///     .fields(["id", "title", "brand.*"])
///     .filter("brand.name", "Acme")
///     .filter("price", Condition::ge(10))
///     .order("title", Order::Asc)
///     .skip(0)
///     .take(12);
/// assert_eq!(graph.fields_requested(), ["id", "title", "brand.*"]);
///
/// // The same query as JSON, as an HTTP API would pass it through.
/// let json = serde_json::json!({
///     "entity": "product",
///     "fields": ["id", "title", "brand.*"],
///     "filters": { "brand": { "name": "Acme" }, "price": { "$gte": 10 } },
///     "pagination": { "skip": 0, "take": 12, "order": { "title": "ASC" } },
/// });
/// assert_eq!(Graph::from_json(json)?, graph);
/// # Ok::<(), link_runtime::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    pub(crate) entity: EntityName,
    pub(crate) fields: Vec<String>,
    pub(crate) filters: Vec<Filter>,
    pub(crate) order: Vec<(String, Order)>,
    pub(crate) skip: u64,
    pub(crate) take: Option<u64>,
    /// The cursor the page starts after ([`Graph::after`]).
    pub(crate) after: Option<String>,
    pub(crate) with_deleted: bool,
    /// The filters' values are text, as a query string gives them (see
    /// [`Graph::from_query`]): read by the type of the field they compare with.
    pub(crate) text_values: bool,
    /// Missing records that make the query fail rather than answer without them.
    pub(crate) require: Require,
    /// Which linked records each link field holds ([`Graph::nested`]), by field.
    pub(crate) nested: Vec<(String, Nested)>,
}

/// What a query must find, or fail with [`Error::NotFound`](crate::Error::NotFound):
/// Medusa's `throwIfKeyNotFound` and `throwIfRelationNotFound`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Require {
    /// Every id its filter names.
    pub keys: bool,
    /// The record of every live link its fields follow.
    pub relations: Relations,
}

/// Which links' records a query must find.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum Relations {
    #[default]
    None,
    /// Every link its fields follow.
    All,
    /// The link fields at these paths (`"brand"`, `"brand.supplier"`).
    Paths(Vec<String>),
}

/// How a graph query names its entity.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EntityName {
    /// A model's name or a link's table, looked up in the registry.
    Name(String),
    /// A model known at compile time (typed queries).
    Schema(&'static EntitySchema),
}

impl Graph {
    /// A query of the entity named `entity`: a linkable model's name (`"product"`), or a
    /// link's table (`"product_product_brand_brand"`) to read pivot rows with their extra
    /// columns and both sides (`"product.*"`, `"brand.*"`).
    pub fn entity(entity: impl Into<String>) -> Self {
        Graph::new(EntityName::Name(entity.into()))
    }

    pub(crate) fn of(entity: &'static EntitySchema) -> Self {
        Graph::new(EntityName::Schema(entity))
    }

    fn new(entity: EntityName) -> Self {
        Graph {
            entity,
            fields: Vec::new(),
            filters: Vec::new(),
            order: Vec::new(),
            skip: 0,
            take: None,
            after: None,
            with_deleted: false,
            text_values: false,
            require: Require::default(),
            nested: Vec::new(),
        }
    }

    /// Adds fields to read; see [`Graph`] for their paths. Without any, the query reads
    /// every field of the entity (`"*"`).
    pub fn fields<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fields.extend(fields.into_iter().map(Into::into));
        self
    }

    /// Keeps the rows whose field at `path` meets `condition`. A value is an equality, an
    /// array is an `IN` list, `null` is `IS NULL`; [`Condition`] has the others. A path
    /// through a link (`"brand.name"`) keeps the rows with a live linked record that meets
    /// it. Filters add up (all must hold).
    pub fn filter(mut self, path: impl Into<String>, condition: impl Into<Condition>) -> Self {
        self.filters.push(Filter::field(path, condition));
        self
    }

    /// Adds a filter built with [`Filter`]'s combinators.
    pub fn filter_by(mut self, filter: Filter) -> Self {
        self.filters.push(filter);
        self
    }

    /// Orders the rows by a field, or by a field of a linked record on a side that holds at
    /// most one partner (`"brand.name"`). Later calls break ties of earlier ones; the
    /// primary key breaks the last ties, so pages never overlap.
    pub fn order(mut self, path: impl Into<String>, order: Order) -> Self {
        self.order.push((path.into(), order));
        self
    }

    /// Skips the first `skip` rows.
    pub fn skip(mut self, skip: u64) -> Self {
        self.skip = skip;
        self
    }

    /// Reads at most `take` rows; the result's `count` is then counted by the database.
    /// When more rows follow, the result's
    /// [`next_cursor`](crate::graph::Metadata::next_cursor) says where the page ended, for
    /// [`after`](Self::after).
    pub fn take(mut self, take: u64) -> Self {
        self.take = Some(take);
        self
    }

    /// Reads the rows that come after the last row of an earlier page, in the query's
    /// order: `cursor` is that page's [`next_cursor`](crate::graph::Metadata::next_cursor)
    /// (JSON: `pagination.after`). A keyset page: the database seeks to the row rather than
    /// count the rows before it, so a page far into a table costs what the first costs, and
    /// rows written before the cursor's row meanwhile do not shift the pages after it.
    ///
    /// The cursor holds the values the last row had in each order key and its primary key
    /// (the primary key breaks the order's ties), signed with the process's
    /// [`CursorKey`](crate::graph::CursorKey): a cursor edited by hand, made by another
    /// query (another entity, filters, order or `with_deleted`; its fields and page size
    /// may differ), or signed with another key is refused with
    /// [`Error::InvalidCursor`](crate::Error::InvalidCursor), before any SQL runs. It does
    /// not combine with [`skip`](Self::skip) ([`Error::MalformedQuery`](crate::Error::MalformedQuery)); the result's
    /// `count` still counts every row the filters match.
    ///
    /// ```
    /// # use diesel::{Connection, SqliteConnection};
    /// # use diesel::connection::SimpleConnection;
    /// use link_runtime::graph::{Graph, Order, Query};
    /// # use link_runtime::prelude::*;
    /// # #[derive(Linkable)] #[linkable(module = "product", table = "product")] pub struct Product { pub id: String, pub title: String }
    /// # let mut conn = SqliteConnection::establish(":memory:")?;
    /// # conn.batch_execute("CREATE TABLE product (id TEXT PRIMARY KEY, title TEXT NOT NULL);
    /// #     INSERT INTO product VALUES ('p1', 'Lamp'), ('p2', 'Chair'), ('p3', 'Kettle');")?;
    ///
    /// let page = || Graph::entity("product").fields(["title"]).order("title", Order::Asc).take(2);
    /// let first = Query::new(&mut conn).graph(page())?;
    /// assert_eq!(first.data, [serde_json::json!({ "title": "Chair" }), serde_json::json!({ "title": "Kettle" })]);
    /// let cursor = first.metadata.next_cursor.expect("a row follows");
    ///
    /// let second = Query::new(&mut conn).graph(page().after(cursor))?;
    /// assert_eq!(second.data, [serde_json::json!({ "title": "Lamp" })]);
    /// assert_eq!(second.metadata.next_cursor, None, "the last page");
    /// assert_eq!(second.metadata.count, 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.after = Some(cursor.into());
        self
    }

    /// Says which of each record's linked records the link field `field` holds, and counts
    /// (`_count.{field}`): a page inside each record, filtered and ordered (see [`Nested`]).
    /// JSON: `"nested": { "products": { "take": 3, "skip": 0, "order": { .. }, "filters":
    /// { .. }, "nested": { .. } } }`. `field` is a link field of the query's entity; an
    /// entry of a link the query neither reads nor counts changes nothing.
    pub fn nested(mut self, field: impl Into<String>, nested: Nested) -> Self {
        push_nested(&mut self.nested, field.into(), nested);
        self
    }

    /// Includes soft-deleted records and dismissed or deleted links.
    pub fn with_deleted(mut self) -> Self {
        self.with_deleted = true;
        self
    }

    /// Fails with [`Error::NotFound`](crate::Error::NotFound), naming them, if some of the
    /// ids the query's filter names on the primary key (`.filter("id", ["p1", "p2"])`) are
    /// not among the records it matches: missing, soft-deleted, or refused by its other
    /// filters (Medusa's `throwIfKeyNotFound`). The filter must name ids, at its top level.
    /// It costs one statement more.
    ///
    /// ```
    /// # use diesel::{Connection, SqliteConnection};
    /// # use diesel::connection::SimpleConnection;
    /// use link_runtime::graph::{Graph, Query};
    /// use link_runtime::{Error, ErrorKind};
    /// # use link_runtime::prelude::*;
    /// # #[derive(Linkable)] #[linkable(module = "product", table = "product")] pub struct Product { pub id: String, pub title: String }
    /// # let mut conn = SqliteConnection::establish(":memory:")?;
    /// # conn.batch_execute("CREATE TABLE product (id TEXT PRIMARY KEY, title TEXT NOT NULL);
    /// #                     INSERT INTO product VALUES ('p1', 'Kettle');")?;
    ///
    /// let query = Graph::entity("product").filter("id", ["p1", "p9"]).fail_if_key_not_found();
    /// let error = Query::new(&mut conn).graph(query).unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::NotFound);
    /// assert_eq!(error.to_string(), "not found: product `p9`");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fail_if_key_not_found(mut self) -> Self {
        self.require.keys = true;
        self
    }

    /// Fails with [`Error::NotFound`](crate::Error::NotFound), naming them, if a live link
    /// the query's fields follow points to a record that is missing or soft-deleted
    /// (Medusa's `throwIfRelationNotFound`), rather than reading it as no record. Each
    /// link followed is then read by statements of its own, even a side that holds one
    /// record.
    pub fn fail_if_relation_not_found(mut self) -> Self {
        self.require.relations = Relations::All;
        self
    }

    /// [`fail_if_relation_not_found`](Self::fail_if_relation_not_found) for the link fields
    /// at these paths only (`"brand"`, `"brand.supplier"`), each of which the query's
    /// fields must follow.
    pub fn fail_if_relation_not_found_in<I, S>(mut self, paths: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut known = match std::mem::take(&mut self.require.relations) {
            Relations::Paths(known) => known,
            _ => Vec::new(),
        };
        known.extend(paths.into_iter().map(Into::into));
        self.require.relations = Relations::Paths(known);
        self
    }

    /// The entity the query reads, as it names it (a typed query names its model).
    ///
    /// The `*_requested` accessors tell what a query asks for as it stands, before it is
    /// checked against the registry or a [`Scope`](crate::graph::Scope): for an
    /// application that decides more about a client's query than a scope says.
    ///
    /// ```
    /// use link_runtime::graph::Graph;
    ///
    /// assert_eq!(Graph::entity("product").entity_name(), "product");
    /// ```
    pub fn entity_name(&self) -> &str {
        match &self.entity {
            EntityName::Name(name) => name,
            EntityName::Schema(entity) => entity.model,
        }
    }

    /// The field paths asked for so far, in order. None means every field (`"*"`).
    ///
    /// ```
    /// use link_runtime::graph::Graph;
    ///
    /// let graph = Graph::entity("product").fields(["id", "brand.name"]);
    /// assert_eq!(graph.fields_requested(), ["id", "brand.name"]);
    /// ```
    pub fn fields_requested(&self) -> &[String] {
        &self.fields
    }

    /// The filters, all of which must hold, in the order they were added; a JSON query's
    /// `filters` object gives one per key (several for a key's operators), and `$and` and
    /// `$or` give [`Filter::And`] and [`Filter::Or`]. [`Filter::paths`] lists the field
    /// paths a filter reads.
    ///
    /// ```
    /// use link_runtime::graph::{Condition, Filter, Graph};
    ///
    /// let graph = Graph::from_json(serde_json::json!({
    ///     "entity": "product",
    ///     "filters": { "brand": { "name": "Acme" }, "price": { "$gte": 10 } },
    /// }))?;
    /// assert_eq!(
    ///     graph.filters_requested(),
    ///     [Filter::field("brand.name", "Acme"), Filter::field("price", Condition::ge(10))]
    /// );
    /// # Ok::<(), link_runtime::Error>(())
    /// ```
    pub fn filters_requested(&self) -> &[Filter] {
        &self.filters
    }

    /// The order keys: each a field path and its direction, the first the most
    /// significant.
    ///
    /// ```
    /// use link_runtime::graph::{Graph, Order};
    ///
    /// let graph = Graph::entity("product").order("brand.name", Order::Asc).order("id", Order::Desc);
    /// assert_eq!(
    ///     graph.order_requested(),
    ///     [("brand.name".to_owned(), Order::Asc), ("id".to_owned(), Order::Desc)]
    /// );
    /// ```
    pub fn order_requested(&self) -> &[(String, Order)] {
        &self.order
    }

    /// How many rows the query skips (0 unless asked).
    ///
    /// ```
    /// use link_runtime::graph::Graph;
    ///
    /// assert_eq!(Graph::entity("product").skip_requested(), 0);
    /// assert_eq!(Graph::entity("product").skip(24).skip_requested(), 24);
    /// ```
    pub fn skip_requested(&self) -> u64 {
        self.skip
    }

    /// The page size asked for, if any. (Under a scope with a
    /// [`max_take`](crate::graph::Scope::max_take), a query without one reads that many.)
    ///
    /// ```
    /// use link_runtime::graph::Graph;
    ///
    /// assert_eq!(Graph::entity("product").take_requested(), None);
    /// assert_eq!(Graph::entity("product").take(12).take_requested(), Some(12));
    /// ```
    pub fn take_requested(&self) -> Option<u64> {
        self.take
    }

    /// The cursor the page starts after, if any ([`after`](Self::after)), as given.
    ///
    /// ```
    /// use link_runtime::graph::Graph;
    ///
    /// assert_eq!(Graph::entity("product").after_requested(), None);
    /// assert_eq!(Graph::entity("product").after("AQ").after_requested(), Some("AQ"));
    /// ```
    pub fn after_requested(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// Whether the query asks for soft-deleted records and dismissed links.
    ///
    /// ```
    /// use link_runtime::graph::Graph;
    ///
    /// assert!(!Graph::entity("product").with_deleted_requested());
    /// assert!(Graph::entity("product").with_deleted().with_deleted_requested());
    /// ```
    pub fn with_deleted_requested(&self) -> bool {
        self.with_deleted
    }

    /// Reads a query from JSON, in the shape of Medusa's `query.graph` argument:
    ///
    /// ```json
    /// {
    ///   "entity": "product",
    ///   "fields": ["id", "title", "brand.*"],
    ///   "filters": { "id": ["prod_1", "prod_2"], "brand": { "name": "Acme" },
    ///                "price": { "$gte": 10, "$lt": 100 }, "$or": [{ "title": "A" }, { "title": "B" }] },
    ///   "pagination": { "skip": 0, "take": 12, "order": { "title": "DESC" }, "after": null },
    ///   "with_deleted": false,
    ///   "options": { "fail_if_key_not_found": true, "fail_if_relation_not_found": ["brand"] }
    /// }
    /// ```
    ///
    /// Operators: `$eq`, `$ne`, `$gt`, `$gte`, `$lt`, `$lte`, `$in`, `$nin`, `$like`,
    /// `$ilike`; combinators `$and` and `$or`. `withDeleted` is accepted for `with_deleted`.
    /// `options` are [`fail_if_key_not_found`](Self::fail_if_key_not_found) and
    /// [`fail_if_relation_not_found`](Self::fail_if_relation_not_found) (`true`, or the link
    /// paths it applies to), also under Medusa's names, `throwIfKeyNotFound` and
    /// `throwIfRelationNotFound`.
    /// Several order keys keep their order when written as an array of one-key objects
    /// (`[{ "title": "ASC" }, { "id": "DESC" }]`). `pagination.after` is a cursor, a
    /// string, as [`after`](Self::after) takes it (or `null`: none).
    ///
    /// # Errors
    ///
    /// [`Error::MalformedQuery`](crate::Error::MalformedQuery) naming what is wrong. Names are
    /// checked against the registry when the query runs.
    pub fn from_json(json: Value) -> Result<Self> {
        let Value::Object(mut object) = json else {
            return Err(malformed("a graph query is a JSON object"));
        };
        let entity = match object.remove("entity") {
            Some(Value::String(entity)) => entity,
            Some(_) => return Err(malformed("`entity` is a string")),
            None => return Err(malformed("`entity` is missing")),
        };
        let mut graph = Graph::entity(entity);
        if let Some(fields) = object.remove("fields") {
            let Value::Array(fields) = fields else {
                return Err(malformed("`fields` is an array of strings"));
            };
            for field in fields {
                let Value::String(field) = field else {
                    return Err(malformed("`fields` is an array of strings"));
                };
                graph.fields.push(field);
            }
        }
        if let Some(filters) = object.remove("filters") {
            let Value::Object(filters) = filters else {
                return Err(malformed("`filters` is an object"));
            };
            graph.filters = parse_filters(filters, "")?;
        }
        if let Some(pagination) = object.remove("pagination") {
            let Value::Object(mut pagination) = pagination else {
                return Err(malformed("`pagination` is an object"));
            };
            if let Some(skip) = pagination.remove("skip") {
                graph.skip = count(&skip, "skip")?;
            }
            if let Some(take) = pagination.remove("take") {
                graph.take = Some(count(&take, "take")?);
            }
            if let Some(order) = pagination.remove("order") {
                graph.order = parse_order(order)?;
            }
            match pagination.remove("after") {
                Some(Value::String(cursor)) => graph.after = Some(cursor),
                Some(Value::Null) | None => {}
                Some(_) => return Err(malformed("`after` is a cursor: a string")),
            }
            if let Some(key) = pagination.keys().next() {
                return Err(malformed(format!(
                    "unknown pagination key `{key}` (known: skip, take, order, after)"
                )));
            }
        }
        for key in ["with_deleted", "withDeleted"] {
            match object.remove(key) {
                Some(Value::Bool(with_deleted)) => graph.with_deleted = with_deleted,
                Some(_) => return Err(malformed(format!("`{key}` is a boolean"))),
                None => {}
            }
        }
        if let Some(options) = object.remove("options") {
            graph.require = parse_options(options)?;
        }
        if let Some(nested) = object.remove("nested") {
            graph.nested = Nested::parse_entries(nested, "nested")?;
        }
        if let Some(key) = object.keys().next() {
            return Err(malformed(format!(
                "unknown key `{key}` (known: entity, fields, filters, pagination, \
                 with_deleted, options, nested)"
            )));
        }
        Ok(graph)
    }
}

/// A graph query reads from JSON as [`Graph::from_json`] reads it, so that a web framework's
/// JSON extractor can hand one over whole.
///
/// ```
/// use link_runtime::graph::Graph;
///
/// let graph: Graph = serde_json::from_str(r#"{ "entity": "brand", "fields": ["name"] }"#)?;
/// assert_eq!(graph, Graph::entity("brand").fields(["name"]));
/// assert!(serde_json::from_str::<Graph>(r#"{ "entity": "brand", "limit": 1 }"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
impl<'de> serde::Deserialize<'de> for Graph {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = Value::deserialize(deserializer)?;
        Graph::from_json(json).map_err(serde::de::Error::custom)
    }
}

/// `options`: `{"fail_if_key_not_found": true, "fail_if_relation_not_found": true |
/// ["brand", ..]}`, or Medusa's names for them, `throwIfKeyNotFound` and
/// `throwIfRelationNotFound`.
fn parse_options(options: Value) -> Result<Require> {
    let Value::Object(mut options) = options else {
        return Err(malformed("`options` is an object"));
    };
    let mut require = Require::default();
    for key in ["fail_if_key_not_found", "throwIfKeyNotFound"] {
        match options.remove(key) {
            Some(Value::Bool(keys)) => require.keys = keys,
            Some(_) => return Err(malformed(format!("`options.{key}` is a boolean"))),
            None => {}
        }
    }
    for key in ["fail_if_relation_not_found", "throwIfRelationNotFound"] {
        match options.remove(key) {
            Some(Value::Bool(true)) => require.relations = Relations::All,
            Some(Value::Bool(false)) => require.relations = Relations::None,
            Some(Value::Array(paths)) => {
                let paths = paths
                    .into_iter()
                    .map(|path| match path {
                        Value::String(path) => Ok(path),
                        _ => Err(malformed(format!(
                            "`options.{key}` is a boolean or an array of link paths"
                        ))),
                    })
                    .collect::<Result<_>>()?;
                require.relations = Relations::Paths(paths);
            }
            Some(_) => {
                return Err(malformed(format!(
                    "`options.{key}` is a boolean or an array of link paths"
                )))
            }
            None => {}
        }
    }
    if let Some(key) = options.keys().next() {
        return Err(malformed(format!(
            "unknown option `{key}` (known: fail_if_key_not_found, fail_if_relation_not_found)"
        )));
    }
    Ok(require)
}
