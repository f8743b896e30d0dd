//! A page inside each parent: which of a record's linked records a list field holds, in
//! what order, and which of them its count counts ([`Nested`]).

use serde_json::{Map, Value};

use crate::error::Result;
use crate::graph::filter::{
    count, malformed, parse_filters, parse_order, Condition, Filter, Order,
};

/// Which of each record's linked records a link field holds: a page inside each parent
/// (JSON `nested: { "products": { "take": 3, "order": { "created_at": "DESC" } } }`).
///
/// Its [`filters`](Self::filter) keep the linked records that meet them, and apply to the
/// field's count (`_count.products`) too; its [`order`](Self::order), [`skip`](Self::skip)
/// and [`take`](Self::take) page each parent's list, in the database, one statement per
/// level whatever the number of parents. A list's records without an order come in the
/// order their links were made. A side that holds one record at most takes only
/// [`nested`](Self::nested) entries of its own, for the lists below it.
///
/// ```
/// # use diesel::{Connection, SqliteConnection};
/// # use diesel::connection::SimpleConnection;
/// use link_runtime::graph::{Condition, Graph, Nested, Order, Query};
/// # use link_runtime::prelude::*;
/// use serde_json::json;
/// # #[derive(Linkable)] #[linkable(module = "product", table = "product")] pub struct Product { pub id: String, pub title: String }
/// # #[derive(Linkable)] #[linkable(module = "brand", table = "brand")] pub struct Brand { pub id: String, pub name: String }
/// # mod product_brand { use super::{Brand, Product}; link_runtime::define_link!(Product(is_list), Brand); }
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let mut conn = SqliteConnection::establish(":memory:")?;
/// # conn.batch_execute("CREATE TABLE product (id TEXT PRIMARY KEY, title TEXT NOT NULL);
/// #     CREATE TABLE brand (id TEXT PRIMARY KEY, name TEXT NOT NULL);
/// #     INSERT INTO product VALUES ('p1', 'Lamp'), ('p2', 'Chair'), ('p3', 'Kettle'), ('p4', 'Zither');
/// #     INSERT INTO brand VALUES ('b1', 'Acme');")?;
/// # link_runtime::migrate(&mut conn)?;
/// # for p in ["p1", "p2", "p3", "p4"] { link_runtime::create(&mut conn, Product::id(p), Brand::id("b1"))?; }
///
/// // Each brand with its first two products by title, of those but the Zither, and how
/// // many such products it has.
/// let graph = Graph::entity("brand")
///     .fields(["name", "products.title", "_count.products"])
///     .nested(
///         "products",
///         Nested::new()
///             .filter("title", Condition::ne("Zither"))
///             .order("title", Order::Asc)
///             .take(2),
///     );
/// let brands = Query::new(&mut conn).graph(graph.clone())?;
/// assert_eq!(
///     brands.data,
///     [json!({ "name": "Acme", "products": [{ "title": "Chair" }, { "title": "Kettle" }],
///              "_count": { "products": 3 } })]
/// );
///
/// // The same as JSON.
/// let json = json!({
///     "entity": "brand",
///     "fields": ["name", "products.title", "_count.products"],
///     "nested": { "products": {
///         "filters": { "title": { "$ne": "Zither" } },
///         "order": { "title": "ASC" },
///         "take": 2,
///     } },
/// });
/// assert_eq!(Graph::from_json(json)?, graph);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Nested {
    pub(crate) filters: Vec<Filter>,
    pub(crate) order: Vec<(String, Order)>,
    pub(crate) skip: u64,
    pub(crate) take: Option<u64>,
    pub(crate) nested: Vec<(String, Nested)>,
}

impl Nested {
    /// Every linked record, in the order the links were made: what a link field holds
    /// without a `nested` entry.
    pub fn new() -> Self {
        Nested::default()
    }

    /// Keeps the linked records whose field at `path` (from the linked record) meets
    /// `condition`, as [`Graph::filter`](crate::graph::Graph::filter) keeps the query's records. Filters add up.
    pub fn filter(mut self, path: impl Into<String>, condition: impl Into<Condition>) -> Self {
        self.filters.push(Filter::field(path, condition));
        self
    }

    /// Adds a filter built with [`Filter`]'s combinators.
    pub fn filter_by(mut self, filter: Filter) -> Self {
        self.filters.push(filter);
        self
    }

    /// Orders each record's linked records by a field of theirs; later calls break ties of
    /// earlier ones, and the linked records' primary key the last ones.
    pub fn order(mut self, path: impl Into<String>, order: Order) -> Self {
        self.order.push((path.into(), order));
        self
    }

    /// Skips each record's first `skip` linked records.
    pub fn skip(mut self, skip: u64) -> Self {
        self.skip = skip;
        self
    }

    /// Holds at most `take` linked records in each record.
    pub fn take(mut self, take: u64) -> Self {
        self.take = Some(take);
        self
    }

    /// Pages the list at the link field `field` of each linked record in turn (`reviews`
    /// of each product of each brand).
    pub fn nested(mut self, field: impl Into<String>, nested: Nested) -> Self {
        push(&mut self.nested, field.into(), nested);
        self
    }

    /// Whether it leaves a list as it is: every linked record, in the order of the links.
    pub(crate) fn pages(&self) -> bool {
        !self.filters.is_empty() || !self.order.is_empty() || self.skip > 0 || self.take.is_some()
    }

    /// The entries of a JSON `nested` object.
    pub(crate) fn parse_entries(value: Value, at: &str) -> Result<Vec<(String, Nested)>> {
        let Value::Object(entries) = value else {
            return Err(malformed(format!(
                "`{at}` is an object of link fields: {{ \"products\": {{ \"take\": 3 }} }}"
            )));
        };
        let mut parsed = Vec::new();
        for (field, entry) in entries {
            let here = format!("{at}.{field}");
            let Value::Object(entry) = entry else {
                return Err(malformed(format!(
                    "`{here}` is an object (take, skip, order, filters, nested)"
                )));
            };
            push(&mut parsed, field, Nested::parse(entry, &here)?);
        }
        Ok(parsed)
    }

    fn parse(mut object: Map<String, Value>, at: &str) -> Result<Nested> {
        let mut nested = Nested::new();
        if let Some(filters) = object.remove("filters") {
            let Value::Object(filters) = filters else {
                return Err(malformed(format!("`{at}.filters` is an object")));
            };
            nested.filters = parse_filters(filters, "")?;
        }
        if let Some(order) = object.remove("order") {
            nested.order = parse_order(order)?;
        }
        if let Some(skip) = object.remove("skip") {
            nested.skip = count(&skip, &format!("{at}.skip"))?;
        }
        if let Some(take) = object.remove("take") {
            nested.take = Some(count(&take, &format!("{at}.take"))?);
        }
        if let Some(entries) = object.remove("nested") {
            nested.nested = Nested::parse_entries(entries, &format!("{at}.nested"))?;
        }
        if let Some(key) = object.keys().next() {
            return Err(malformed(format!(
                "unknown key `{key}` in `{at}` (known: filters, order, skip, take, nested)"
            )));
        }
        Ok(nested)
    }
}

/// Adds `nested` for `field`; a field named again is read as its last entry says, as a
/// JSON object keeps the last of a repeated key.
pub(crate) fn push(entries: &mut Vec<(String, Nested)>, field: String, nested: Nested) {
    match entries.iter_mut().find(|(name, _)| *name == field) {
        Some((_, entry)) => *entry = nested,
        None => entries.push((field, nested)),
    }
}
