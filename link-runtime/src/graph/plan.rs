//! A [`Graph`] resolved against the registry: every name looked up, every filter value
//! checked against its column's type. What comes out holds only `&'static` names from
//! the registry, so nothing a query says can reach the SQL except as a bound value.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDateTime};
use serde_json::Value;

use crate::backend::Place;
use crate::definition::{ColumnKind, LinkSchema, Side};
use crate::entity::{registered_entities, EntitySchema};
use crate::error::{Error, Result};
use crate::graph::request::{Condition, EntityName, Filter, Graph, Order};
use crate::registry::registered_links;

/// A resolved query.
#[derive(Debug)]
pub(crate) struct Plan {
    pub root: Node,
    pub filter: Cond,
    pub order: Vec<OrderKey>,
    pub skip: u64,
    pub take: Option<u64>,
    pub with_deleted: bool,
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
    /// From a pivot row to one of its sides, by the side's column.
    Direct { to: Side },
}

impl Edge {
    fn target(&self) -> Side {
        match *self {
            Edge::Pivot { to, .. } | Edge::Direct { to } => to,
        }
    }
}

/// A resolved filter.
#[derive(Debug, Clone)]
pub(crate) enum Cond {
    True,
    Column {
        column: &'static str,
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
    /// The column holds one of `ids`: a [`Linked`](Cond::Linked) whose tables are in other
    /// databases, resolved before the statement that needs it.
    Ids {
        column: &'static str,
        ids: Vec<String>,
    },
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
}

/// One key of the order: a column of the root, or of a record linked at most once.
#[derive(Debug)]
pub(crate) struct OrderKey {
    /// The path as the query gave it, for errors.
    pub path: String,
    pub via: Option<(Edge, Source)>,
    pub column: &'static str,
    pub order: Order,
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

pub(crate) fn plan(graph: &Graph) -> Result<Plan> {
    check_shape(graph)?;
    let source = match &graph.entity {
        EntityName::Schema(entity) => Source::Entity(entity),
        EntityName::Name(name) => find_source(name)?,
    };
    let fields = if graph.fields.is_empty() {
        vec!["*".to_owned()]
    } else {
        graph.fields.clone()
    };
    let root = node(source, &fields)?;
    let reading = Reading {
        with_deleted: graph.with_deleted,
        text_values: graph.text_values,
    };
    let filter = filters(source, &graph.filters, reading)?;
    let bound = bound_values(&filter);
    if bound > MAX_BOUND_VALUES {
        return Err(Error::MalformedQuery {
            reason: format!(
                "the filters bind {bound} values; at most {MAX_BOUND_VALUES} (a list of more \
                 than {JSON_LIST_FROM} text values counts as one)"
            ),
        });
    }
    let order = graph
        .order
        .iter()
        .map(|(path, order)| order_key(source, path, *order))
        .collect::<Result<_>>()?;
    Ok(Plan {
        root,
        filter,
        order,
        skip: graph.skip,
        take: graph.take,
        with_deleted: graph.with_deleted,
    })
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
            }
        }
        Ok(())
    }
    check(&graph.filters, 0, &too_long)
}

/// How many values `cond` binds one by one.
fn bound_values(cond: &Cond) -> usize {
    match cond {
        Cond::True => 0,
        Cond::Ids { .. } => 1,
        Cond::Column { op, .. } => match op {
            Op::In(values) | Op::NotIn(values) => values.len(),
            _ => 1,
        },
        Cond::Linked { inner, .. } => bound_values(inner),
        Cond::And(conds) | Cond::Or(conds) => conds.iter().map(bound_values).sum(),
    }
}

/// The entity named `name`: a model, or a link's table.
fn find_source(name: &str) -> Result<Source> {
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
        known,
    })
}

/// The entity of a link's side.
fn side_source(side: &Side) -> Result<Source> {
    registered_entities()
        .find(|e| e.module == side.module() && e.model == side.model())
        .map(Source::Entity)
        .ok_or_else(|| Error::UnknownEntity {
            entity: format!("{}.{}", side.module(), side.model()),
            known: registered_entities()
                .map(|e| format!("{}.{}", e.module, e.model))
                .collect(),
        })
}

fn unknown_field(source: Source, field: &str) -> Error {
    let mut known: Vec<String> = source.fields().iter().map(|c| c.name.to_owned()).collect();
    if let Ok(links) = source.links() {
        known.extend(links.iter().map(|(name, _)| (*name).to_owned()));
    }
    known.dedup();
    Error::UnknownField {
        entity: source.name().to_owned(),
        field: field.to_owned(),
        known,
    }
}

/// The link field `name` of `source`, if it has one, with its `'static` name.
fn link_field(source: Source, name: &str) -> Result<Option<(&'static str, Edge)>> {
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
                    Edge::Pivot { link, .. } => Some(link.table),
                    Edge::Direct { .. } => None,
                })
                .collect(),
        }),
    }
}

/// The node reading `paths` (relative to `source`).
fn node(source: Source, paths: &[String]) -> Result<Node> {
    let fields = source.fields();
    let mut select: Vec<Column> = Vec::new();
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
                if !select.contains(field) {
                    select.push(*field);
                }
            }
        } else if let Some(field) = fields.iter().find(|f| f.name == head) {
            if rest.is_some() {
                return Err(Error::MalformedQuery {
                    reason: format!(
                        "`{path}`: `{head}` is a field of `{}`, not a link",
                        source.name()
                    ),
                });
            }
            if !select.contains(field) {
                select.push(*field);
            }
        } else if let Some((name, edge)) = link_field(source, head)? {
            let rest = rest.unwrap_or("*").to_owned();
            match below.iter_mut().find(|(n, ..)| *n == name) {
                Some((.., paths)) => paths.push(rest),
                None => below.push((name, edge, vec![rest])),
            }
        } else {
            return Err(unknown_field(source, head));
        }
    }
    let output = select.len();
    let mut hops = Vec::with_capacity(below.len());
    for (name, edge, paths) in below {
        let from_column = match edge {
            Edge::Pivot { .. } => source.primary_key(),
            Edge::Direct { to } => to.column,
        };
        let from = index_of(&mut select, from_column, &fields);
        let target = edge.target();
        let many = matches!(edge, Edge::Pivot { to, .. } if to.is_list);
        let mut node = node(side_source(&target)?, &paths)?;
        // The hop's records are keyed by their primary key.
        let primary_key = node.source.primary_key();
        let target_fields = node.source.fields();
        index_of(&mut node.select, primary_key, &target_fields);
        hops.push(Hop {
            name,
            edge,
            many,
            from,
            node,
        });
    }
    Ok(Node {
        source,
        select,
        output,
        hops,
    })
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

/// The filters of a node, all of which must hold, with the soft-delete filter unless
/// deleted rows are asked for.
/// How a query's filters are read.
#[derive(Debug, Clone, Copy)]
struct Reading {
    /// Soft-deleted records and dismissed links count.
    with_deleted: bool,
    /// The values are text, as a query string gives them: `"10"` for an integer field.
    text_values: bool,
}

fn filters(source: Source, filters: &[Filter], reading: Reading) -> Result<Cond> {
    let mut conds = Vec::new();
    if !reading.with_deleted {
        if let Some(column) = source.deleted_at() {
            conds.push(Cond::Column {
                column,
                op: Op::IsNull,
            });
        }
    }
    conds.push(all(source, flatten(filters), reading)?);
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
fn all(source: Source, list: Vec<Filter>, reading: Reading) -> Result<Cond> {
    let mut conds = Vec::new();
    let mut linked: BTreeMap<String, Vec<Filter>> = BTreeMap::new();
    for filter in list {
        match filter {
            Filter::And(inner) => conds.push(all(source, inner, reading)?),
            Filter::Or(inner) => {
                let alternatives = inner
                    .into_iter()
                    .map(|f| all(source, flatten(&[f]), reading))
                    .collect::<Result<_>>()?;
                conds.push(Cond::Or(alternatives));
            }
            Filter::Field { path, condition } => match path.split_once('.') {
                Some((head, rest)) => {
                    linked
                        .entry(head.to_owned())
                        .or_default()
                        .push(Filter::Field {
                            path: rest.to_owned(),
                            condition,
                        })
                }
                None => conds.push(column_filter(
                    source,
                    &path,
                    condition,
                    reading.text_values,
                )?),
            },
        }
    }
    for (head, inner) in linked {
        let Some((_, edge)) = link_field(source, &head)? else {
            if source.fields().iter().any(|c| c.name == head) {
                return Err(Error::InvalidFilter {
                    entity: source.name().to_owned(),
                    field: head,
                    reason: "it is a field, not a link: nothing can follow it in a path".into(),
                });
            }
            return Err(unknown_field(source, &head));
        };
        let target = side_source(&edge.target())?;
        conds.push(Cond::Linked {
            edge,
            target,
            inner: Box::new(filters(target, &inner, reading)?),
        });
    }
    Ok(match conds.len() {
        0 => Cond::True,
        1 => conds.pop().expect("one condition"),
        _ => Cond::And(conds),
    })
}

fn column_filter(
    source: Source,
    name: &str,
    condition: Condition,
    text_values: bool,
) -> Result<Cond> {
    let Some(column) = source.fields().into_iter().find(|c| c.name == name) else {
        if link_field(source, name)?.is_some() {
            return Err(Error::InvalidFilter {
                entity: source.name().to_owned(),
                field: name.to_owned(),
                reason: "it is a link: filter on one of its fields, such as `{name}.id`"
                    .replace("{name}", name),
            });
        }
        return Err(unknown_field(source, name));
    };
    let invalid = |reason: String| Error::InvalidFilter {
        entity: source.name().to_owned(),
        field: name.to_owned(),
        reason,
    };
    let bind = |value: Value| {
        let value = if text_values {
            from_text(column.kind, value)
        } else {
            value
        };
        to_bind(column.kind, value).map_err(&invalid)
    };
    let text = |pattern: String| match column.kind {
        None | Some(ColumnKind::Text) => like_pattern(pattern).map(Bind::Text).map_err(&invalid),
        Some(kind) => Err(invalid(format!(
            "a pattern applies to text, and the field is {kind:?}"
        ))),
    };
    // A long list of text values is bound as one JSON array.
    let list = |values: Vec<Value>, negated: bool| {
        let binds = values.into_iter().map(bind).collect::<Result<Vec<_>>>()?;
        let texts: Option<Vec<&str>> = binds
            .iter()
            .map(|bind| match bind {
                Bind::Text(text) => Some(text.as_str()),
                _ => None,
            })
            .collect();
        Ok::<_, Error>(match texts {
            Some(texts)
                if column.kind == Some(ColumnKind::Text) && texts.len() >= JSON_LIST_FROM =>
            {
                Op::InJson {
                    list: crate::dialect::json_list(&texts),
                    negated,
                }
            }
            _ if negated => Op::NotIn(binds),
            _ => Op::In(binds),
        })
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
    Ok(Cond::Column {
        column: column.column,
        op,
    })
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
        (Some(ColumnKind::Json), _) => {
            Err("a JSON document compares with nothing but null (`null`, `$ne: null`)".into())
        }
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

fn order_key(source: Source, path: &str, order: Order) -> Result<OrderKey> {
    let invalid = |reason: &str| Error::InvalidOrder {
        entity: source.name().to_owned(),
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let field_of = |source: Source, name: &str| {
        source
            .fields()
            .into_iter()
            .find(|c| c.name == name)
            .map(|c| c.column)
            .ok_or_else(|| unknown_field(source, name))
    };
    match path.split_once('.') {
        None => Ok(OrderKey {
            path: path.to_owned(),
            via: None,
            column: field_of(source, path)?,
            order,
        }),
        Some((head, rest)) => {
            let Some((_, edge)) = link_field(source, head)? else {
                return Err(unknown_field(source, head));
            };
            if rest.contains('.') {
                return Err(invalid("an order follows one link at most"));
            }
            if matches!(edge, Edge::Pivot { to, .. } if to.is_list) {
                return Err(invalid(
                    "the link is a list, so a row has many values to order by",
                ));
            }
            let target = side_source(&edge.target())?;
            Ok(OrderKey {
                path: path.to_owned(),
                via: Some((edge, target)),
                column: field_of(target, rest)?,
                order,
            })
        }
    }
}
