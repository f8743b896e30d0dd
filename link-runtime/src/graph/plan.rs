//! A [`Graph`] resolved against the registry: every name looked up, every filter value
//! checked against its column's type. What comes out holds only `&'static` names from
//! the registry, so nothing a query says can reach the SQL except as a bound value.
//!
//! Under a [`Scope`], each name is put to the scope as it is resolved, before anything
//! past it is: a query is refused at the first name outside the scope, and no error about
//! what lies beyond that name (which would list the registry's names there) is ever made.
//! This is the one place a query's scope is checked, for every form of query and both
//! drivers, before any statement exists.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde_json::Value;

use crate::backend::{key, Place};
use crate::definition::{ColumnKind, LinkSchema, Side};
use crate::entity::{registered_entities, EntitySchema};
use crate::error::{CostLimit, Error, Refusal, Result};
use crate::graph::cursor::{self, Fingerprint};
use crate::graph::filter::{Condition, Filter, Order, Quantifier};
use crate::graph::limits::Limits;
use crate::graph::nested::Nested;
use crate::graph::request::{EntityName, Graph, Relations};
use crate::graph::scope::{Gate, Scope};
use crate::registry::{read_only_links, registered_links};

/// A resolved query.
#[derive(Debug)]
pub(crate) struct Plan {
    pub root: Node,
    pub filter: Cond,
    pub order: Vec<OrderKey>,
    pub skip: u64,
    pub take: Option<u64>,
    pub keyset: Keyset,
    pub with_deleted: bool,
    /// The most records the result may hold, linked ones included, each counted as often
    /// as it appears ([`CostLimit::Records`]): the load counts them as they come.
    pub max_records: u64,
    /// The ids the query's filter names that it must find
    /// ([`Graph::fail_if_key_not_found`]), each once.
    pub keys: Option<Vec<String>>,
}

/// A query's keyset pages: what its cursors are signed over, and where its page starts.
#[derive(Debug)]
pub(crate) struct Keyset {
    pub fingerprint: Fingerprint,
    /// The values of the row the page starts after ([`Graph::after`]): one per order key,
    /// then the primary key's.
    pub after: Option<Vec<Value>>,
}

/// A table to read and what to read from it.
#[derive(Debug)]
pub(crate) struct Node {
    pub source: Source,
    /// The columns to select: the requested ones, then any the node needs to stitch.
    pub select: Vec<Column>,
    /// How many of `select` are output fields; the rest are read for stitching only.
    pub output: usize,
    pub hops: Vec<Hop>,
    /// The counts of linked records its records answer (`_count.products`), in the order
    /// asked.
    pub counts: Vec<Count>,
    /// For each count, the index in `select` of the column its linked records are found
    /// by: the record's key, or the column that holds its one partner's.
    pub count_keys: Vec<usize>,
}

/// The field under which a record answers its counts of linked records.
pub(crate) const COUNT_FIELD: &str = "_count";

/// A count of a record's live linked records through one of its link fields
/// (`_count.products`): of a list, how many; of a side that holds one, 0 or 1.
#[derive(Debug, Clone)]
pub(crate) struct Count {
    /// The link field, as the output names it.
    pub name: &'static str,
    pub edge: Edge,
    /// The table of the records counted.
    pub target: Source,
    /// Which linked records count ([`Nested`]'s filters of the field), on `target`; it
    /// holds their soft-delete filter.
    pub filter: Box<Cond>,
}

impl Count {
    /// The count of `source`'s link field `name`, refused as a field would be if the scope
    /// does not let the query follow the link.
    fn of(source: Source, path: &str, name: &str, at: &At) -> Result<Count> {
        let malformed = |reason: String| Error::MalformedQuery {
            reason: format!("`{path}`: {reason}"),
        };
        if let Some((link, rest)) = name.split_once('.') {
            return Err(malformed(format!(
                "`{COUNT_FIELD}` counts through a link field of the record itself; \
                 `{link}.{COUNT_FIELD}.{rest}` counts through the records of `{link}`"
            )));
        }
        match resolve(source, name, true, at)? {
            Name::Link(field, edge) => {
                let next = at.follow(name, edge.target_name())?;
                let target = edge.target(at.gate)?;
                let filter = Box::new(match at.entry(name) {
                    Some(entry) => filters(target, &entry.filters, at.reading, &next)?,
                    None => Cond::True,
                });
                Ok(Count {
                    name: field,
                    edge,
                    target,
                    filter,
                })
            }
            Name::Field(_) => Err(malformed(format!(
                "`{name}` is a field of `{}`, not a link: `{COUNT_FIELD}` counts linked records",
                source.name()
            ))),
            Name::Unknown => Err(unknown_field(source, name, at.gate)),
        }
    }
}

/// What a node reads: a model's table, or a link's pivot table.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source {
    Entity(&'static EntitySchema),
    Link(&'static LinkSchema),
}

impl Source {
    /// Where the table lives.
    pub fn place(&self) -> Place<'static> {
        match self {
            Source::Entity(entity) => Place::Module(entity.module),
            Source::Link(link) => Place::Link(link.table),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Source::Entity(entity) => entity.model,
            Source::Link(link) => link.table,
        }
    }

    pub fn table(&self) -> &'static str {
        match self {
            Source::Entity(entity) => entity.table,
            Source::Link(link) => link.table,
        }
    }

    pub fn primary_key(&self) -> &'static str {
        match self {
            Source::Entity(entity) => entity.primary_key,
            Source::Link(_) => "id",
        }
    }

    /// What tells the table apart from every other: a model's module and name, or a
    /// link's table.
    fn identity(&self) -> String {
        match self {
            Source::Entity(entity) => format!("{}.{}", entity.module, entity.model),
            Source::Link(link) => link.table.to_owned(),
        }
    }

    /// Whether the field in `column` may hold no value (see [`OrderKey::nullable`]).
    fn nullable(&self, column: &str) -> bool {
        match self {
            Source::Entity(entity) => entity
                .fields
                .iter()
                .find(|field| field.column == column)
                .is_none_or(|field| field.nullable),
            Source::Link(_) => column != "id",
        }
    }

    /// The column that marks a soft-deleted row, if the table has one.
    pub fn deleted_at(&self) -> Option<&'static str> {
        match self {
            Source::Entity(entity) => entity.field("deleted_at").map(|field| field.column),
            Source::Link(_) => Some("deleted_at"),
        }
    }

    /// Every field: `(name, column, kind)`.
    fn fields(&self) -> Vec<Column> {
        match self {
            Source::Entity(entity) => entity
                .fields
                .iter()
                .map(|field| Column {
                    name: field.name,
                    column: field.column,
                    kind: field.kind,
                })
                .collect(),
            Source::Link(link) => {
                let text = Some(ColumnKind::Text);
                let time = Some(ColumnKind::Timestamp);
                let mut fields = vec![
                    Column::new("id", text),
                    Column::new(link.left.column, text),
                    Column::new(link.right.column, text),
                ];
                fields.extend(
                    link.columns
                        .iter()
                        .map(|column| Column::new(column.name, Some(column.kind))),
                );
                fields.extend(
                    ["created_at", "updated_at", "deleted_at"].map(|c| Column::new(c, time)),
                );
                fields
            }
        }
    }

    /// Every link field: its name and where it leads.
    fn links(&self) -> Result<Vec<(&'static str, Edge)>> {
        Ok(match self {
            Source::Entity(entity) => {
                let mut edges = Vec::new();
                for link in registered_links()? {
                    for (own, other) in link.sides_of(entity.module, entity.model) {
                        edges.push((
                            other.graph_field,
                            Edge::Pivot {
                                link,
                                from: own.column,
                                to: *other,
                            },
                        ));
                        edges.push((
                            other.link_field,
                            Edge::Row {
                                link,
                                from: own.column,
                                to: *other,
                            },
                        ));
                    }
                }
                // A read-only link's pivot is its left model's table: from a left record,
                // its right record by the column it holds; from a right record, the left
                // records whose column holds its id.
                for link in read_only_links() {
                    if link.left.is(entity.module, entity.model) {
                        edges.push((link.right.graph_field, Edge::Direct { to: link.right }));
                    }
                    if link.right.is(entity.module, entity.model) {
                        edges.push((
                            link.left.graph_field,
                            Edge::Referring {
                                to: link.left,
                                column: link.right.column,
                            },
                        ));
                    }
                }
                edges
            }
            Source::Link(link) => [link.left, link.right]
                .into_iter()
                .map(|side| (side.model(), Edge::Direct { to: side }))
                .collect(),
        })
    }
}

/// A column of a node's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Column {
    /// The field's name in the output.
    pub name: &'static str,
    pub column: &'static str,
    pub kind: Option<ColumnKind>,
}

impl Column {
    fn new(column: &'static str, kind: Option<ColumnKind>) -> Self {
        Column {
            name: column,
            column,
            kind,
        }
    }
}

/// A link followed from a node.
#[derive(Debug)]
pub(crate) struct Hop {
    /// The field that holds the linked records.
    pub name: &'static str,
    pub edge: Edge,
    /// An array of records (a list side) rather than one record or null.
    pub many: bool,
    /// Index in the parent's `select` of the column whose values the hop starts from.
    pub from: usize,
    pub node: Node,
    /// The link field's path from the query's entity (`brand.supplier`).
    pub path: String,
    /// A live link to a record that is not found fails the query
    /// ([`Graph::fail_if_relation_not_found`]).
    pub required: bool,
    /// Which of a list's records the hop holds, when not all of them in the order of
    /// their links ([`Graph::nested`]).
    pub page: Option<Page>,
}

/// Which of each record's linked records a list holds (`nested.products`): those that
/// meet `filter`, in `order` (the target's primary key breaking ties), `skip`ped and
/// `take`n per record.
#[derive(Debug)]
pub(crate) struct Page {
    /// On the linked records; it holds their soft-delete filter.
    pub filter: Cond,
    /// Empty: the order of the links, as an unpaged list.
    pub order: Vec<OrderKey>,
    pub skip: u64,
    pub take: Option<u64>,
}

/// How a link field reaches its records.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Edge {
    /// From a model, through a pivot table: the pivot's `from` column holds the model's
    /// ids, the `to` side's column the linked ids.
    Pivot {
        link: &'static LinkSchema,
        from: &'static str,
        to: Side,
    },
    /// From a row to one record of the `to` side, by the side's column, which the row
    /// holds: a pivot row's side, or a read-only link's right record from its left one.
    Direct { to: Side },
    /// From a record to the records of the `to` side whose own `column` holds its id: a
    /// read-only link's left records from its right one.
    Referring { to: Side, column: &'static str },
    /// From a record to its rows of `link`'s pivot table, whose `from` column holds its
    /// id: the link rows beside its records of the `to` side (`brand_link` beside
    /// `brand`), one at most unless `to` is a list.
    Row {
        link: &'static LinkSchema,
        from: &'static str,
        to: Side,
    },
}

impl Edge {
    /// Whether a record may have many records through the edge.
    pub(crate) fn is_list(&self) -> bool {
        match *self {
            Edge::Pivot { to, .. } | Edge::Row { to, .. } => to.is_list,
            Edge::Direct { .. } => false,
            Edge::Referring { .. } => true,
        }
    }

    /// The entity the edge leads to, as a scope names it: its side's model, or the link's
    /// table for its rows.
    fn target_name(&self) -> &'static str {
        match *self {
            Edge::Pivot { to, .. } | Edge::Direct { to } | Edge::Referring { to, .. } => to.model(),
            Edge::Row { link, .. } => link.table,
        }
    }

    /// The table the edge leads to.
    fn target(&self, gate: Gate) -> Result<Source> {
        match *self {
            Edge::Pivot { to, .. } | Edge::Direct { to } | Edge::Referring { to, .. } => {
                side_source(&to, gate)
            }
            Edge::Row { link, .. } => Ok(Source::Link(link)),
        }
    }
}

/// A resolved filter.
#[derive(Debug, Clone)]
pub(crate) enum Cond {
    True,
    Column {
        column: &'static str,
        /// The column's type, if the registry knows it.
        kind: Option<ColumnKind>,
        op: Op,
    },
    /// Some linked record of the node meets `inner`.
    Linked {
        edge: Edge,
        target: Source,
        inner: Box<Cond>,
    },
    And(Vec<Cond>),
    Or(Vec<Cond>),
    /// `inner` does not hold: it is false, or unknown (a null compared).
    Not(Box<Cond>),
    /// The count of the node's linked records through a link field meets `op`.
    Count {
        count: Count,
        op: Op,
    },
    /// The column holds one of `ids`: a [`Linked`](Cond::Linked) whose tables are in other
    /// databases, resolved before the statement that needs it.
    Ids {
        column: &'static str,
        ids: Vec<String>,
    },
}

impl Cond {
    /// Whether the condition holds for every row: it keeps none out.
    pub fn always_holds(&self) -> bool {
        match self {
            Cond::True => true,
            Cond::And(conds) => conds.iter().all(Cond::always_holds),
            _ => false,
        }
    }
}

/// A comparison, its values already converted to the column's type.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    Compare(&'static str, Bind),
    In(Vec<Bind>),
    NotIn(Vec<Bind>),
    /// A long list of text values, bound as one JSON array (see [`JSON_LIST_FROM`]);
    /// `NOT IN` when `negated`.
    InJson {
        list: String,
        /// How many values the list holds.
        values: usize,
        negated: bool,
    },
    Like(Bind),
    ILike(Bind),
    IsNull,
    IsNotNull,
}

/// A value to bind, owned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Timestamp(NaiveDateTime),
    // The kinds below are bound only from a cursor's values, as their columns hold them
    // (filters compare them with nothing but null).
    Bytes(Vec<u8>),
    TimestampTz(DateTime<Utc>),
    Date(NaiveDate),
    Time(NaiveTime),
    Json(Value),
    #[cfg(feature = "decimal")]
    Decimal(bigdecimal::BigDecimal),
    #[cfg(feature = "uuid")]
    Uuid(uuid::Uuid),
}

/// One key of the order: a column of the root, or of a record linked at most once.
#[derive(Debug, Clone)]
pub(crate) struct OrderKey {
    /// The path as the query gave it, for errors.
    pub path: String,
    pub via: Option<(Edge, Source)>,
    pub column: &'static str,
    /// The column's type, if the registry knows it: how a cursor's value of it is bound.
    pub kind: Option<ColumnKind>,
    /// Whether a row may hold no value for it: a field of an `Option` type (a model's
    /// other fields are taken at their word), any field of a link table but its id, and
    /// anything through a link, which a row may not have.
    pub nullable: bool,
    pub order: Order,
    /// The key is this count of linked records (`_count.products`), not `column`.
    pub count: Option<Count>,
}

impl OrderKey {
    /// The key that breaks every tie of a query's order: the primary key of `source`,
    /// ascending.
    pub fn primary_key(source: Source) -> Self {
        let column = source.primary_key();
        OrderKey {
            path: column.to_owned(),
            via: None,
            column,
            kind: source
                .fields()
                .iter()
                .find(|field| field.column == column)
                .and_then(|field| field.kind),
            nullable: false,
            order: Order::Asc,
            count: None,
        }
    }
}

/// From how many text values an `$in` or `$nin` list is bound as one JSON array rather
/// than one parameter per value: a list of any length then fits in a statement.
const JSON_LIST_FROM: usize = 1_000;

/// The most values a query's filters may bind one by one: below SQLite's 32,766
/// parameters, with room for the ids the load binds.
const MAX_BOUND_VALUES: usize = 30_000;

/// The longest `LIKE` pattern, in characters: SQLite refuses patterns over 50,000 bytes,
/// and a character of a pattern takes up to 4 bytes (3 once written for `GLOB`).
const MAX_PATTERN_CHARS: usize = 10_000;

/// The most links a path may go through (`brand.products.brand...`).
const MAX_PATH_LINKS: usize = 16;

/// The deepest nesting of `$and` and `$or`.
const MAX_FILTER_DEPTH: usize = 32;

/// Where the planner resolves names: the path from the query's entity to the node whose
/// names it resolves, and the scope it puts them to.
struct At<'g> {
    gate: Gate<'g>,
    /// `""` at the query's entity, else the link fields followed to here, joined by dots.
    path: String,
    /// How many links were followed to here.
    depth: usize,
    /// The query's [`Nested`] entries for the link fields here.
    nested: &'g [(String, Nested)],
    reading: Reading,
}

impl<'g> At<'g> {
    /// The path of `name`, here.
    fn join(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// Past the link field `name`, which leads to the entity `target`: refused if that is
    /// deeper than the scope allows, or leads out of it.
    fn follow(&self, name: &str, target: &str) -> Result<At<'g>> {
        let path = self.join(name);
        let depth = self.depth + 1;
        self.gate.depth(&path, depth)?;
        self.gate.target(&path, target)?;
        Ok(At {
            gate: self.gate,
            path,
            depth,
            nested: self
                .entry(name)
                .map_or(&[], |entry| entry.nested.as_slice()),
            reading: self.reading,
        })
    }

    /// The [`Nested`] entry of the link field `name` here, if the query has one.
    fn entry(&self, name: &str) -> Option<&'g Nested> {
        self.nested
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, entry)| entry)
    }
}

/// What a name of a node is.
enum Name {
    Field(Column),
    Link(&'static str, Edge),
    /// Neither a field nor a link field of the node.
    Unknown,
}

/// The name `name` of `source`, looked up, and refused if the scope does not let it
/// through; `goes_on` when the path follows it to other names (so that it is refused as
/// a link rather than as a field). A name the registry does not know, or knows as more
/// than one link, is refused alike unless the scope names it: the answer does not tell
/// what exists outside the scope.
fn resolve(source: Source, name: &str, goes_on: bool, at: &At) -> Result<Name> {
    let resolved = match source.fields().into_iter().find(|c| c.name == name) {
        Some(column) => Ok(Name::Field(column)),
        None => link_field(source, name, at.gate)
            .map(|link| link.map_or(Name::Unknown, |(field, edge)| Name::Link(field, edge))),
    };
    let entity = source.name();
    let allowed = match &resolved {
        Ok(Name::Field(column)) => at.gate.field(entity, column.name),
        // A link row is read as far as its link is: a scope that refuses `brand` refuses
        // `brand_link` (and the pivot table is an entity the scope must hold).
        Ok(Name::Link(_, Edge::Row { to, .. })) => at.gate.link(entity, to.graph_field),
        Ok(Name::Link(field, _)) => at.gate.link(entity, field),
        Ok(Name::Unknown) | Err(_) => at.gate.names(entity, name),
    };
    if !allowed {
        let reason = if goes_on {
            Refusal::Link
        } else {
            Refusal::Field
        };
        return Err(at.gate.refuse(Some(at.join(name)), reason));
    }
    resolved
}

/// `graph` resolved against the registry, under `scope` if it has one: refused with
/// [`Error::Forbidden`] at the first thing outside the scope, then with
/// [`Error::TooCostly`] if it costs more than `limits` allow.
pub(crate) fn plan(graph: &Graph, scope: Option<&Scope>, limits: &Limits) -> Result<Plan> {
    check_shape(graph)?;
    if graph.after.is_some() && graph.skip > 0 {
        return Err(Error::MalformedQuery {
            reason: "`skip` and `after` do not combine: a cursor says where the page starts"
                .to_owned(),
        });
    }
    let entity = match &graph.entity {
        EntityName::Schema(entity) => entity.model,
        EntityName::Name(name) => name.as_str(),
    };
    let gate = Gate::new(scope, entity);
    let take = gate.query(graph.with_deleted, graph.take)?;
    let source = match &graph.entity {
        EntityName::Schema(entity) => Source::Entity(entity),
        EntityName::Name(name) => find_source(name, gate)?,
    };
    let reading = Reading {
        with_deleted: graph.with_deleted,
        text_values: graph.text_values,
    };
    let at = At {
        gate,
        path: String::new(),
        depth: 0,
        nested: &graph.nested,
        reading,
    };
    let fields = if graph.fields.is_empty() {
        vec!["*".to_owned()]
    } else {
        graph.fields.clone()
    };
    let mut root = node(source, &fields, &at)?;
    require_relations(&mut root, &graph.require.relations)?;
    let keys = match graph.require.keys {
        true => Some(required_keys(source, &graph.filters)?),
        false => None,
    };
    let filter = filters(source, &graph.filters, reading, &at)?;
    let bound = bound_values(&filter);
    if bound > MAX_BOUND_VALUES {
        return Err(Error::MalformedQuery {
            reason: format!(
                "the filters bind {bound} values; at most {MAX_BOUND_VALUES} (a list of more \
                 than {JSON_LIST_FROM} text values counts as one)"
            ),
        });
    }
    // A key repeating an earlier one orders nothing more: the earlier one decided.
    let mut seen = HashSet::new();
    let order: Vec<OrderKey> = graph
        .order
        .iter()
        .filter(|(path, _)| seen.insert(path.as_str()))
        .map(|(path, order)| order_key(source, path, *order, &at))
        .collect::<Result<_>>()?;
    let fingerprint = cursor::fingerprint(&source.identity(), graph);
    let after = match &graph.after {
        Some(after) => Some(cursor::open(after, &fingerprint, order.len() + 1)?),
        None => None,
    };
    let plan = Plan {
        root,
        filter,
        order,
        skip: graph.skip,
        take,
        keyset: Keyset { fingerprint, after },
        with_deleted: graph.with_deleted,
        max_records: limits.limit(CostLimit::Records),
        keys,
    };
    check_cost(&plan, limits)?;
    Ok(plan)
}

/// Marks the hops whose records the query must find: every hop, or those at `relations`'
/// paths, each of which must be a hop of the query.
fn require_relations(root: &mut Node, relations: &Relations) -> Result<()> {
    fn mark(node: &mut Node, wanted: &dyn Fn(&str) -> bool, found: &mut Vec<String>) {
        for hop in &mut node.hops {
            if wanted(&hop.path) {
                hop.required = true;
                found.push(hop.path.clone());
            }
            mark(&mut hop.node, wanted, found);
        }
    }
    let mut found = Vec::new();
    match relations {
        Relations::None => {}
        Relations::All => mark(root, &|_| true, &mut found),
        Relations::Paths(paths) => {
            mark(root, &|path| paths.iter().any(|p| p == path), &mut found);
            if let Some(path) = paths.iter().find(|path| !found.contains(path)) {
                return Err(Error::MalformedQuery {
                    reason: format!(
                        "`fail_if_relation_not_found` names `{path}`, a link the query's \
                         fields do not follow"
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The ids a query's filter names on `source`'s primary key, at its top level (a value or
/// a list, beside other filters): what [`Graph::fail_if_key_not_found`] requires.
fn required_keys(source: Source, filters: &[Filter]) -> Result<Vec<String>> {
    fn ids_in(source: Source, filters: &[Filter], ids: &mut Option<Vec<String>>) {
        for filter in filters {
            match filter {
                Filter::Field { path, condition } => {
                    let column = source
                        .fields()
                        .into_iter()
                        .find(|field| field.name == path.as_str())
                        .map(|field| field.column);
                    if column != Some(source.primary_key()) {
                        continue;
                    }
                    let values: &[Value] = match condition {
                        Condition::Eq(value) => std::slice::from_ref(value),
                        Condition::EqAny(values) => values,
                        _ => continue,
                    };
                    let named: Vec<String> = values.iter().filter_map(key).collect();
                    // Several filters on the key: the ids all of them name.
                    *ids = Some(match ids.take() {
                        None => named,
                        Some(before) => {
                            before.into_iter().filter(|id| named.contains(id)).collect()
                        }
                    });
                }
                Filter::And(inner) => ids_in(source, inner, ids),
                Filter::Or(_) | Filter::Linked { .. } => {}
            }
        }
    }
    let mut ids = None;
    ids_in(source, filters, &mut ids);
    let Some(mut ids) = ids else {
        return Err(Error::MalformedQuery {
            reason: format!(
                "`fail_if_key_not_found` needs a filter on `{}`'s primary key, `{}`, at the \
                 top level: a value or a list",
                source.name(),
                source.primary_key()
            ),
        });
    };
    let mut seen = HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
    Ok(ids)
}

/// Refuses a plan that costs more than `limits` allow, in the order of
/// [`CostLimit::ALL`]: the links its fields follow, the links and values of its filters,
/// its order keys. (Its records are counted as they load.)
fn check_cost(plan: &Plan, limits: &Limits) -> Result<()> {
    fn field_links(node: &Node) -> u64 {
        // Each count is a subquery of its statement.
        node.counts.len() as u64
            + node
                .hops
                .iter()
                .map(|hop| 1 + field_links(&hop.node))
                .sum::<u64>()
    }
    // Every filter of the query: its own, its pages' and its counts'.
    fn conds<'p>(node: &'p Node, all: &mut Vec<&'p Cond>) {
        all.extend(node.counts.iter().map(|count| &*count.filter));
        for hop in &node.hops {
            all.extend(hop.page.iter().map(|page| &page.filter));
            conds(&hop.node, all);
        }
    }
    fn page_keys(node: &Node) -> u64 {
        node.hops
            .iter()
            .map(|hop| {
                hop.page.as_ref().map_or(0, |page| page.order.len() as u64) + page_keys(&hop.node)
            })
            .sum()
    }
    let mut all = vec![&plan.filter];
    conds(&plan.root, &mut all);
    limits.check(CostLimit::FieldLinks, field_links(&plan.root))?;
    let links = all.iter().map(|cond| filter_links(cond)).sum();
    limits.check(CostLimit::FilterLinks, links)?;
    let values = all.iter().map(|cond| filter_values(cond)).sum();
    limits.check(CostLimit::FilterValues, values)?;
    limits.check(
        CostLimit::OrderKeys,
        plan.order.len() as u64 + page_keys(&plan.root),
    )
}

/// How many links `cond` follows: each one a subquery of the statement.
fn filter_links(cond: &Cond) -> u64 {
    match cond {
        Cond::True | Cond::Column { .. } | Cond::Ids { .. } => 0,
        Cond::Linked { inner, .. } => 1 + filter_links(inner),
        Cond::Count { .. } => 1,
        Cond::Not(inner) => filter_links(inner),
        Cond::And(conds) | Cond::Or(conds) => conds.iter().map(filter_links).sum(),
    }
}

/// How many values `cond` compares with, those of its lists one by one whether they are
/// bound one by one or as one JSON array.
fn filter_values(cond: &Cond) -> u64 {
    match cond {
        Cond::True => 0,
        Cond::Column { op, .. } | Cond::Count { op, .. } => match op {
            Op::Compare(..) | Op::Like(_) | Op::ILike(_) => 1,
            Op::In(values) | Op::NotIn(values) => values.len() as u64,
            Op::InJson { values, .. } => *values as u64,
            Op::IsNull | Op::IsNotNull => 0,
        },
        Cond::Linked { inner, .. } | Cond::Not(inner) => filter_values(inner),
        Cond::And(conds) | Cond::Or(conds) => conds.iter().map(filter_values).sum(),
        // Ids a filter through another database found: as many as the data holds, not
        // what the query asked for.
        Cond::Ids { .. } => 0,
    }
}

/// Refuses paths through more than [`MAX_PATH_LINKS`] links and filters nested deeper than
/// [`MAX_FILTER_DEPTH`], before anything recurses over them.
fn check_shape(graph: &Graph) -> Result<()> {
    let too_long = |path: &str| path.matches('.').count() > MAX_PATH_LINKS;
    let mut paths = graph
        .fields
        .iter()
        .chain(graph.order.iter().map(|(path, _)| path));
    if let Some(path) = paths.find(|path| too_long(path)) {
        return Err(Error::MalformedQuery {
            reason: format!("the path `{path}` goes through more than {MAX_PATH_LINKS} links"),
        });
    }
    fn check(filters: &[Filter], depth: usize, too_long: &dyn Fn(&str) -> bool) -> Result<()> {
        for filter in filters {
            match filter {
                Filter::Field { path, .. } if too_long(path) => {
                    return Err(Error::MalformedQuery {
                        reason: format!(
                            "the filter path `{path}` goes through more than {MAX_PATH_LINKS} links"
                        ),
                    })
                }
                Filter::Field { .. } => {}
                Filter::And(_) | Filter::Or(_) if depth == MAX_FILTER_DEPTH => {
                    return Err(Error::MalformedQuery {
                        reason: format!("filters nest deeper than {MAX_FILTER_DEPTH} levels"),
                    });
                }
                Filter::And(inner) | Filter::Or(inner) => check(inner, depth + 1, too_long)?,
                Filter::Linked { path, .. } if too_long(path) => {
                    return Err(Error::MalformedQuery {
                        reason: format!(
                            "the filter path `{path}` goes through more than {MAX_PATH_LINKS} links"
                        ),
                    })
                }
                Filter::Linked { .. } if depth == MAX_FILTER_DEPTH => {
                    return Err(Error::MalformedQuery {
                        reason: format!("filters nest deeper than {MAX_FILTER_DEPTH} levels"),
                    });
                }
                Filter::Linked { filters, .. } => check(filters, depth + 1, too_long)?,
            }
        }
        Ok(())
    }
    check(&graph.filters, 0, &too_long)?;
    // The pages' filters and order keys alike; their entries nest no deeper than the
    // fields they page.
    let mut entries: Vec<&Nested> = graph.nested.iter().map(|(_, entry)| entry).collect();
    while let Some(entry) = entries.pop() {
        check(&entry.filters, 0, &too_long)?;
        if let Some((path, _)) = entry.order.iter().find(|(path, _)| too_long(path)) {
            return Err(Error::MalformedQuery {
                reason: format!("the path `{path}` goes through more than {MAX_PATH_LINKS} links"),
            });
        }
        entries.extend(entry.nested.iter().map(|(_, entry)| entry));
    }
    Ok(())
}

/// How many values `cond` binds one by one.
fn bound_values(cond: &Cond) -> usize {
    match cond {
        Cond::True => 0,
        Cond::Ids { .. } => 1,
        Cond::Column { op, .. } | Cond::Count { op, .. } => match op {
            Op::In(values) | Op::NotIn(values) => values.len(),
            _ => 1,
        },
        Cond::Linked { inner, .. } | Cond::Not(inner) => bound_values(inner),
        Cond::And(conds) | Cond::Or(conds) => conds.iter().map(bound_values).sum(),
    }
}

/// The entity named `name`: a model, or a link's table. Under a scope, an unknown name's
/// error lists only the entities in the scope.
fn find_source(name: &str, gate: Gate) -> Result<Source> {
    let models: Vec<_> = registered_entities().filter(|e| e.model == name).collect();
    match models.as_slice() {
        [entity] => return Ok(Source::Entity(entity)),
        [] => {}
        _ => {
            let mut modules: Vec<_> = models.iter().map(|e| e.module).collect();
            modules.sort_unstable();
            return Err(Error::AmbiguousEntity {
                entity: name.to_owned(),
                modules,
            });
        }
    }
    let links = registered_links()?;
    if let Some(link) = links.iter().find(|link| link.table == name) {
        return Ok(Source::Link(link));
    }
    let mut known: Vec<String> = registered_entities().map(|e| e.model.to_owned()).collect();
    known.sort_unstable();
    known.dedup();
    known.extend(links.iter().map(|link| link.table.to_owned()));
    Err(Error::UnknownEntity {
        entity: name.to_owned(),
        known: known.into_iter().filter(|e| gate.entity(e)).collect(),
    })
}

/// The entity of a link's side.
fn side_source(side: &Side, gate: Gate) -> Result<Source> {
    registered_entities()
        .find(|e| e.module == side.module() && e.model == side.model())
        .map(Source::Entity)
        .ok_or_else(|| Error::UnknownEntity {
            entity: format!("{}.{}", side.module(), side.model()),
            known: registered_entities()
                .filter(|e| gate.entity(e.model))
                .map(|e| format!("{}.{}", e.module, e.model))
                .collect(),
        })
}

/// `source` has no field `field`: the error lists its fields and link fields, those the
/// scope lets through under a scope.
fn unknown_field(source: Source, field: &str, gate: Gate) -> Error {
    let entity = source.name();
    let mut known: Vec<String> = source
        .fields()
        .iter()
        .filter(|c| gate.field(entity, c.name))
        .map(|c| c.name.to_owned())
        .collect();
    if let Ok(links) = source.links() {
        known.extend(
            links
                .iter()
                .filter(|(name, _)| gate.link(entity, name))
                .map(|(name, _)| (*name).to_owned()),
        );
    }
    known.dedup();
    Error::UnknownField {
        entity: source.name().to_owned(),
        field: field.to_owned(),
        known,
    }
}

/// The link field `name` of `source`, if it has one, with its `'static` name. When
/// several links reach it, the error lists those whose tables the scope lets a query read.
fn link_field(source: Source, name: &str, gate: Gate) -> Result<Option<(&'static str, Edge)>> {
    let edges: Vec<(&'static str, Edge)> = source
        .links()?
        .into_iter()
        .filter(|(field, _)| *field == name)
        .collect();
    match edges.as_slice() {
        [] => Ok(None),
        [edge] => Ok(Some(*edge)),
        _ => Err(Error::AmbiguousField {
            entity: source.name().to_owned(),
            field: name.to_owned(),
            links: edges
                .iter()
                .filter_map(|(_, edge)| match edge {
                    Edge::Pivot { link, .. } | Edge::Row { link, .. } => Some(link.table),
                    Edge::Direct { .. } | Edge::Referring { .. } => None,
                })
                .filter(|table| gate.entity(table))
                .collect(),
        }),
    }
}

/// The node reading `paths` (relative to `source`, which `at` reaches). `*` reads the
/// fields the scope lets through.
fn node(source: Source, paths: &[String], at: &At) -> Result<Node> {
    let fields = source.fields();
    let mut select: Vec<Column> = Vec::new();
    let mut counts: Vec<Count> = Vec::new();
    // Link field → the paths below it, in the order first asked.
    let mut below: Vec<(&'static str, Edge, Vec<String>)> = Vec::new();
    for path in paths {
        let (head, rest) = match path.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (path.as_str(), None),
        };
        if head.is_empty() || rest == Some("") {
            return Err(Error::MalformedQuery {
                reason: format!("`{path}` has an empty segment"),
            });
        }
        if head == "*" {
            if rest.is_some() {
                return Err(Error::MalformedQuery {
                    reason: format!("`{path}`: `*` ends a path"),
                });
            }
            for field in &fields {
                if at.gate.field(source.name(), field.name) && !select.contains(field) {
                    select.push(*field);
                }
            }
            continue;
        }
        if head == COUNT_FIELD {
            let Some(name) = rest else {
                return Err(Error::MalformedQuery {
                    reason: format!(
                        "`{path}`: `{COUNT_FIELD}` names the link field it counts: \
                         `{COUNT_FIELD}.{{field}}`"
                    ),
                });
            };
            let count = Count::of(source, path, name, at)?;
            if !counts.iter().any(|c| c.name == count.name) {
                counts.push(count);
            }
            continue;
        }
        match resolve(source, head, rest.is_some(), at)? {
            Name::Field(_) if rest.is_some() => {
                return Err(Error::MalformedQuery {
                    reason: format!(
                        "`{path}`: `{head}` is a field of `{}`, not a link",
                        source.name()
                    ),
                });
            }
            Name::Field(field) => {
                if !select.contains(&field) {
                    select.push(field);
                }
            }
            Name::Link(name, edge) => {
                let rest = rest.unwrap_or("*").to_owned();
                match below.iter_mut().find(|(n, ..)| *n == name) {
                    Some((.., paths)) => paths.push(rest),
                    None => below.push((name, edge, vec![rest])),
                }
            }
            Name::Unknown => return Err(unknown_field(source, head, at.gate)),
        }
    }
    let output = select.len();
    // A scope may leave `*` no field to read: the primary key is read then, hidden, so that
    // the statement selects something (SQLite has no `SELECT` of no columns).
    if select.is_empty() {
        index_of(&mut select, source.primary_key(), &fields);
    }
    let mut hops = Vec::with_capacity(below.len());
    for (name, edge, paths) in below {
        let from_column = match edge {
            Edge::Pivot { .. } | Edge::Referring { .. } | Edge::Row { .. } => source.primary_key(),
            Edge::Direct { to } => to.column,
        };
        let from = index_of(&mut select, from_column, &fields);
        let many = edge.is_list();
        let next = at.follow(name, edge.target_name())?;
        let mut node = node(edge.target(at.gate)?, &paths, &next)?;
        // The hop's records are keyed by their primary key.
        let primary_key = node.source.primary_key();
        let target_fields = node.source.fields();
        index_of(&mut node.select, primary_key, &target_fields);
        match edge {
            // Records found by the column that holds their parent's id are grouped by it.
            Edge::Referring { column, .. } => {
                index_of(&mut node.select, column, &target_fields);
            }
            // Link rows too, and in a list they come in the order of the linked records
            // beside them: by what decides it.
            Edge::Row { from, to, .. } => {
                for column in [from, "deleted_at", "created_at", to.column] {
                    index_of(&mut node.select, column, &target_fields);
                }
            }
            Edge::Pivot { .. } | Edge::Direct { .. } => {}
        }
        let page = match at.entry(name) {
            Some(entry) if entry.pages() => Some(page(name, edge, entry, node.source, &next)?),
            _ => None,
        };
        hops.push(Hop {
            name,
            edge,
            many,
            from,
            node,
            path: next.path,
            required: false,
            page,
        });
    }
    check_entries(source, &hops, at)?;
    let count_keys = counts
        .iter()
        .map(|count| {
            let own = match count.edge {
                Edge::Direct { to } => to.column,
                _ => source.primary_key(),
            };
            index_of(&mut select, own, &fields)
        })
        .collect();
    Ok(Node {
        source,
        select,
        output,
        hops,
        counts,
        count_keys,
    })
}

/// The page of the list at the link field `name` (reached by `edge`, of the records of
/// `target`) that `entry` asks for.
fn page(name: &str, edge: Edge, entry: &Nested, target: Source, next: &At) -> Result<Page> {
    let malformed = |reason: String| Error::MalformedQuery {
        reason: format!("`nested.{}`: {reason}", next.path),
    };
    match edge {
        Edge::Row { .. } => {
            return Err(malformed(format!(
                "the link rows of `{name}` follow its records: page the records' field"
            )))
        }
        _ if !edge.is_list() => {
            return Err(malformed(format!(
                "`{name}` holds one record at most: only `nested` entries apply to it, \
                 for the lists below it"
            )))
        }
        _ => {}
    }
    let take = next.gate.nested_take(&next.path, entry.take)?;
    let filter = filters(target, &entry.filters, next.reading, next)?;
    let mut seen = HashSet::new();
    let order = entry
        .order
        .iter()
        .filter(|(path, _)| seen.insert(path.as_str()))
        .map(|(path, order)| order_key(target, path, *order, next))
        .collect::<Result<_>>()?;
    Ok(Page {
        filter,
        order,
        skip: entry.skip,
        take,
    })
}

/// Refuses [`Nested`] entries here that name no link field of the node, and a link row
/// field of a paged list the query does not read (the list's statement cuts the page the
/// rows follow). An entry of a
/// link the node does not read (whose entry says what a count of it counts, or changes
/// nothing) is checked whole, as if it were read: its names, filters, order and page, and
/// the entries below it.
fn check_entries(source: Source, hops: &[Hop], at: &At) -> Result<()> {
    for (name, entry) in at.nested {
        match resolve(source, name, true, at)? {
            Name::Link(field, _) if hops.iter().any(|hop| hop.name == field) => {}
            Name::Link(_, edge) => {
                let next = at.follow(name, edge.target_name())?;
                let target = edge.target(at.gate)?;
                if entry.pages() {
                    page(name, edge, entry, target, &next)?;
                }
                check_entries(target, &[], &next)?;
            }
            Name::Field(_) => {
                return Err(Error::MalformedQuery {
                    reason: format!(
                        "`nested.{}`: `{name}` is a field of `{}`, not a link",
                        at.join(name),
                        source.name()
                    ),
                })
            }
            Name::Unknown => return Err(unknown_field(source, name, at.gate)),
        }
    }
    // A list's link rows follow its page, which the list's own statement cuts: the list
    // must be read beside them.
    for hop in hops {
        let Edge::Row { to, .. } = hop.edge else {
            continue;
        };
        let paged = at
            .entry(to.graph_field)
            .is_some_and(|entry| entry.pages() && to.is_list);
        if paged && !hops.iter().any(|other| other.name == to.graph_field) {
            let list = at.join(to.graph_field);
            return Err(Error::MalformedQuery {
                reason: format!(
                    "`{}` follows the page of `{list}`, which the query does not read: add \
                     `{list}` to its fields",
                    hop.path
                ),
            });
        }
    }
    Ok(())
}

/// The index of `column` in `select`, added (as a hidden column) if it is not there yet.
fn index_of(select: &mut Vec<Column>, column: &'static str, fields: &[Column]) -> usize {
    if let Some(i) = select.iter().position(|c| c.column == column) {
        return i;
    }
    let field = fields
        .iter()
        .find(|f| f.column == column)
        .copied()
        .unwrap_or(Column::new(column, Some(ColumnKind::Text)));
    select.push(field);
    select.len() - 1
}

/// How a query's filters are read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reading {
    /// Soft-deleted records and dismissed links count.
    with_deleted: bool,
    /// The values are text, as a query string gives them: `"10"` for an integer field.
    text_values: bool,
}

/// The filters of a node, all of which must hold, with the soft-delete filter unless
/// deleted rows are asked for.
fn filters(source: Source, filters: &[Filter], reading: Reading, at: &At) -> Result<Cond> {
    let mut conds = Vec::new();
    if !reading.with_deleted {
        if let Some(column) = source.deleted_at() {
            conds.push(Cond::Column {
                column,
                kind: Some(ColumnKind::Timestamp),
                op: Op::IsNull,
            });
        }
    }
    conds.push(all(source, flatten(filters), reading, at)?);
    Ok(Cond::And(conds))
}

fn flatten(filters: &[Filter]) -> Vec<Filter> {
    let mut flat = Vec::new();
    for filter in filters {
        match filter {
            Filter::And(inner) => flat.extend(flatten(inner)),
            other => flat.push(other.clone()),
        }
    }
    flat
}

/// Filters that must all hold. Conditions on one link field are grouped, so that
/// `{ brand: { name: "A", country: "B" } }` asks for one brand that meets both.
fn all(source: Source, list: Vec<Filter>, reading: Reading, at: &At) -> Result<Cond> {
    let mut conds = Vec::new();
    let mut linked: BTreeMap<String, Vec<Filter>> = BTreeMap::new();
    for filter in list {
        match filter {
            Filter::And(inner) => conds.push(all(source, inner, reading, at)?),
            Filter::Or(inner) => {
                let alternatives = inner
                    .into_iter()
                    .map(|f| all(source, flatten(&[f]), reading, at))
                    .collect::<Result<_>>()?;
                conds.push(any(alternatives));
            }
            Filter::Field { path, condition } => match path.split_once('.') {
                Some((COUNT_FIELD, name)) => conds.push(count_filter(
                    source,
                    &path,
                    name,
                    condition,
                    reading.text_values,
                    at,
                )?),
                Some((head, rest)) => {
                    linked
                        .entry(head.to_owned())
                        .or_default()
                        .push(Filter::Field {
                            path: rest.to_owned(),
                            condition,
                        })
                }
                None => {
                    // `{ "brand": null }`: no live brand; `{ "$ne": null }`: one.
                    let quantifier = match &condition {
                        Condition::Eq(Value::Null) | Condition::IsNull => Some(Quantifier::None),
                        Condition::Ne(Value::Null) | Condition::IsNotNull => Some(Quantifier::Some),
                        _ => None,
                    };
                    match quantifier {
                        Some(quantifier) if is_link(source, &path, at) => conds.push(quantified(
                            source,
                            &path,
                            quantifier,
                            Vec::new(),
                            reading,
                            at,
                        )?),
                        _ => conds.push(column_filter(
                            source,
                            &path,
                            condition,
                            reading.text_values,
                            at,
                        )?),
                    }
                }
            },
            Filter::Linked {
                path,
                quantifier,
                filters,
            } => match path.split_once('.') {
                Some((head, rest)) => {
                    linked
                        .entry(head.to_owned())
                        .or_default()
                        .push(Filter::Linked {
                            path: rest.to_owned(),
                            quantifier,
                            filters,
                        })
                }
                None => conds.push(quantified(source, &path, quantifier, filters, reading, at)?),
            },
        }
    }
    for (head, inner) in linked {
        conds.push(quantified(
            source,
            &head,
            Quantifier::Some,
            inner,
            reading,
            at,
        )?);
    }
    Ok(both(conds))
}

/// Whether `name` is a link field of `source` (and not a field), before the scope says
/// whether the query may use it.
fn is_link(source: Source, name: &str, at: &At) -> bool {
    !source.fields().iter().any(|column| column.name == name)
        && matches!(link_field(source, name, at.gate), Ok(Some(_)))
}

/// The condition that the live records linked to a record of `source` through its link
/// field `name` meet `inner` as `quantifier` says: a semi-join for some, an anti-join for
/// none, and for every an anti-join on the linked records that do not meet it.
fn quantified(
    source: Source,
    name: &str,
    quantifier: Quantifier,
    inner: Vec<Filter>,
    reading: Reading,
    at: &At,
) -> Result<Cond> {
    let edge = match resolve(source, name, true, at)? {
        Name::Link(_, edge) => edge,
        Name::Field(_) => {
            return Err(Error::InvalidFilter {
                entity: source.name().to_owned(),
                field: name.to_owned(),
                reason: match quantifier {
                    Quantifier::Some => {
                        "it is a field, not a link: nothing can follow it in a path".into()
                    }
                    _ => format!(
                        "it is a field, not a link: `{}` applies to the records of a link",
                        quantifier.operator()
                    ),
                },
            });
        }
        Name::Unknown => return Err(unknown_field(source, name, at.gate)),
    };
    let next = at.follow(name, edge.target_name())?;
    let target = edge.target(at.gate)?;
    let linked = |inner: Cond| Cond::Linked {
        edge,
        target,
        inner: Box::new(inner),
    };
    Ok(match quantifier {
        Quantifier::Some => linked(filters(target, &inner, reading, &next)?),
        Quantifier::None => Cond::Not(Box::new(linked(filters(target, &inner, reading, &next)?))),
        // No live linked record that fails them.
        Quantifier::Every => {
            let live = filters(target, &[], reading, &next)?;
            let meets = all(target, flatten(&inner), reading, &next)?;
            Cond::Not(Box::new(linked(both(vec![
                live,
                Cond::Not(Box::new(meets)),
            ]))))
        }
    })
}

/// Conditions that must all hold, written so that no index scan multiplies lists:
///
/// - An `And` among them gives its own conditions in its place, and `True` goes.
/// - Equalities and `IN` lists on the same column become one list, their intersection
///   (an empty one matches nothing). PostgreSQL before 17 scans an index for every
///   combination of the values of several lists on one of its columns, so that 100 lists
///   of three ids ANDed take 3¹⁰⁰ probes, and it does not look for a cancellation
///   between them: not even a statement timeout ends such a statement. One list per
///   column and group keeps its probes as many as its values, which the limits bound.
///
/// The values compare as the databases compare them: by the bytes of a text (as a
/// deterministic collation, the default, does), as numbers, as times. The intersection
/// keeps the first list's values in its order (a list alone is left as it is), and stands
/// where the first of the lists it replaces stood: a statement's text depends on its
/// values only through how many of them the lists share.
fn both(conds: Vec<Cond>) -> Cond {
    /// `cond` pushed onto `flat`: an `And`'s own conditions, nothing for `True`.
    fn push(flat: &mut Vec<Cond>, cond: Cond) {
        match cond {
            Cond::And(conds) => {
                for cond in conds {
                    push(flat, cond);
                }
            }
            Cond::True => {}
            other => flat.push(other),
        }
    }
    enum Slot {
        Values(&'static str, Option<ColumnKind>, Vec<Bind>),
        Other(Cond),
    }
    let mut flat = Vec::with_capacity(conds.len());
    for cond in conds {
        push(&mut flat, cond);
    }
    let mut slots: Vec<Slot> = Vec::with_capacity(flat.len());
    let mut lists: HashMap<&'static str, usize> = HashMap::new();
    for cond in flat {
        let (column, kind, values) = match cond {
            Cond::Column {
                column,
                kind,
                op: Op::Compare("=", value),
            } => (column, kind, vec![value]),
            Cond::Column {
                column,
                kind,
                op: Op::In(values),
            } => (column, kind, values),
            other => {
                slots.push(Slot::Other(other));
                continue;
            }
        };
        match lists.get(column) {
            Some(&i) => match &mut slots[i] {
                Slot::Values(.., kept) => {
                    let other: HashSet<BindKey<'_>> = values.iter().map(BindKey::of).collect();
                    kept.retain(|value| other.contains(&BindKey::of(value)));
                }
                Slot::Other(_) => unreachable!("a column's slot holds its values"),
            },
            None => {
                lists.insert(column, slots.len());
                slots.push(Slot::Values(column, kind, values));
            }
        }
    }
    let mut conds: Vec<Cond> = slots
        .into_iter()
        .map(|slot| match slot {
            Slot::Other(cond) => cond,
            Slot::Values(column, kind, mut values) if values.len() == 1 => Cond::Column {
                column,
                kind,
                op: Op::Compare("=", values.pop().expect("one value")),
            },
            Slot::Values(column, kind, values) => Cond::Column {
                column,
                kind,
                op: list_op(kind, values, false),
            },
        })
        .collect();
    match conds.len() {
        0 => Cond::True,
        1 => conds.pop().expect("one condition"),
        _ => Cond::And(conds),
    }
}

/// A [`Bind`] as the databases compare it for equality, hashable: a float by its value
/// (`-0.0` as `0.0`; JSON has no NaN).
#[derive(PartialEq, Eq, Hash)]
enum BindKey<'a> {
    Bool(bool),
    Int(i64),
    Float(u64),
    Text(&'a str),
    Timestamp(NaiveDateTime),
    Bytes(&'a [u8]),
    TimestampTz(DateTime<Utc>),
    Date(NaiveDate),
    Time(NaiveTime),
    /// A JSON document, by its text.
    Json(String),
    #[cfg(feature = "decimal")]
    Decimal(&'a bigdecimal::BigDecimal),
    #[cfg(feature = "uuid")]
    Uuid(uuid::Uuid),
}

impl<'a> BindKey<'a> {
    fn of(bind: &'a Bind) -> Self {
        match bind {
            Bind::Bool(value) => BindKey::Bool(*value),
            Bind::Int(value) => BindKey::Int(*value),
            Bind::Float(value) => BindKey::Float((value + 0.0).to_bits()),
            Bind::Text(value) => BindKey::Text(value),
            Bind::Timestamp(value) => BindKey::Timestamp(*value),
            Bind::Bytes(value) => BindKey::Bytes(value),
            Bind::TimestampTz(value) => BindKey::TimestampTz(*value),
            Bind::Date(value) => BindKey::Date(*value),
            Bind::Time(value) => BindKey::Time(*value),
            Bind::Json(value) => BindKey::Json(value.to_string()),
            #[cfg(feature = "decimal")]
            Bind::Decimal(value) => BindKey::Decimal(value),
            #[cfg(feature = "uuid")]
            Bind::Uuid(value) => BindKey::Uuid(*value),
        }
    }
}

fn column_filter(
    source: Source,
    name: &str,
    condition: Condition,
    text_values: bool,
    at: &At,
) -> Result<Cond> {
    let column = match resolve(source, name, false, at)? {
        Name::Field(column) => column,
        Name::Link(..) => {
            return Err(Error::InvalidFilter {
                entity: source.name().to_owned(),
                field: name.to_owned(),
                reason: "it is a link: filter on one of its fields, such as `{name}.id`"
                    .replace("{name}", name),
            });
        }
        Name::Unknown => return Err(unknown_field(source, name, at.gate)),
    };
    Ok(Cond::Column {
        column: column.column,
        kind: column.kind,
        op: op_of(source, name, column.kind, condition, text_values)?,
    })
}

/// The records whose count of linked records through the link field `name` (the path
/// `path`) meets `condition`: the count compares as an integer.
fn count_filter(
    source: Source,
    path: &str,
    name: &str,
    condition: Condition,
    text_values: bool,
    at: &At,
) -> Result<Cond> {
    let count = Count::of(source, path, name, at)?;
    let op = op_of(
        source,
        path,
        Some(ColumnKind::BigInt),
        condition,
        text_values,
    )?;
    if matches!(op, Op::Like(_) | Op::ILike(_)) {
        return Err(Error::InvalidFilter {
            entity: source.name().to_owned(),
            field: path.to_owned(),
            reason: "a count is a number: a pattern does not apply to it".into(),
        });
    }
    Ok(Cond::Count { count, op })
}

/// `condition` on the field `name` of `source`, whose values are of `kind`, as an [`Op`]
/// with its values converted to the kind.
fn op_of(
    source: Source,
    name: &str,
    kind: Option<ColumnKind>,
    condition: Condition,
    text_values: bool,
) -> Result<Op> {
    let invalid = |reason: String| Error::InvalidFilter {
        entity: source.name().to_owned(),
        field: name.to_owned(),
        reason,
    };
    let bind = |value: Value| {
        let value = if text_values {
            from_text(kind, value)
        } else {
            value
        };
        to_bind(kind, value).map_err(&invalid)
    };
    let text = |pattern: String| match kind {
        None | Some(ColumnKind::Text | ColumnKind::Enum(_)) => {
            like_pattern(pattern).map(Bind::Text).map_err(&invalid)
        }
        Some(kind) => Err(invalid(format!(
            "a pattern applies to text, and the field is {kind:?}"
        ))),
    };
    let list = |values: Vec<Value>, negated: bool| {
        let binds = values.into_iter().map(bind).collect::<Result<Vec<_>>>()?;
        Ok::<_, Error>(list_op(kind, binds, negated))
    };
    let op = match condition {
        Condition::Eq(Value::Null) => Op::IsNull,
        Condition::Ne(Value::Null) => Op::IsNotNull,
        Condition::Eq(value) => Op::Compare("=", bind(value)?),
        Condition::Ne(value) => Op::Compare("<>", bind(value)?),
        Condition::Gt(value) => Op::Compare(">", bind(value)?),
        Condition::Ge(value) => Op::Compare(">=", bind(value)?),
        Condition::Lt(value) => Op::Compare("<", bind(value)?),
        Condition::Le(value) => Op::Compare("<=", bind(value)?),
        Condition::EqAny(values) => list(values, false)?,
        Condition::NeAll(values) => list(values, true)?,
        Condition::Like(pattern) => Op::Like(text(pattern)?),
        Condition::ILike(pattern) => Op::ILike(text(pattern)?),
        Condition::IsNull => Op::IsNull,
        Condition::IsNotNull => Op::IsNotNull,
    };
    Ok(op)
}

/// `IN` (or `NOT IN` when `negated`) a list of values of a column of `kind`: a long list
/// of text values is bound as one JSON array ([`JSON_LIST_FROM`]), any other one value by
/// one.
fn list_op(kind: Option<ColumnKind>, binds: Vec<Bind>, negated: bool) -> Op {
    let texts: Option<Vec<&str>> = binds
        .iter()
        .map(|bind| match bind {
            Bind::Text(text) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    match texts {
        Some(texts)
            if matches!(kind, Some(ColumnKind::Text | ColumnKind::Enum(_)))
                && texts.len() >= JSON_LIST_FROM =>
        {
            Op::InJson {
                list: crate::dialect::json_list(&texts),
                values: texts.len(),
                negated,
            }
        }
        _ if negated => Op::NotIn(binds),
        _ => Op::In(binds),
    }
}

/// Alternatives of which at least one must hold, written as cheaply as the same rows
/// allow:
///
/// - Alternatives through the same link become one: some linked record meets one
///   alternative or another if and only if some linked record meets one or another, so
///   `brand.name = A OR brand.name = B` is one subquery for a brand named `A` or `B`,
///   rather than one subquery per alternative. Their inner filters are merged in turn
///   (the linked table's soft-delete filter, common to all, is kept once), so
///   `brand.supplier.name` alternatives follow each link once too.
/// - Equalities on the same column become one `IN` list (a JSON array from
///   [`JSON_LIST_FROM`] text values on): `name = A OR name = B` is `name IN (A, B)`.
///   Lists already written as `IN` are left as they are: each keeps binding its values.
///
/// Each merged alternative stands where the first of those it replaces stood.
fn any(alternatives: Vec<Cond>) -> Cond {
    /// What an alternative may be merged with.
    #[derive(PartialEq, Eq, Hash)]
    enum Group {
        /// Conditions through this link table, from this column of it.
        Pivot(&'static str, &'static str),
        /// Conditions on the record a pivot row's column holds.
        Direct(&'static str),
        /// Conditions on the records of this table whose column holds the record's id.
        Referring(&'static str, &'static str),
        /// Equalities on this column.
        Equal(&'static str),
    }
    /// `cond`'s alternatives pushed onto `flat`: an `Or`'s own, an `And` of one's one.
    fn push(flat: &mut Vec<Cond>, cond: Cond) {
        match cond {
            Cond::Or(alternatives) => {
                for alternative in alternatives {
                    push(flat, alternative);
                }
            }
            Cond::And(mut conds) if conds.len() == 1 => {
                push(flat, conds.pop().expect("one condition"));
            }
            other => flat.push(other),
        }
    }
    enum Slot {
        Linked(Edge, Source, Vec<Cond>),
        Equal(&'static str, Option<ColumnKind>, Vec<Bind>),
        Other(Cond),
    }
    let mut slots: Vec<Slot> = Vec::new();
    let mut groups: HashMap<Group, usize> = HashMap::new();
    let mut flat = Vec::with_capacity(alternatives.len());
    for alternative in alternatives {
        push(&mut flat, alternative);
    }
    for alternative in flat {
        match alternative {
            Cond::Linked {
                edge,
                target,
                inner,
            } => {
                let group = match edge {
                    Edge::Pivot { link, from, .. } => Group::Pivot(link.table, from),
                    Edge::Direct { to } => Group::Direct(to.column),
                    Edge::Referring { to, column } => Group::Referring(to.table(), column),
                    // The pivot rows whose `from` column holds the record's id.
                    Edge::Row { link, from, .. } => Group::Referring(link.table, from),
                };
                match groups.get(&group) {
                    Some(&i) => match &mut slots[i] {
                        Slot::Linked(.., inners) => inners.push(*inner),
                        _ => unreachable!("a link's group holds linked conditions"),
                    },
                    None => {
                        groups.insert(group, slots.len());
                        slots.push(Slot::Linked(edge, target, vec![*inner]));
                    }
                }
            }
            Cond::Column {
                column,
                kind,
                op: Op::Compare("=", value),
            } => match groups.get(&Group::Equal(column)) {
                Some(&i) => match &mut slots[i] {
                    Slot::Equal(.., values) => values.push(value),
                    _ => unreachable!("a column's group holds equalities"),
                },
                None => {
                    groups.insert(Group::Equal(column), slots.len());
                    slots.push(Slot::Equal(column, kind, vec![value]));
                }
            },
            other => slots.push(Slot::Other(other)),
        }
    }
    let mut merged: Vec<Cond> = slots
        .into_iter()
        .map(|slot| match slot {
            Slot::Other(cond) => cond,
            Slot::Linked(edge, target, mut inners) if inners.len() == 1 => Cond::Linked {
                edge,
                target,
                inner: Box::new(inners.pop().expect("one inner filter")),
            },
            Slot::Linked(edge, target, inners) => Cond::Linked {
                edge,
                target,
                inner: Box::new(any_inner(inners)),
            },
            Slot::Equal(column, kind, mut values) if values.len() == 1 => Cond::Column {
                column,
                kind,
                op: Op::Compare("=", values.pop().expect("one value")),
            },
            Slot::Equal(column, kind, values) => Cond::Column {
                column,
                kind,
                op: list_op(kind, values, false),
            },
        })
        .collect();
    match merged.len() {
        1 => merged.pop().expect("one alternative"),
        _ => Cond::Or(merged),
    }
}

/// The inner filters of alternatives through one link, of which one must hold: each is
/// the linked table's soft-delete filter (unless the table has none or deleted records
/// are asked for: the same for all) and then the alternative's own, as [`filters`] writes
/// them. The soft-delete filter is kept once, and the alternatives' own merged by
/// [`any`].
fn any_inner(inners: Vec<Cond>) -> Cond {
    let live = |cond: &Cond| match cond {
        Cond::And(conds) => match conds.as_slice() {
            [Cond::Column {
                column,
                op: Op::IsNull,
                ..
            }, _] => Some(*column),
            _ => None,
        },
        _ => None,
    };
    let first = inners.first().and_then(live);
    if first.is_none() || inners.iter().any(|inner| live(inner) != first) {
        return any(inners);
    }
    let mut kept = None;
    let own = inners
        .into_iter()
        .map(|inner| match inner {
            Cond::And(mut conds) => {
                let own = conds.pop().expect("the alternative's own filter");
                kept = conds.pop();
                own
            }
            _ => unreachable!("checked above"),
        })
        .collect();
    Cond::And(vec![kept.expect("a soft-delete filter"), any(own)])
}

/// A value given as text (from a query string) as the JSON value a column of `kind` takes:
/// `"10"` for an integer, `"true"` for a boolean. Text that does not read as one is left as
/// it is, for [`to_bind`] to refuse with the type it expected.
fn from_text(kind: Option<ColumnKind>, value: Value) -> Value {
    let Value::String(text) = &value else {
        return value;
    };
    let parsed = match kind {
        Some(ColumnKind::SmallInt | ColumnKind::Integer | ColumnKind::BigInt) => {
            text.parse::<i64>().ok().map(Value::from)
        }
        Some(ColumnKind::Float | ColumnKind::Double) => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        Some(ColumnKind::Bool) => match text.as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        _ => None,
    };
    parsed.unwrap_or(value)
}

/// A JSON value as a value of a column of `kind`.
fn to_bind(kind: Option<ColumnKind>, value: Value) -> std::result::Result<Bind, String> {
    let mismatch = |what: &str| format!("expects {what}, got `{value}`");
    match (kind, &value) {
        (_, Value::Null) => {
            Err("null compares with nothing: use IS NULL (`null` or `$eq: null`)".into())
        }
        (_, Value::Array(_) | Value::Object(_)) => Err(mismatch("a single value")),
        (Some(ColumnKind::Bool), Value::Bool(b)) => Ok(Bind::Bool(*b)),
        (Some(ColumnKind::Bool), _) => Err(mismatch("a boolean")),
        (
            Some(ColumnKind::SmallInt | ColumnKind::Integer | ColumnKind::BigInt),
            Value::Number(n),
        ) if n.is_i64() => Ok(Bind::Int(n.as_i64().expect("checked"))),
        (Some(ColumnKind::SmallInt | ColumnKind::Integer | ColumnKind::BigInt), _) => {
            Err(mismatch("an integer"))
        }
        (Some(ColumnKind::Float | ColumnKind::Double), Value::Number(n)) => {
            Ok(Bind::Float(n.as_f64().expect("finite JSON number")))
        }
        (Some(ColumnKind::Float | ColumnKind::Double), _) => Err(mismatch("a number")),
        (Some(ColumnKind::Text), Value::String(s)) => text(s).map(Bind::Text),
        (Some(ColumnKind::Text), _) => Err(mismatch("text")),
        (Some(ColumnKind::Timestamp), Value::String(s)) => match parse_timestamp(s) {
            Some(time) if (1..=9999).contains(&time.year()) => Ok(Bind::Timestamp(time)),
            Some(_) => Err(format!(
                "expects a timestamp between the years 1 and 9999, got `{value}`"
            )),
            None => Err(mismatch("a timestamp such as \"2024-05-01T12:00:00\"")),
        },
        (Some(ColumnKind::Timestamp), _) => Err(mismatch("a timestamp")),
        (Some(ColumnKind::Enum(variants)), Value::String(s)) => {
            match variants.contains(&s.as_str()) {
                true => Ok(Bind::Text(s.clone())),
                false => Err(mismatch(&format!(
                    "one of its variants ({})",
                    crate::error::quoted(variants)
                ))),
            }
        }
        (Some(ColumnKind::Enum(variants)), _) => Err(mismatch(&format!(
            "one of its variants ({})",
            crate::error::quoted(variants)
        ))),
        (Some(ColumnKind::Json), _) => {
            Err("a JSON document compares with nothing but null (`null`, `$ne: null`)".into())
        }
        // An array is compared as a whole on PostgreSQL and as JSON text on SQLite, which
        // agree on nothing but null; and filters on its elements are not written yet.
        (Some(ColumnKind::Array(_)), _) => {
            Err("an array compares with nothing but null (`null`, `$ne: null`)".into())
        }
        // Each would need its own bound type on each backend (SQLite holds them as text in
        // forms that do not sort as their values do): only null checks, for now.
        (
            Some(
                kind @ (ColumnKind::TimestampTz
                | ColumnKind::Date
                | ColumnKind::Time
                | ColumnKind::Decimal
                | ColumnKind::Uuid
                | ColumnKind::Bytes),
            ),
            _,
        ) => Err(format!(
            "a column of kind {kind:?} compares with nothing but null (`null`, `$ne: null`)"
        )),
        (None, Value::Bool(b)) => Ok(Bind::Bool(*b)),
        (None, Value::Number(n)) => Ok(n.as_i64().map_or_else(
            || Bind::Float(n.as_f64().expect("finite JSON number")),
            Bind::Int,
        )),
        (None, Value::String(s)) => text(s).map(Bind::Text),
    }
}

/// A text value to compare with: any text but one holding NUL, which PostgreSQL cannot
/// hold and SQLite's `LIKE` reads as the end of the text.
fn text(value: &str) -> std::result::Result<String, String> {
    if value.contains('\0') {
        return Err(
            "text holding a NUL character (U+0000) is refused: PostgreSQL cannot store it, \
             and SQLite's LIKE reads text only up to it"
                .into(),
        );
    }
    Ok(value.to_owned())
}

/// Characters a pattern may not hold: SQLite's pattern matching reads U+FFFE and U+FFFF as
/// U+FFFD, so a pattern holding any of the three would match other text on SQLite than on
/// PostgreSQL. Without them in the pattern, text holding them matches alike.
const UNMATCHABLE: [char; 3] = ['\u{fffd}', '\u{fffe}', '\u{ffff}'];

/// A `LIKE` pattern as both backends read it alike: no NUL, none of [`UNMATCHABLE`], at
/// most [`MAX_PATTERN_CHARS`] characters, and a backslash at the very end (escaping
/// nothing, which PostgreSQL refuses) matched as a backslash.
fn like_pattern(pattern: String) -> std::result::Result<String, String> {
    let mut pattern = text(&pattern)?;
    if pattern.contains(UNMATCHABLE) {
        return Err(
            "a pattern holding U+FFFD, U+FFFE or U+FFFF is refused: SQLite matches the three \
             as one character, so the backends would not agree"
                .to_owned(),
        );
    }
    let chars = pattern.chars().count();
    if chars > MAX_PATTERN_CHARS {
        return Err(format!(
            "a pattern of {chars} characters; at most {MAX_PATTERN_CHARS}"
        ));
    }
    let trailing = pattern.chars().rev().take_while(|&c| c == '\\').count();
    if trailing % 2 == 1 {
        pattern.push('\\');
    }
    Ok(pattern)
}

/// `2024-05-01T12:00:00`, with a space for the `T`, fractions of a second, or an offset
/// (converted to UTC).
fn parse_timestamp(text: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.naive_utc())
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok())
        .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").ok())
}

fn order_key(source: Source, path: &str, order: Order, at: &At) -> Result<OrderKey> {
    let invalid = |reason: &str| Error::InvalidOrder {
        entity: source.name().to_owned(),
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let field_of = |source: Source, name: &str, at: &At| match resolve(source, name, false, at)? {
        Name::Field(column) => Ok(column),
        Name::Link(..) | Name::Unknown => Err(unknown_field(source, name, at.gate)),
    };
    match path.split_once('.') {
        None => {
            let field = field_of(source, path, at)?;
            Ok(OrderKey {
                path: path.to_owned(),
                via: None,
                column: field.column,
                kind: field.kind,
                nullable: source.nullable(field.column),
                order,
                count: None,
            })
        }
        // A count is a number, of every row.
        Some((COUNT_FIELD, name)) => Ok(OrderKey {
            path: path.to_owned(),
            via: None,
            column: source.primary_key(),
            kind: Some(ColumnKind::BigInt),
            nullable: false,
            order,
            count: Some(Count::of(source, path, name, at)?),
        }),
        Some((head, rest)) => {
            let Name::Link(_, edge) = resolve(source, head, true, at)? else {
                return Err(unknown_field(source, head, at.gate));
            };
            if rest.contains('.') {
                return Err(invalid("an order follows one link at most"));
            }
            if edge.is_list() {
                return Err(invalid(
                    "the link is a list, so a row has many values to order by",
                ));
            }
            let next = at.follow(head, edge.target_name())?;
            let target = edge.target(at.gate)?;
            let field = field_of(target, rest, &next)?;
            Ok(OrderKey {
                path: path.to_owned(),
                via: Some((edge, target)),
                column: field.column,
                kind: field.kind,
                nullable: true,
                order,
                count: None,
            })
        }
    }
}
