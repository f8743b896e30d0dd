//! Running a [`Plan`]: the root statement (and its `COUNT`), with each link that holds one
//! record at most `LEFT JOIN`ed into it; then per other link two statements, one on the
//! pivot and one on the linked table, each taking the ids of the level above as one bound
//! JSON array; then the rows are stitched in memory into [`Record`]s.
//!
//! Each statement runs in the database of its table ([`Connections`]). A filter through a
//! link is a semi-join inside the root statement when the pivot and the linked table are in
//! the root's database; when they are not, [`localize`] resolves it first, one statement
//! per database, into a bound list of ids.

use std::collections::{HashMap, HashSet};

use std::sync::Arc;

use serde_json::Value;

use crate::backend::{key, shape, Connections, Executor, JsonRow, Place};
use crate::definition::{ColumnValue, LinkSchema};
use crate::dialect::{json_list, Dialect};
use crate::error::{Error, Result};
use crate::graph::plan::{Bind, Column, Cond, Edge, Hop, Node, Op, OrderKey, Plan, Source};
use crate::graph::record::{Linked, Record};
use crate::graph::request::Order;
use crate::graph::result::Metadata;
use crate::migrate::sql::ident;

/// A statement being written: its text, its binds, and the table aliases used so far.
struct Sql {
    dialect: Dialect,
    text: String,
    binds: Vec<Bind>,
    aliases: usize,
}

impl Sql {
    fn new(dialect: Dialect) -> Self {
        Sql {
            dialect,
            text: String::new(),
            binds: Vec::new(),
            aliases: 0,
        }
    }

    /// Binds a value; returns its placeholder.
    fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        self.dialect.placeholder(self.binds.len())
    }

    /// A fresh table alias.
    fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("t{}", self.aliases)
    }

    async fn run<E: Executor>(&self, conn: &mut E) -> Result<Vec<Vec<Value>>> {
        let binds: Vec<ColumnValue<'_>> = self
            .binds
            .iter()
            .map(|bind| match bind {
                Bind::Bool(value) => ColumnValue::Bool(*value),
                Bind::Int(value) => ColumnValue::BigInt(*value),
                Bind::Float(value) => ColumnValue::Double(*value),
                Bind::Text(value) => ColumnValue::Text(value),
                Bind::Timestamp(value) => ColumnValue::Timestamp(*value),
            })
            .collect();
        let rows: Vec<JsonRow> = conn.load(&self.text, &binds).await?;
        Ok(rows.into_iter().map(|row| row.0).collect())
    }
}

/// `"alias"."column"`
fn col(alias: &str, column: &str) -> String {
    format!("{}.{}", ident(alias), ident(column))
}

fn select_list(alias: &str, columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| col(alias, c.column))
        .collect::<Vec<_>>()
        .join(", ")
}

/// ` AND "alias"."deleted_at" IS NULL`: the live rows of `source`, aliased `alias`, unless
/// deleted rows are asked for or the table has no soft-delete column.
fn live(source: Source, alias: &str, with_deleted: bool) -> String {
    match source.deleted_at() {
        Some(deleted_at) if !with_deleted => format!(" AND {} IS NULL", col(alias, deleted_at)),
        _ => String::new(),
    }
}

/// A page bound: `u64` as SQL's signed integer.
fn count_bind(value: u64) -> Bind {
    Bind::Int(i64::try_from(value).unwrap_or(i64::MAX))
}

/// The records a plan reads, of its root node, and the page they are.
pub(crate) struct Loaded {
    pub records: Vec<Record>,
    pub metadata: Metadata,
}

pub(crate) async fn run<X: Connections>(conns: &mut X, plan: &Plan) -> Result<Loaded> {
    let dialect = <X::Conn as Executor>::DIALECT;
    let root = &plan.root;
    let home = root.source.place();
    let filter_cond = localize(conns, root.source, &plan.filter, plan.with_deleted).await?;
    let mut sql = Sql::new(dialect);
    let alias = "t0";
    let filter = cond(
        &mut sql,
        alias,
        root.source,
        &filter_cond,
        plan.with_deleted,
    );
    let mut order = Vec::with_capacity(plan.order.len() + 1);
    for key in &plan.order {
        if let Some((edge, target)) = key.via {
            if !reachable(conns, root.source, edge, target) {
                return Err(Error::InvalidOrder {
                    entity: root.source.name().to_owned(),
                    path: key.path.clone(),
                    reason: format!(
                        "`{}` is in another database, and no statement reads two databases",
                        target.name()
                    ),
                });
            }
        }
        order.push(order_expr(
            &mut sql,
            alias,
            root.source,
            key,
            plan.with_deleted,
        ));
    }
    order.push(format!("{} ASC", col(alias, root.source.primary_key())));
    let joined = joined_hops(conns, root, plan.with_deleted);
    let (select, from) = select_joined(&mut sql, root, &joined, plan.with_deleted);
    sql.text = format!(
        "SELECT {select} FROM {from} WHERE {filter} ORDER BY {}",
        order.join(", ")
    );
    match (dialect, plan.take) {
        (_, None) if plan.skip == 0 => {}
        (Dialect::Sqlite, take) => {
            let limit = take.map_or(Bind::Int(-1), count_bind);
            let limit = sql.bind(limit);
            let offset = sql.bind(count_bind(plan.skip));
            sql.text += &format!(" LIMIT {limit} OFFSET {offset}");
        }
        (Dialect::Postgres, take) => {
            if let Some(take) = take {
                let limit = sql.bind(count_bind(take));
                sql.text += &format!(" LIMIT {limit}");
            }
            let offset = sql.bind(count_bind(plan.skip));
            sql.text += &format!(" OFFSET {offset}");
        }
    }
    let rows = sql.run(conns.conn(home).await?).await?;

    // Without a page, the rows are the count; with one, the database counts.
    let count = if plan.take.is_none() && plan.skip == 0 {
        rows.len() as u64
    } else {
        let mut sql = Sql::new(dialect);
        let filter = cond(
            &mut sql,
            alias,
            root.source,
            &filter_cond,
            plan.with_deleted,
        );
        sql.text = format!(
            "SELECT COUNT(*) FROM {} AS {} WHERE {filter}",
            ident(root.source.table()),
            ident(alias)
        );
        let counted = sql.run(conns.conn(home).await?).await?;
        counted
            .first()
            .and_then(|row| row.first())
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };

    let records = stitch(conns, root, rows, &joined, plan.with_deleted).await?;
    Ok(Loaded {
        records,
        metadata: Metadata {
            count,
            skip: plan.skip,
            take: plan.take,
        },
    })
}

/// Which hops of `node` its own statement reads, with `LEFT JOIN`s: those that lead to one
/// record at most, in the node's database. A link side that is not a list has one live
/// partner at most (a unique index over live rows says so), and a pivot row has one record
/// per side; a list, or a single side with its dismissed links, may have several.
fn joined_hops<X: Connections>(conns: &X, node: &Node, with_deleted: bool) -> Vec<bool> {
    node.hops
        .iter()
        .map(|hop| {
            let single = match hop.edge {
                Edge::Pivot { .. } => !hop.many && !with_deleted,
                Edge::Direct { .. } => true,
            };
            single && reachable(conns, node.source, hop.edge, hop.node.source)
        })
        .collect()
}

/// The select list and the `FROM` clause of a statement on `node`: its table as `t0`, then
/// for each joined hop its pivot (if any) and its table `LEFT JOIN`ed, their columns
/// selected after the node's, hop by hop.
fn select_joined(
    sql: &mut Sql,
    node: &Node,
    joined: &[bool],
    with_deleted: bool,
) -> (String, String) {
    let mut select = vec![select_list("t0", &node.select)];
    let mut from = format!("{} AS {}", ident(node.source.table()), ident("t0"));
    for hop in node
        .hops
        .iter()
        .zip(joined)
        .filter_map(|(h, j)| j.then_some(h))
    {
        let key = col("t0", node.select[hop.from].column);
        let target = hop.node.source;
        let linked = match hop.edge {
            Edge::Pivot {
                link,
                from: own,
                to,
            } => {
                let p = sql.alias();
                from += &format!(
                    " LEFT JOIN {} AS {} ON {} = {key}{}",
                    ident(link.table),
                    ident(&p),
                    col(&p, own),
                    live(Source::Link(link), &p, with_deleted),
                );
                col(&p, to.column)
            }
            Edge::Direct { .. } => key,
        };
        let t = sql.alias();
        from += &format!(
            " LEFT JOIN {} AS {} ON {} = {linked}{}",
            ident(target.table()),
            ident(&t),
            col(&t, target.primary_key()),
            live(target, &t, with_deleted),
        );
        select.push(select_list(&t, &hop.node.select));
    }
    (select.join(", "), from)
}

/// The records of `rows` of `node`, with their links loaded. Each row holds the node's
/// columns, then the columns of each hop `joined` into its statement.
async fn stitch<X: Connections>(
    conns: &mut X,
    node: &Node,
    rows: Vec<Vec<Value>>,
    joined: &[bool],
    with_deleted: bool,
) -> Result<Vec<Record>> {
    // Each hop's key per row, read before the rows are taken apart.
    let hop_keys: Vec<Vec<Option<String>>> = node
        .hops
        .iter()
        .zip(joined)
        .map(|(hop, joined)| match joined {
            true => Vec::new(),
            false => rows.iter().map(|row| key(&row[hop.from])).collect(),
        })
        .collect();
    let dialect = <X::Conn as Executor>::DIALECT;
    // The hops joined into the rows: a record with no links of its own is built in place;
    // one with links keeps its columns for the next level.
    let mut joins: Vec<Join<'_>> = node
        .hops
        .iter()
        .enumerate()
        .filter(|&(i, _)| joined[i])
        .map(|(index, hop)| Join {
            index,
            hop,
            primary_key: primary_key_index(&hop.node),
            found: Vec::new(),
            rows: Vec::new(),
        })
        .collect();
    let mut records: Vec<Record> = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let mut values = row.into_iter();
        let own = values.by_ref().take(node.select.len());
        let fields = output_fields(dialect, node, own, None).unwrap_or_default();
        let mut links: Vec<Linked> = node
            .hops
            .iter()
            .map(|hop| Linked::empty(hop.many))
            .collect();
        for join in &mut joins {
            let columns = values.by_ref().take(join.hop.node.select.len());
            if join.hop.node.hops.is_empty() {
                let linked =
                    output_fields(dialect, &join.hop.node, columns, Some(join.primary_key));
                links[join.index] = Linked::One(linked.map(|fields| {
                    Arc::new(Record {
                        fields,
                        links: Vec::new(),
                    })
                }));
            } else {
                let columns: Vec<Value> = columns.collect();
                if !columns[join.primary_key].is_null() {
                    join.found.push(i);
                    join.rows.push(columns);
                }
            }
        }
        records.push(Record { fields, links });
    }
    for join in joins {
        if join.rows.is_empty() {
            continue;
        }
        let no_joins = vec![false; join.hop.node.hops.len()];
        let linked = Box::pin(stitch(
            conns,
            &join.hop.node,
            join.rows,
            &no_joins,
            with_deleted,
        ))
        .await?;
        for (i, linked) in join.found.into_iter().zip(linked) {
            records[i].links[join.index] = Linked::One(Some(Arc::new(linked)));
        }
    }

    for (index, (hop, row_keys)) in node.hops.iter().zip(&hop_keys).enumerate() {
        if joined[index] {
            continue;
        }
        let mut seen = HashSet::new();
        let keys: Vec<&str> = row_keys
            .iter()
            .flatten()
            .map(String::as_str)
            .filter(|k| seen.insert(*k))
            .collect();
        let links = match hop.edge {
            Edge::Pivot { link, from, to } if !keys.is_empty() => {
                pivot_rows(conns, link, from, to.column, &keys, with_deleted).await?
            }
            Edge::Pivot { .. } => Vec::new(),
            Edge::Direct { .. } => keys
                .iter()
                .map(|k| PivotRow::direct((*k).to_owned()))
                .collect(),
        };

        let mut seen = HashSet::new();
        let targets: Vec<&str> = links
            .iter()
            .map(|link| link.to.as_str())
            .filter(|to| seen.insert(*to))
            .collect();
        let target_joins = joined_hops(conns, &hop.node, with_deleted);
        let target_rows = if targets.is_empty() {
            Vec::new()
        } else {
            let target = &hop.node;
            let mut sql = Sql::new(dialect);
            let ids = sql.bind(Bind::Text(json_list(&targets)));
            let (select, from) = select_joined(&mut sql, target, &target_joins, with_deleted);
            let live = live(target.source, "t0", with_deleted);
            sql.text = format!(
                "SELECT {select} FROM {from} WHERE {}{live}",
                dialect.in_json(&col("t0", target.source.primary_key()), &ids),
            );
            sql.run(conns.conn(target.source.place()).await?).await?
        };
        let primary_key = primary_key_index(&hop.node);
        let target_keys: Vec<Option<String>> = target_rows
            .iter()
            .map(|row| key(&row[primary_key]))
            .collect();
        let target_records = Box::pin(stitch(
            conns,
            &hop.node,
            target_rows,
            &target_joins,
            with_deleted,
        ))
        .await?;
        let by_key: HashMap<String, Arc<Record>> = target_keys
            .into_iter()
            .zip(target_records)
            .filter_map(|(k, record)| Some((k?, Arc::new(record))))
            .collect();

        // Each record's links to records that exist, live ones first, then in the order
        // they were made, then by the linked id.
        let mut partners: HashMap<&str, Vec<&PivotRow>> = HashMap::new();
        for link in &links {
            if by_key.contains_key(&link.to) {
                partners.entry(link.from.as_str()).or_default().push(link);
            }
        }
        for group in partners.values_mut() {
            if group.len() > 1 {
                group.sort_by(|a, b| {
                    (a.deleted, &a.created_at, &a.to).cmp(&(b.deleted, &b.created_at, &b.to))
                });
            }
        }
        for (record, row_key) in records.iter_mut().zip(row_keys) {
            let Some(found) = row_key.as_deref().and_then(|k| partners.get(k)) else {
                continue;
            };
            let linked = |link: &&PivotRow| Arc::clone(&by_key[&link.to]);
            record.links[index] = match hop.many {
                true => Linked::Many(found.iter().map(linked).collect()),
                false => Linked::One(found.first().map(linked)),
            };
        }
    }
    Ok(records)
}

/// A hop read by its parent's statement, and the records it found there that have links
/// of their own: the rows they are in, and their columns.
struct Join<'n> {
    /// The hop's index in its node's hops.
    index: usize,
    hop: &'n Hop,
    primary_key: usize,
    found: Vec<usize>,
    rows: Vec<Vec<Value>>,
}

/// The output fields of a record of `node`, from the values of its statement's columns;
/// `None` when the column at `primary_key` is null (a `LEFT JOIN` found no record).
fn output_fields(
    dialect: Dialect,
    node: &Node,
    values: impl Iterator<Item = Value>,
    primary_key: Option<usize>,
) -> Option<Vec<Value>> {
    let mut fields = Vec::with_capacity(node.output);
    let mut found = true;
    // Every value is consumed, found or not: the row's next columns are another record's.
    for (i, value) in values.enumerate() {
        found &= Some(i) != primary_key || !value.is_null();
        // The columns after the output fields are read for stitching only.
        match node.select[..node.output].get(i) {
            Some(column) if found => fields.push(shape(dialect, column.kind, value)),
            _ => {}
        }
    }
    found.then_some(fields)
}

/// Where `node`'s statement selects its primary key.
fn primary_key_index(node: &Node) -> usize {
    node.select
        .iter()
        .position(|c| c.column == node.source.primary_key())
        .expect("the plan selects every node's primary key")
}

/// A link from a record to a linked record, as a hop reads it.
struct PivotRow {
    from: String,
    to: String,
    deleted: bool,
    created_at: String,
}

impl PivotRow {
    /// A pivot row's own side: the record is its own link.
    fn direct(id: String) -> Self {
        PivotRow {
            from: id.clone(),
            to: id,
            deleted: false,
            created_at: String::new(),
        }
    }
}

/// The pivot rows whose `from` column holds one of `keys`; sorted later, in memory, and
/// only where a record has several.
async fn pivot_rows<X: Connections>(
    conns: &mut X,
    link: &'static LinkSchema,
    from: &str,
    to: &str,
    keys: &[&str],
    with_deleted: bool,
) -> Result<Vec<PivotRow>> {
    let dialect = <X::Conn as Executor>::DIALECT;
    let mut sql = Sql::new(dialect);
    let ids = sql.bind(Bind::Text(json_list(keys)));
    let live = live(Source::Link(link), "t0", with_deleted);
    sql.text = format!(
        "SELECT {}, {}, {}, {} FROM {} AS {} WHERE {}{live}",
        col("t0", from),
        col("t0", to),
        col("t0", "deleted_at"),
        col("t0", "created_at"),
        ident(link.table),
        ident("t0"),
        dialect.in_json(&col("t0", from), &ids),
    );
    Ok(sql
        .run(conns.conn(Place::Link(link.table)).await?)
        .await?
        .into_iter()
        .filter_map(|row| {
            let mut row = row.into_iter();
            let from = key(&row.next()?)?;
            let to = key(&row.next()?)?;
            let deleted = !row.next()?.is_null();
            let created_at = key(&row.next()?).unwrap_or_default();
            Some(PivotRow {
                from,
                to,
                deleted,
                created_at,
            })
        })
        .collect())
}

/// `cond_` on `source`, with every filter through a link whose tables are not in
/// `source`'s database resolved into the ids it matches ([`Cond::Ids`]): one statement per
/// database involved, whatever the number of rows.
async fn localize<X: Connections>(
    conns: &mut X,
    source: Source,
    cond_: &Cond,
    with_deleted: bool,
) -> Result<Cond> {
    Ok(match cond_ {
        Cond::And(conds) | Cond::Or(conds) => {
            let mut localized = Vec::with_capacity(conds.len());
            for cond in conds {
                localized.push(Box::pin(localize(conns, source, cond, with_deleted)).await?);
            }
            let conds = localized;
            match cond_ {
                Cond::And(_) => Cond::And(conds),
                _ => Cond::Or(conds),
            }
        }
        Cond::Linked {
            edge,
            target,
            inner,
        } => {
            // The inner filter runs where the linked table is: resolve what it needs first.
            let inner = Box::pin(localize(conns, *target, inner, with_deleted)).await?;
            if reachable(conns, source, *edge, *target) {
                return Ok(Cond::Linked {
                    edge: *edge,
                    target: *target,
                    inner: Box::new(inner),
                });
            }
            match *edge {
                Edge::Pivot { link, from, to } => {
                    // The pivot rows whose linked record meets `inner`: a semi-join where
                    // the pivot and the linked table share a database, two statements where
                    // they do not.
                    let to_linked = if conns.together(Place::Link(link.table), target.place()) {
                        Cond::Linked {
                            edge: Edge::Direct { to },
                            target: *target,
                            inner: Box::new(inner),
                        }
                    } else {
                        let ids =
                            select_ids(conns, *target, target.primary_key(), &inner, with_deleted)
                                .await?;
                        Cond::Ids {
                            column: to.column,
                            ids,
                        }
                    };
                    let ids = select_ids(conns, Source::Link(link), from, &to_linked, with_deleted)
                        .await?;
                    Cond::Ids {
                        column: source.primary_key(),
                        ids,
                    }
                }
                Edge::Direct { to } => {
                    let ids =
                        select_ids(conns, *target, target.primary_key(), &inner, with_deleted)
                            .await?;
                    Cond::Ids {
                        column: to.column,
                        ids,
                    }
                }
            }
        }
        other => other.clone(),
    })
}

/// Whether one statement on `source` can reach `target` through `edge`: the tables it
/// joins (the pivot, if any, and the target's) are in `source`'s database.
fn reachable<X: Connections>(conns: &X, source: Source, edge: Edge, target: Source) -> bool {
    let home = source.place();
    match edge {
        Edge::Pivot { link, .. } => {
            let pivot = Place::Link(link.table);
            conns.together(home, pivot) && conns.together(pivot, target.place())
        }
        Edge::Direct { .. } => conns.together(home, target.place()),
    }
}

/// The distinct values of `column` in the rows of `source` that meet `cond_`, read in
/// `source`'s database. A pivot's dismissed rows count only `with_deleted`; a model's
/// soft-deleted rows are already excluded by `cond_` as planned.
async fn select_ids<X: Connections>(
    conns: &mut X,
    source: Source,
    column: &str,
    cond_: &Cond,
    with_deleted: bool,
) -> Result<Vec<String>> {
    let mut sql = Sql::new(<X::Conn as Executor>::DIALECT);
    let filter = cond(&mut sql, "t0", source, cond_, with_deleted);
    let live = match source {
        Source::Link(_) => live(source, "t0", with_deleted),
        Source::Entity(_) => String::new(),
    };
    sql.text = format!(
        "SELECT DISTINCT {} FROM {} AS {} WHERE {filter}{live}",
        col("t0", column),
        ident(source.table()),
        ident("t0"),
    );
    Ok(sql
        .run(conns.conn(source.place()).await?)
        .await?
        .into_iter()
        .filter_map(|row| key(row.first()?))
        .collect())
}

/// A `LIKE` pattern (`%`, `_`, `\` escaping the next character) as the SQLite `GLOB`
/// pattern that matches the same strings, case included.
fn like_to_glob(pattern: &str) -> String {
    let mut glob = String::with_capacity(pattern.len() + 4);
    let literal = |glob: &mut String, c: char| match c {
        // GLOB's own wildcards, matched literally as a one-character set.
        '*' | '?' | '[' => {
            glob.push('[');
            glob.push(c);
            glob.push(']');
        }
        c => glob.push(c),
    };
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => glob.push('*'),
            '_' => glob.push('?'),
            '\\' => literal(&mut glob, chars.next().unwrap_or('\\')),
            c => literal(&mut glob, c),
        }
    }
    glob
}

/// `cond` on the rows of `source` aliased `alias`, as SQL.
fn cond(sql: &mut Sql, alias: &str, source: Source, cond_: &Cond, with_deleted: bool) -> String {
    match cond_ {
        Cond::True => "1 = 1".to_owned(),
        Cond::Column { column, op } => {
            let column = col(alias, column);
            match op {
                Op::Compare(operator, value) => {
                    let p = sql.bind(value.clone());
                    format!("{column} {operator} {p}")
                }
                Op::In(values) if values.is_empty() => "1 = 0".to_owned(),
                Op::NotIn(values) if values.is_empty() => "1 = 1".to_owned(),
                Op::In(values) | Op::NotIn(values) => {
                    let list: Vec<String> = values.iter().map(|v| sql.bind(v.clone())).collect();
                    let not = if matches!(op, Op::NotIn(_)) {
                        "NOT "
                    } else {
                        ""
                    };
                    format!("{column} {not}IN ({})", list.join(", "))
                }
                Op::InJson { list, negated } => {
                    let p = sql.bind(Bind::Text(list.clone()));
                    let matches = sql.dialect.in_json(&column, &p);
                    if *negated {
                        format!("NOT ({matches})")
                    } else {
                        matches
                    }
                }
                // PostgreSQL's semantics on both backends: `LIKE` respects case, and a
                // backslash escapes the character after it.
                Op::Like(pattern) => match (sql.dialect, pattern) {
                    // SQLite's LIKE ignores ASCII case: its GLOB does not.
                    (Dialect::Sqlite, Bind::Text(pattern)) => {
                        let p = sql.bind(Bind::Text(like_to_glob(pattern)));
                        format!("{column} GLOB {p}")
                    }
                    _ => {
                        let p = sql.bind(pattern.clone());
                        format!("{column} LIKE {p}")
                    }
                },
                Op::ILike(pattern) => {
                    let p = sql.bind(pattern.clone());
                    match sql.dialect {
                        // SQLite's LIKE ignores ASCII case already.
                        Dialect::Sqlite => format!("{column} LIKE {p} ESCAPE '\\'"),
                        Dialect::Postgres => format!("{column} ILIKE {p}"),
                    }
                }
                Op::IsNull => format!("{column} IS NULL"),
                Op::IsNotNull => format!("{column} IS NOT NULL"),
            }
        }
        Cond::Linked {
            edge,
            target,
            inner,
        } => {
            let t = sql.alias();
            match *edge {
                // Nested semi-joins rather than a join: the database finds the matching
                // targets first, then their pivot rows by the side's index, instead of
                // looking up the target of every pivot row.
                Edge::Pivot { link, from, to } => {
                    let p = sql.alias();
                    let inner = cond(sql, &t, *target, inner, with_deleted);
                    let live = live(Source::Link(link), &p, with_deleted);
                    format!(
                        "{} IN (SELECT {} FROM {} AS {} WHERE {} IN \
                         (SELECT {} FROM {} AS {} WHERE {inner}){live})",
                        col(alias, source.primary_key()),
                        col(&p, from),
                        ident(link.table),
                        ident(&p),
                        col(&p, to.column),
                        col(&t, target.primary_key()),
                        ident(target.table()),
                        ident(&t),
                    )
                }
                Edge::Direct { to } => {
                    let inner = cond(sql, &t, *target, inner, with_deleted);
                    format!(
                        "{} IN (SELECT {} FROM {} AS {} WHERE {inner})",
                        col(alias, to.column),
                        col(&t, target.primary_key()),
                        ident(target.table()),
                        ident(&t),
                    )
                }
            }
        }
        Cond::Ids { ids, .. } if ids.is_empty() => "1 = 0".to_owned(),
        Cond::Ids { column, ids } => {
            let keys: Vec<&str> = ids.iter().map(String::as_str).collect();
            let p = sql.bind(Bind::Text(json_list(&keys)));
            sql.dialect.in_json(&col(alias, column), &p)
        }
        Cond::And(conds) | Cond::Or(conds) => {
            let (joiner, empty) = match cond_ {
                Cond::And(_) => (" AND ", "1 = 1"),
                _ => (" OR ", "1 = 0"),
            };
            if conds.is_empty() {
                return empty.to_owned();
            }
            let parts: Vec<String> = conds
                .iter()
                .map(|c| cond(sql, alias, source, c, with_deleted))
                .collect();
            if parts.len() <= FLAT_TERMS {
                format!("({})", parts.join(joiner))
            } else {
                balanced(&parts, joiner)
            }
        }
    }
}

/// Up to how many terms an `AND` or `OR` is written flat: `(a OR b OR c)`.
const FLAT_TERMS: usize = 64;

/// `parts` joined by `joiner` as a balanced tree, `((a OR b) OR (c OR d))`: SQLite parses
/// a flat chain into a tree as deep as it is long, and refuses one deeper than 1,000.
fn balanced(parts: &[String], joiner: &str) -> String {
    match parts {
        [one] => one.clone(),
        _ => {
            let (left, right) = parts.split_at(parts.len() / 2);
            format!(
                "({}{joiner}{})",
                balanced(left, joiner),
                balanced(right, joiner)
            )
        }
    }
}

/// An `ORDER BY` term. A linked field is read by a subquery that yields the live partner's
/// value (a side ordered by has at most one live partner), so the order is well defined.
/// NULLs sort as PostgreSQL sorts them by default, on both backends.
fn order_expr(
    sql: &mut Sql,
    alias: &str,
    source: Source,
    key: &OrderKey,
    with_deleted: bool,
) -> String {
    let expr = match key.via {
        None => col(alias, key.column),
        Some((edge, target)) => {
            let t = sql.alias();
            let target_live = live(target, &t, with_deleted);
            match edge {
                Edge::Pivot { link, from, to } => {
                    let p = sql.alias();
                    let live = live(Source::Link(link), &p, with_deleted);
                    format!(
                        "(SELECT {} FROM {} AS {} JOIN {} AS {} ON {} = {} WHERE {} = {}{live}{target_live} \
                         ORDER BY {} IS NOT NULL, {} LIMIT 1)",
                        col(&t, key.column),
                        ident(link.table),
                        ident(&p),
                        ident(target.table()),
                        ident(&t),
                        col(&t, target.primary_key()),
                        col(&p, to.column),
                        col(&p, from),
                        col(alias, source.primary_key()),
                        col(&p, "deleted_at"),
                        col(&p, "id"),
                    )
                }
                Edge::Direct { to } => format!(
                    "(SELECT {} FROM {} AS {} WHERE {} = {}{target_live})",
                    col(&t, key.column),
                    ident(target.table()),
                    ident(&t),
                    col(&t, target.primary_key()),
                    col(alias, to.column),
                ),
            }
        }
    };
    match key.order {
        Order::Asc => format!("{expr} ASC NULLS LAST"),
        Order::Desc => format!("{expr} DESC NULLS FIRST"),
    }
}

#[cfg(test)]
mod tests {
    use super::like_to_glob;

    #[test]
    fn like_patterns_become_the_globs_that_match_the_same() {
        assert_eq!(like_to_glob("Trail%"), "Trail*");
        assert_eq!(like_to_glob("_ead"), "?ead");
        assert_eq!(like_to_glob("100\\%"), "100%");
        assert_eq!(like_to_glob("a*b?c[d]"), "a[*]b[?]c[[]d]");
        assert_eq!(like_to_glob("x\\_y"), "x_y");
    }
}
