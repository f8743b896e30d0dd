//! Running a [`Plan`]: the root statement (and its `COUNT`), with each link that holds one
//! record at most `LEFT JOIN`ed into it; then per other link two statements, one on the
//! pivot and one on the linked table, each taking the ids of the level above as one bound
//! JSON array; then the rows are stitched in memory into [`Record`]s.
//!
//! A side that holds one record at most reads one link per record, whether joined or
//! read by a statement of its own: the one that counts (`service/cardinality.rs`), so a
//! record is never repeated and a page holds as many records as it counts. Its unique
//! index says there is only one live link, and where the catalog has the index the
//! statement asks no more; on a table without it, whose data may break it (adopted from
//! Medusa, before `check(prune = true)`), the statement also selects, per record, its live
//! partners when it has several ([`OverLinkCheck`]), and the query fails with
//! [`Error::OverLinked`] naming the first such record it reads: the whole query, whatever
//! else it read, and in the same statements. An order through such a side checks the
//! root's records alike. A link's row beside its record (`brand_link`) is read as its
//! record is: joined, or by one statement on the pivot per level.
//!
//! Each statement runs in the database of its table ([`Connections`]). A filter through a
//! link is a semi-join inside the root statement when the pivot and the linked table are in
//! the root's database; when they are not, `localize.rs` resolves it first, one statement
//! per database, into a bound list of ids. The SQL itself is written in `sql.rs`.

use std::collections::{HashMap, HashSet};

use std::sync::Arc;

use serde_json::Value;

use crate::backend::{
    distinct, key, shape_value, Connections, Executor, JsonRow, LoadRow, Place, RowCells,
};
use crate::definition::{LinkSchema, Side};
use crate::dialect::{json_list, Dialect};
use crate::error::{CostLimit, Error, Result};
use crate::graph::apart::{count_apart, counted_apart, local, reachable};
use crate::graph::cursor::seal;
use crate::graph::localize::{count_every, localize, localized};
use crate::graph::plan::{Bind, Cond, Edge, Hop, Node, Op, OrderKey, Page, Plan, Source};
use crate::graph::record::{key_order, Linked, Record};
use crate::graph::result::Metadata;
use crate::graph::sql::{
    after, col, cond, count_bind, link_counts, live, order_expr, order_value, select_joined,
    Counting, OverLinkCheck, Parts, Selected, Sql,
};
use crate::graph::window;
use crate::migrate::sql::ident;

/// Where the records of a query's root go, each once it is whole: kept (`Vec<Record>`, for
/// values and typed rows), or written as JSON and dropped
/// ([`JsonSink`](super::json::JsonSink)).
///
/// Public in a private module: the sealed `GraphRequest` bounds its sink by it.
#[allow(private_interfaces)]
pub trait Sink: Send {
    /// What each row of a [`Stream`]ed plan's statement is read as.
    type Row: LoadRow + RowCells;

    /// Takes the next record of the result, of `node`.
    fn push(&mut self, node: &Node, record: Record) -> Result<()>;

    /// Takes the next record of a streamed plan, whole in `row` (laid out as `stream`
    /// says), and counts the records it holds into `budget`.
    fn push_row(
        &mut self,
        stream: &mut Stream<'_>,
        row: Self::Row,
        budget: &mut Budget,
    ) -> Result<()>;

    /// How many records it took.
    fn len(&self) -> usize;
}

#[allow(private_interfaces)]
impl Sink for Vec<Record> {
    type Row = JsonRow;

    fn push(&mut self, _: &Node, record: Record) -> Result<()> {
        Vec::push(self, record);
        Ok(())
    }

    fn push_row(
        &mut self,
        stream: &mut Stream<'_>,
        row: JsonRow,
        budget: &mut Budget,
    ) -> Result<()> {
        let record = row_record(
            stream.dialect,
            stream.node,
            &mut stream.joins,
            row.0,
            0,
            1,
            budget,
        )?;
        Vec::push(self, record);
        Ok(())
    }

    fn len(&self) -> usize {
        Vec::len(self)
    }
}

/// A plan whose every record is whole in one row of its root statement (see [`streams`]):
/// where in a row each part of the record is, and in what order its JSON keys go.
pub(crate) struct Stream<'n> {
    pub dialect: Dialect,
    pub node: &'n Node,
    /// The node's hops, each joined, in order.
    pub joins: Vec<Join<'n>>,
    /// The order of the node's keys in a JSON object ([`key_order`]).
    pub order: Vec<usize>,
    /// The same for each join's record.
    pub join_orders: Vec<Vec<usize>>,
    /// Where the node's counts start in a row: after its joined records' columns.
    pub counts_start: usize,
}

impl<'n> Stream<'n> {
    fn new(dialect: Dialect, node: &'n Node, joins: Vec<Join<'n>>) -> Self {
        let counts_start = joins.last().map_or(node.select.len(), |join| {
            join.start + join.hop.node.select.len()
        });
        Stream {
            dialect,
            node,
            order: key_order(node),
            join_orders: joins.iter().map(|join| key_order(&join.hop.node)).collect(),
            joins,
            counts_start,
        }
    }
}

/// Runs `plan`, handing its root records to `sink` in order; returns the page they are.
///
/// A plan whose every link is joined into the root statement, with no links of their own
/// (`product { id, title, brand.* }`), has a whole record in each row of that statement:
/// its rows are read one at a time and each record goes to the sink as soon as it is read,
/// so that neither the rows nor the records are ever held whole. Any other plan reads the
/// root's rows, then the statements of its links, and hands over the records stitched.
pub(crate) async fn run<X: Connections, S: Sink>(
    conns: &mut X,
    plan: &Plan,
    sink: &mut S,
) -> Result<Metadata> {
    let dialect = <X::Conn as Executor>::DIALECT;
    let root = &plan.root;
    let home = root.source.place();
    pages_in_reach(conns, root)?;
    let mut apart = counted_apart(conns, root);
    let filter_cond = localize(conns, root.source, &plan.filter, plan.with_deleted).await?;
    if let Some(ids) = &plan.keys {
        require_keys(conns, plan, &filter_cond, ids).await?;
    }
    let mut sql = Sql::new(dialect);
    bind_counts_apart(conns, &mut sql, root.source, &plan.order, plan.with_deleted).await?;
    // A count selected too is read from there rather than counted again.
    for (apart, count) in apart.iter_mut().zip(&root.counts) {
        *apart &= sql.bound_count("t0", count.name).is_none();
    }
    for key in &plan.order {
        if let (None, Some((edge, target))) = (&key.count, key.via) {
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
    }
    let alias = "t0";
    // The order's keys and the primary key that breaks their ties: what a cursor holds.
    let keyset: Vec<OrderKey> = plan
        .order
        .iter()
        .cloned()
        .chain([OrderKey::primary_key(root.source)])
        .collect();
    // A full page may have rows after it: one row more is read to tell, and the page's
    // last row's keys are selected, for the cursor of the next page.
    let cursor_after = plan.take.filter(|take| *take > 0);
    let key_columns: Vec<String> = match cursor_after {
        Some(_) => keyset
            .iter()
            .map(|key| order_value(&mut sql, alias, root.source, key, plan.with_deleted))
            .collect(),
        None => Vec::new(),
    };
    let joined = joined_hops(conns, root, plan.with_deleted);
    // An order through a side that holds one partner reads that partner, as a field does.
    let ordered_through = plan.order.iter().filter_map(|key| {
        let (edge, _) = key.via?;
        OverLinkCheck::of(edge, col(alias, root.source.primary_key()))
    });
    let Selected {
        select,
        from,
        checks,
    } = select_joined(
        &mut sql,
        root,
        Parts {
            joined: &joined,
            apart: &apart,
        },
        plan.with_deleted,
        &key_columns,
        ordered_through.collect(),
        counting(plan, &filter_cond),
    );
    let mut filter = cond(
        &mut sql,
        alias,
        root.source,
        &filter_cond,
        plan.with_deleted,
    );
    if let Some(values) = &plan.keyset.after {
        let after = after(
            &mut sql,
            alias,
            root.source,
            &keyset,
            values,
            plan.with_deleted,
        )?;
        filter = format!("{filter} AND {after}");
    }
    let mut order = Vec::with_capacity(plan.order.len() + 1);
    for key in &plan.order {
        order.push(order_expr(
            &mut sql,
            alias,
            root.source,
            key,
            &root.counts,
            plan.with_deleted,
        ));
    }
    order.push(format!("{} ASC", col(alias, root.source.primary_key())));
    sql.text = format!(
        "{}SELECT {select} FROM {from} WHERE {filter} ORDER BY {}",
        sql.with(),
        order.join(", ")
    );
    // The row after a full page, if any, is read to tell whether one follows.
    let limit = match cursor_after {
        Some(take) => Some(take.saturating_add(1)),
        None => plan.take,
    };
    match (dialect, limit) {
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
    let mut budget = Budget {
        records: 0,
        max: plan.max_records,
    };
    // The keys of the page's last row, once a row is known to follow it.
    let mut last_keys: Option<Vec<Value>> = None;
    let mut page_full = false;
    let read = if streams(root, &joined, &apart) {
        let mut stream = Stream::new(dialect, root, joins(root, &joined));
        let mut failed = None;
        let mut read = 0u64;
        let mut each = |row: S::Row| {
            if Some(read) == cursor_after {
                // A row follows the page: the page's last row ends it.
                page_full = true;
                return false;
            }
            read += 1;
            // The keys' columns, then the checks', end the row, after every column the
            // record is read from.
            if Some(read) == cursor_after {
                let end = row.columns() - checks.len();
                last_keys = Some(
                    (end - key_columns.len()..end)
                        .map(|i| row.value(i))
                        .collect(),
                );
            }
            let outcome = budget
                .add(1)
                .and_then(|()| OverLinkCheck::verify(&checks, &row))
                .and_then(|()| sink.push_row(&mut stream, row, &mut budget));
            outcome.map_err(|error| failed = Some(error)).is_ok()
        };
        sql.run_each(conns.conn(home).await?, &mut each).await?;
        if let Some(error) = failed {
            return Err(error);
        }
        usize::try_from(read).unwrap_or(usize::MAX)
    } else {
        let mut rows = sql.run(conns.conn(home).await?).await?;
        if let Some(take) = cursor_after {
            let take = usize::try_from(take).unwrap_or(usize::MAX);
            page_full = rows.len() > take;
            rows.truncate(take);
        }
        for row in &mut rows {
            OverLinkCheck::strip(&checks, row)?;
            let keys = row.split_off(row.len() - key_columns.len());
            if page_full {
                last_keys = Some(keys);
            }
        }
        let read = rows.len();
        budget.add(read as u64)?;
        let weights = vec![1; read];
        let records = stitch(
            conns,
            root,
            rows,
            &weights,
            Parts {
                joined: &joined,
                apart: &apart,
            },
            plan.with_deleted,
            &mut budget,
        )
        .await?;
        for record in records {
            sink.push(root, record)?;
        }
        read
    };

    // Without a page, the rows are the count; with one, the database counts (every row
    // the filters match, those before a cursor included).
    let count = if plan.take.is_none() && plan.skip == 0 && plan.keyset.after.is_none() {
        read as u64
    } else {
        let mut sql = Sql::new(dialect);
        // A count of a whole table has no `WHERE`: SQLite then counts from its b-tree's
        // pages rather than row by row.
        let filter = match filter_cond.always_holds() {
            true => String::new(),
            false => format!(
                " WHERE {}",
                cond(
                    &mut sql,
                    alias,
                    root.source,
                    &filter_cond,
                    plan.with_deleted,
                )
            ),
        };
        sql.text = format!(
            "SELECT COUNT(*) FROM {} AS {}{filter}",
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

    let next_cursor = match last_keys {
        Some(values) if page_full => Some(seal(
            &plan.keyset.fingerprint,
            &values,
            root.source.name(),
            &keyset[0].path,
        )?),
        _ => None,
    };
    Ok(Metadata {
        count,
        skip: plan.skip,
        take: plan.take,
        next_cursor,
    })
}

/// How the root statement counts linked records: grouped once for the whole table when it
/// reads every record of it (no filter but the soft-delete one, and no page, or a page
/// that an order by a count needs every count for); one subquery per row otherwise.
fn counting(plan: &Plan, filter: &Cond) -> Counting {
    let every_record = match filter {
        Cond::True => true,
        Cond::Column { op: Op::IsNull, .. } => true,
        Cond::And(conds) => conds
            .iter()
            .all(|cond| matches!(cond, Cond::True | Cond::Column { op: Op::IsNull, .. })),
        _ => false,
    };
    let all_counted = plan.take.is_none() || plan.order.iter().any(|key| key.count.is_some());
    match every_record && all_counted && !plan.root.counts.is_empty() {
        true => Counting::Grouped,
        false => Counting::PerRow,
    }
}

/// An order by a count of linked records that a statement on `source` cannot read (its
/// link's tables, or those its filter follows, being in other databases): every record's
/// count, counted where the links are and bound into `sql` whole ([`Sql::bind_counts`]),
/// for each such key of `order`.
async fn bind_counts_apart<X: Connections>(
    conns: &mut X,
    sql: &mut Sql,
    source: Source,
    order: &[OrderKey],
    with_deleted: bool,
) -> Result<()> {
    for count in order.iter().filter_map(|key| key.count.as_ref()) {
        if !(reachable(conns, source, count.edge, count.target)
            && local(conns, count.target, &count.filter))
        {
            let (counted, own) = count_every(conns, source, count, with_deleted).await?;
            sql.bind_counts(count.name, own, &counted);
        }
    }
    Ok(())
}

/// Refuses a page's order through a link into another database than the linked records'
/// (as the query's own order is refused); a count is bound whole instead.
fn pages_in_reach<X: Connections>(conns: &X, node: &Node) -> Result<()> {
    for hop in &node.hops {
        let order = hop.page.iter().flat_map(|page| &page.order);
        for key in order {
            let (None, Some((edge, target))) = (&key.count, key.via) else {
                continue;
            };
            if !reachable(conns, hop.node.source, edge, target) {
                return Err(Error::InvalidOrder {
                    entity: hop.node.source.name().to_owned(),
                    path: format!("nested.{}.{}", hop.path, key.path),
                    reason: format!(
                        "`{}` is in another database, and no statement reads two databases",
                        target.name()
                    ),
                });
            }
        }
        pages_in_reach(conns, &hop.node)?;
    }
    Ok(())
}

/// Fails with [`Error::NotFound`] unless each of `ids` is a record `filter` (the query's
/// filter, localized) matches: one statement on the root's table.
async fn require_keys<X: Connections>(
    conns: &mut X,
    plan: &Plan,
    filter: &crate::graph::plan::Cond,
    ids: &[String],
) -> Result<()> {
    let dialect = <X::Conn as Executor>::DIALECT;
    let root = plan.root.source;
    let mut sql = Sql::new(dialect);
    let condition = cond(&mut sql, "t0", root, filter, plan.with_deleted);
    let keys: Vec<&str> = ids.iter().map(String::as_str).collect();
    let list = sql.bind(Bind::Text(json_list(&keys)));
    let primary_key = col("t0", root.primary_key());
    sql.text = format!(
        "SELECT {primary_key} FROM {} AS {} WHERE {condition} AND {}",
        ident(root.table()),
        ident("t0"),
        dialect.in_json(&primary_key, &list),
    );
    let rows = sql.run(conns.conn(root.place()).await?).await?;
    let found: HashSet<String> = rows
        .iter()
        .filter_map(|row| row.first().and_then(key))
        .collect();
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| !found.contains(*id))
        .cloned()
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::NotFound {
        entity: root.name().to_owned(),
        ids: missing,
        field: None,
    })
}

/// Whether each row of `node`'s statement holds a whole record: every hop is `joined` into
/// it, none has links of its own to read by further statements, and no count is counted
/// `apart`.
fn streams(node: &Node, joined: &[bool], apart: &[bool]) -> bool {
    // A joined record has no counts (it would be read apart), so a row's counts are its
    // root's, after every joined column.
    joined.iter().all(|joined| *joined)
        && node.hops.iter().all(|hop| hop.node.hops.is_empty())
        && !apart.contains(&true)
}

/// Which hops of `node` its own statement reads, with `LEFT JOIN`s: those that lead to one
/// record at most, in the node's database. A link side that is not a list has one live
/// partner at most (a unique index over live rows says so, and the join reads only the
/// link that counts where the data says otherwise), and a pivot row has one record per
/// side; a list, or a single side with its dismissed links, may have several.
fn joined_hops<X: Connections>(conns: &X, node: &Node, with_deleted: bool) -> Vec<bool> {
    node.hops
        .iter()
        .map(|hop| {
            let single = match hop.edge {
                Edge::Pivot { .. } | Edge::Row { .. } => !hop.many && !with_deleted,
                Edge::Direct { .. } => true,
                Edge::Referring { .. } => false,
            };
            // A link whose record must be found is read apart, pivot rows first, so that
            // a live link to a missing record shows.
            // A record with counts reads them in a statement of its own, on its table.
            single
                && !hop.required
                && hop.node.counts.is_empty()
                && reachable(conns, node.source, hop.edge, hop.node.source)
        })
        .collect()
}

/// The records a result holds so far, each counted as often as it appears in the result,
/// against the most it may hold ([`CostLimit::Records`]).
pub(crate) struct Budget {
    records: u64,
    max: u64,
}

impl Budget {
    /// Counts `records` more; refuses the query once they are over the limit.
    pub(crate) fn add(&mut self, records: u64) -> Result<()> {
        self.records = self.records.saturating_add(records);
        if self.records > self.max {
            return Err(Error::TooCostly {
                limit: CostLimit::Records,
                value: self.records,
                max: self.max,
            });
        }
        Ok(())
    }
}

/// The records of `rows` of `node`, with their links loaded. Each row holds the node's
/// columns, then the columns of each hop `joined` into its statement; its counts `apart`
/// (nulls in the statement) are counted here. `weights` says how
/// many times each row's record appears in the result (a record linked from several
/// records appears under each of them): the records of each link are counted into
/// `budget` as they load, each its parents' weight, before the links below them load.
async fn stitch<X: Connections>(
    conns: &mut X,
    node: &Node,
    rows: Vec<Vec<Value>>,
    weights: &[u64],
    Parts { joined, apart }: Parts<'_>,
    with_deleted: bool,
    budget: &mut Budget,
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
    // The keys of the counts counted apart, per row.
    let count_keys: Vec<Vec<Option<String>>> = node
        .count_keys
        .iter()
        .zip(apart)
        .map(|(at, apart)| match apart {
            true => rows.iter().map(|row| key(&row[*at])).collect(),
            false => Vec::new(),
        })
        .collect();
    let dialect = <X::Conn as Executor>::DIALECT;
    let mut joins = joins(node, joined);
    let mut records: Vec<Record> = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        records.push(row_record(
            dialect, node, &mut joins, row, i, weights[i], budget,
        )?);
    }
    for join in joins {
        if join.rows.is_empty() {
            continue;
        }
        let no_joins = vec![false; join.hop.node.hops.len()];
        let apart = counted_apart(conns, &join.hop.node);
        let linked = Box::pin(stitch(
            conns,
            &join.hop.node,
            join.rows,
            &join.weights,
            Parts {
                joined: &no_joins,
                apart: &apart,
            },
            with_deleted,
            budget,
        ))
        .await?;
        for (i, linked) in join.found.into_iter().zip(linked) {
            records[i].links[join.index] = Linked::One(Some(Arc::new(linked)));
        }
    }
    for (i, row_keys) in count_keys.iter().enumerate().filter(|(i, _)| apart[*i]) {
        let keys = distinct(row_keys.iter().flatten().map(String::as_str));
        let counted = match keys.is_empty() {
            true => HashMap::new(),
            false => {
                let count = localized(conns, &node.counts[i], with_deleted).await?;
                count_apart(conns, node.source, &count, Some(&keys), with_deleted).await?
            }
        };
        for (record, row_key) in records.iter_mut().zip(row_keys) {
            let n = row_key
                .as_deref()
                .and_then(|k| counted.get(k))
                .copied()
                .unwrap_or(0);
            record.counts[i] = Value::from(n);
        }
    }

    // Link rows last: beside a paged list they follow its page, which each record's
    // (record, partner) pairs of the page say, with their places in it.
    let mut order: Vec<usize> = (0..node.hops.len()).collect();
    order.sort_by_key(|&i| matches!(node.hops[i].edge, Edge::Row { .. }));
    let mut pages: HashMap<&'static str, HashMap<(String, String), usize>> = HashMap::new();
    for index in order {
        let (hop, row_keys) = (&node.hops[index], &hop_keys[index]);
        if joined[index] {
            continue;
        }
        let keys = distinct(row_keys.iter().flatten().map(String::as_str));
        let target_joins = joined_hops(conns, &hop.node, with_deleted);
        let primary_key = primary_key_index(&hop.node);
        let (links, target_rows) = match (&hop.page, hop.edge) {
            (Some(_), _) if keys.is_empty() => (Vec::new(), Vec::new()),
            (Some(page), _) => {
                paged_links(conns, hop, page, &target_joins, &keys, with_deleted).await?
            }
            (None, edge) => match edge {
                // The linked records are found by the column that holds the keys: one
                // statement, which is also their links.
                Edge::Referring { column, .. } => {
                    let target_rows = if keys.is_empty() {
                        Vec::new()
                    } else {
                        linked_rows(
                            conns,
                            &hop.node,
                            &target_joins,
                            column,
                            &keys,
                            with_deleted,
                            None,
                        )
                        .await?
                    };
                    let holds = hop
                        .node
                        .select
                        .iter()
                        .position(|c| c.column == column)
                        .expect("the planner selects the column a referring record is found by");
                    let links: Vec<PivotRow> = target_rows
                        .iter()
                        .filter_map(|row| {
                            Some(PivotRow::pair(key(&row[holds])?, key(&row[primary_key])?))
                        })
                        .collect();
                    (links, target_rows)
                }
                // Link rows are found by their pivot column of the record's side; of a side
                // that holds one partner, the one that counts.
                Edge::Row { link, from, to } => {
                    let target_rows = if keys.is_empty() {
                        Vec::new()
                    } else {
                        let single = (!hop.many).then_some((link, from, to));
                        linked_rows(
                            conns,
                            &hop.node,
                            &target_joins,
                            from,
                            &keys,
                            with_deleted,
                            single,
                        )
                        .await?
                    };
                    let at = |column: &str| {
                        hop.node
                            .select
                            .iter()
                            .position(|c| c.column == column)
                            .expect("the planner selects what a link row is stitched by")
                    };
                    let (record, deleted, created, partner) =
                        (at(from), at("deleted_at"), at("created_at"), at(to.column));
                    let links: Vec<PivotRow> = target_rows
                        .iter()
                        .filter_map(|row| {
                            Some(PivotRow {
                                from: key(&row[record])?,
                                to: key(&row[primary_key])?,
                                deleted: !row[deleted].is_null(),
                                created_at: key(&row[created]).unwrap_or_default(),
                                partner: key(&row[partner]).unwrap_or_default(),
                            })
                        })
                        .collect();
                    (links, target_rows)
                }
                _ => {
                    let links = match hop.edge {
                        Edge::Pivot { link, from, to } if !keys.is_empty() => {
                            pivot_rows(conns, link, from, &to, &keys, with_deleted).await?
                        }
                        Edge::Pivot { .. } | Edge::Referring { .. } | Edge::Row { .. } => {
                            Vec::new()
                        }
                        Edge::Direct { .. } => keys
                            .iter()
                            .map(|k| PivotRow::direct((*k).to_owned()))
                            .collect(),
                    };
                    let targets = distinct(links.iter().map(|link| link.to.as_str()));
                    let target_rows = if targets.is_empty() {
                        Vec::new()
                    } else {
                        let pk = hop.node.source.primary_key();
                        linked_rows(
                            conns,
                            &hop.node,
                            &target_joins,
                            pk,
                            &targets,
                            with_deleted,
                            None,
                        )
                        .await?
                    };
                    (links, target_rows)
                }
            },
        };
        let target_keys: Vec<Option<String>> = target_rows
            .iter()
            .map(|row| key(&row[primary_key]))
            .collect();
        let found: HashSet<&str> = target_keys.iter().flatten().map(String::as_str).collect();
        if hop.required {
            require_found(hop, &links, |id| found.contains(id))?;
        }

        // Each record's links to records that exist, live ones first, then in the order
        // they were made, then by the linked id (a link row: by the id of the record
        // beside it, so that `products_link` lists its rows as `products` its records).
        // A page's links come in its order; the link rows beside a paged list are those
        // of its page, in its order.
        if hop.page.is_some() {
            pages.insert(hop.name, page_places(&links));
        }
        let page = match hop.edge {
            Edge::Row { to, .. } => pages.get(to.graph_field),
            _ => None,
        };
        let place = |link: &PivotRow| {
            page.and_then(|page| page.get(&(link.from.clone(), link.partner.clone())))
                .copied()
        };
        let mut partners: HashMap<&str, Vec<&PivotRow>> = HashMap::new();
        for link in &links {
            if found.contains(link.to.as_str()) && (page.is_none() || place(link).is_some()) {
                partners.entry(link.from.as_str()).or_default().push(link);
            }
        }
        for group in partners.values_mut().filter(|group| group.len() > 1) {
            match (&hop.page, page) {
                (Some(_), _) => {}
                (None, Some(_)) => group.sort_by_key(|link| place(link)),
                (None, None) => group.sort_by(|a, b| {
                    (a.deleted, &a.created_at, &a.partner).cmp(&(
                        b.deleted,
                        &b.created_at,
                        &b.partner,
                    ))
                }),
            }
        }

        // How many times each linked record appears: under each record it is linked
        // from, as often as that record appears.
        let mut from_weights: HashMap<&str, u64> = HashMap::new();
        for (row_key, weight) in row_keys.iter().zip(weights) {
            if let Some(row_key) = row_key {
                let total = from_weights.entry(row_key.as_str()).or_default();
                *total = total.saturating_add(*weight);
            }
        }
        let mut to_weights: HashMap<&str, u64> = HashMap::new();
        for (from, group) in &partners {
            let weight = from_weights.get(from).copied().unwrap_or(0);
            let shown = if hop.many { group.len() } else { 1 };
            for link in &group[..shown] {
                let total = to_weights.entry(link.to.as_str()).or_default();
                *total = total.saturating_add(weight);
            }
        }
        let target_weights: Vec<u64> = target_keys
            .iter()
            .map(|k| {
                k.as_deref()
                    .and_then(|k| to_weights.get(k))
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        budget.add(
            target_weights
                .iter()
                .fold(0, |sum, w| sum.saturating_add(*w)),
        )?;

        let apart = counted_apart(conns, &hop.node);
        let target_records = Box::pin(stitch(
            conns,
            &hop.node,
            target_rows,
            &target_weights,
            Parts {
                joined: &target_joins,
                apart: &apart,
            },
            with_deleted,
            budget,
        ))
        .await?;
        let by_key: HashMap<String, Arc<Record>> = target_keys
            .into_iter()
            .zip(target_records)
            .filter_map(|(k, record)| Some((k?, Arc::new(record))))
            .collect();
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

/// The links of each of the records `keys` through the paged list `hop`, those of its
/// page only, in the page's order, and the linked records' rows (with the hops `joined`
/// into them), each once: one statement where the pivot and the linked table share a
/// database ([`window::paged`]); else the links, then the linked records in the page's
/// order, paged in memory ([`window::ranked`]). A hop whose records must be found is read
/// the second way, which sees the links to missing records.
async fn paged_links<X: Connections>(
    conns: &mut X,
    hop: &Hop,
    page: &Page,
    joined: &[bool],
    keys: &[&str],
    with_deleted: bool,
) -> Result<(Vec<PivotRow>, Vec<Vec<Value>>)> {
    let dialect = <X::Conn as Executor>::DIALECT;
    let target = hop.node.source;
    let filter = localize(conns, target, &page.filter, with_deleted).await?;
    let primary_key = primary_key_index(&hop.node);
    let pivot = match hop.edge {
        Edge::Pivot { link, from, to }
            if hop.required || !conns.together(Place::Link(link.table), target.place()) =>
        {
            Some((link, from, to))
        }
        _ => None,
    };
    let mut sql = Sql::new(dialect);
    bind_counts_apart(conns, &mut sql, target, &page.order, with_deleted).await?;
    let Some((link, from, to)) = pivot else {
        let apart = counted_apart(conns, &hop.node);
        let checks = window::paged::<X::Conn>(
            &mut sql,
            hop,
            page,
            &filter,
            Parts {
                joined,
                apart: &apart,
            },
            keys,
            with_deleted,
        );
        let rows = sql.run(conns.conn(target.place()).await?).await?;
        let mut links = Vec::with_capacity(rows.len());
        let mut seen = HashSet::new();
        let mut target_rows = Vec::new();
        for mut row in rows {
            // The parent's id ends the row, after the checks' columns.
            let parent = row.pop().as_ref().and_then(key);
            OverLinkCheck::strip(&checks, &mut row)?;
            let (Some(parent), Some(to)) = (parent, key(&row[primary_key])) else {
                continue;
            };
            links.push(PivotRow::pair(parent, to.clone()));
            if seen.insert(to) {
                target_rows.push(row);
            }
        }
        return Ok((links, target_rows));
    };

    let links = pivot_rows(conns, link, from, &to, keys, with_deleted).await?;
    let targets = distinct(links.iter().map(|link| link.to.as_str()));
    if targets.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let apart = counted_apart(conns, &hop.node);
    let checks = window::ranked::<X::Conn>(
        &mut sql,
        &hop.node,
        page,
        &filter,
        Parts {
            joined,
            apart: &apart,
        },
        &targets,
        with_deleted,
    );
    let rows = sql.run(conns.conn(target.place()).await?).await?;
    // Each record found, and of those that meet the filter, where the page's order puts it.
    let mut found: HashSet<String> = HashSet::with_capacity(rows.len());
    let mut kept: HashMap<String, (usize, Vec<Value>)> = HashMap::new();
    for (rank, mut row) in rows.into_iter().enumerate() {
        let keep = row.pop().and_then(|flag| flag.as_i64()) == Some(1);
        OverLinkCheck::strip(&checks, &mut row)?;
        let Some(id) = key(&row[primary_key]) else {
            continue;
        };
        found.insert(id.clone());
        if keep {
            kept.insert(id, (rank, row));
        }
    }
    if hop.required {
        require_found(hop, &links, |id| found.contains(id))?;
    }
    // Each record's links to records of the page, in its order, then its page of them.
    let mut groups: HashMap<&str, Vec<&PivotRow>> = HashMap::new();
    for link in links.iter().filter(|link| kept.contains_key(&link.to)) {
        groups.entry(link.from.as_str()).or_default().push(link);
    }
    let skip = usize::try_from(page.skip).unwrap_or(usize::MAX);
    let take = page.take.map_or(usize::MAX, |take| {
        usize::try_from(take).unwrap_or(usize::MAX)
    });
    let mut paged_links = Vec::new();
    for group in groups.values_mut() {
        match page.order.is_empty() {
            true => group.sort_by(|a, b| {
                (a.deleted, &a.created_at, &a.partner).cmp(&(b.deleted, &b.created_at, &b.partner))
            }),
            false => group.sort_by_key(|link| kept[&link.to].0),
        }
        paged_links.extend(group.iter().skip(skip).take(take).map(|link| PivotRow {
            from: link.from.clone(),
            to: link.to.clone(),
            deleted: link.deleted,
            created_at: link.created_at.clone(),
            partner: link.partner.clone(),
        }));
    }
    let mut shown: Vec<&str> = paged_links.iter().map(|link| link.to.as_str()).collect();
    shown.sort_unstable();
    shown.dedup();
    let mut target_rows: Vec<(usize, Vec<Value>)> =
        shown.into_iter().filter_map(|id| kept.remove(id)).collect();
    target_rows.sort_unstable_by_key(|(rank, _)| *rank);
    Ok((
        paged_links,
        target_rows.into_iter().map(|(_, row)| row).collect(),
    ))
}

/// Where each (record, partner) pair of a page's `links` (each record's in the page's
/// order) is in its record's page.
fn page_places(links: &[PivotRow]) -> HashMap<(String, String), usize> {
    let mut next: HashMap<&str, usize> = HashMap::new();
    links
        .iter()
        .map(|link| {
            let place = next.entry(link.from.as_str()).or_default();
            *place += 1;
            ((link.from.clone(), link.partner.clone()), *place)
        })
        .collect()
}

/// Fails with [`Error::NotFound`], naming them, if some of the live `links` of the hop
/// (whose records must be found) lead to records not `found`.
fn require_found(hop: &Hop, links: &[PivotRow], found: impl Fn(&str) -> bool) -> Result<()> {
    let mut missing: Vec<&str> = links
        .iter()
        .filter(|link| !link.deleted && !found(&link.to))
        .map(|link| link.to.as_str())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    missing.sort_unstable();
    missing.dedup();
    Err(Error::NotFound {
        entity: hop.node.source.name().to_owned(),
        ids: missing.into_iter().map(str::to_owned).collect(),
        field: Some(hop.path.clone()),
    })
}

/// The hops of `node` `joined` into its statement, in order, with nothing found yet.
fn joins<'n>(node: &'n Node, joined: &[bool]) -> Vec<Join<'n>> {
    let mut start = node.select.len();
    node.hops
        .iter()
        .enumerate()
        .filter(|&(i, _)| joined[i])
        .map(|(index, hop)| {
            let join = Join {
                index,
                hop,
                start,
                primary_key: primary_key_index(&hop.node),
                found: Vec::new(),
                rows: Vec::new(),
                weights: Vec::new(),
            };
            start += hop.node.select.len();
            join
        })
        .collect()
}

/// The record in `row`, row number `i` of `node`'s statement, which appears `weight` times
/// in the result: the node's columns, then each hop of `joins`'. A joined record with no
/// links of its own is built in place; one with links keeps its columns in its [`Join`],
/// for the statements of the next level.
fn row_record(
    dialect: Dialect,
    node: &Node,
    joins: &mut [Join<'_>],
    row: Vec<Value>,
    i: usize,
    weight: u64,
    budget: &mut Budget,
) -> Result<Record> {
    let mut values = row.into_iter();
    let own = values.by_ref().take(node.select.len());
    let fields = output_fields(dialect, node, own, None).unwrap_or_default();
    let mut links: Vec<Linked> = node
        .hops
        .iter()
        .map(|hop| Linked::empty(hop.many))
        .collect();
    for join in joins {
        let columns = values.by_ref().take(join.hop.node.select.len());
        if join.hop.node.hops.is_empty() {
            let linked = output_fields(dialect, &join.hop.node, columns, Some(join.primary_key));
            if linked.is_some() {
                budget.add(weight)?;
            }
            links[join.index] = Linked::One(linked.map(|fields| {
                Arc::new(Record {
                    fields,
                    links: Vec::new(),
                    counts: Vec::new(),
                })
            }));
        } else {
            let columns: Vec<Value> = columns.collect();
            if !columns[join.primary_key].is_null() {
                budget.add(weight)?;
                join.found.push(i);
                join.rows.push(columns);
                join.weights.push(weight);
            }
        }
    }
    // Its counts end its columns.
    let counts = values.take(node.counts.len()).collect();
    Ok(Record {
        fields,
        links,
        counts,
    })
}

/// A hop read by its parent's statement, and the records it found there that have links
/// of their own: the rows they are in, and their columns.
pub(crate) struct Join<'n> {
    /// The hop's index in its node's hops.
    index: usize,
    pub hop: &'n Hop,
    /// Where its columns start in its parent's row.
    pub start: usize,
    /// Where its primary key is among its columns.
    pub primary_key: usize,
    found: Vec<usize>,
    rows: Vec<Vec<Value>>,
    /// How many times each of `rows` appears in the result.
    weights: Vec<u64>,
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
            Some(column) if found => fields.push(shape_value(dialect, column.kind, value)),
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
    /// The record of the link's other side: `to`, but for a link row, whose `to` is its
    /// own id.
    partner: String,
}

impl PivotRow {
    /// A pivot row's own side: the record is its own link.
    fn direct(id: String) -> Self {
        PivotRow {
            from: id.clone(),
            partner: id.clone(),
            to: id,
            deleted: false,
            created_at: String::new(),
        }
    }

    /// A record `to` linked from `from`, where the pair is all that matters: a read-only
    /// link's (a record whose column holds the id `from`), or a page's, which comes in its
    /// own order.
    fn pair(from: String, to: String) -> Self {
        PivotRow {
            from,
            partner: to.clone(),
            to,
            deleted: false,
            created_at: String::new(),
        }
    }
}

/// The live rows of `node` (with the hops `joined` into its statement) whose `column`
/// holds one of `keys`: one statement, the keys bound as one JSON array. `single`, for
/// the rows of a pivot (`node`'s table) on a side that holds one partner at most (the
/// link, its pivot column of the records, the partners' side): of each record, the link
/// that counts, and the query fails if a record has several live ones.
async fn linked_rows<X: Connections>(
    conns: &mut X,
    node: &Node,
    joined: &[bool],
    column: &'static str,
    keys: &[&str],
    with_deleted: bool,
    single: Option<(&'static LinkSchema, &'static str, Side)>,
) -> Result<Vec<Vec<Value>>> {
    let dialect = <X::Conn as Executor>::DIALECT;
    let mut sql = Sql::new(dialect);
    let own_check = single.and_then(|(link, from, to)| {
        OverLinkCheck::of(Edge::Row { link, from, to }, col("t0", from))
    });
    // The select list and the joins bind their values first: they come first in the
    // statement.
    let Selected {
        select,
        from,
        checks,
    } = select_joined(
        &mut sql,
        node,
        Parts {
            joined,
            apart: &counted_apart(conns, node),
        },
        with_deleted,
        &[],
        own_check.into_iter().collect(),
        Counting::PerRow,
    );
    let ids = sql.bind(Bind::Text(json_list(keys)));
    let live = live(node.source, "t0", with_deleted);
    let counts = match single {
        Some((link, from, to)) => format!(
            " AND {}",
            link_counts(&mut sql, link, "t0", from, to.column, with_deleted)
        ),
        None => String::new(),
    };
    sql.text = format!(
        "SELECT {select} FROM {from} WHERE {}{live}{counts}",
        dialect.in_json(&col("t0", column), &ids),
    );
    let mut rows = sql.run(conns.conn(node.source.place()).await?).await?;
    for row in &mut rows {
        OverLinkCheck::strip(&checks, row)?;
    }
    Ok(rows)
}

/// The pivot rows whose `from` column holds one of `keys`, their partners on the side
/// `to`. Of a list, every link, sorted later, in memory, and only where a record has
/// several; of a side that holds one record at most, the link that counts for each record
/// (live before dismissed, then the newest), and the query fails with
/// [`Error::OverLinked`] if a record has several live ones.
async fn pivot_rows<X: Connections>(
    conns: &mut X,
    link: &'static LinkSchema,
    from: &'static str,
    to: &Side,
    keys: &[&str],
    with_deleted: bool,
) -> Result<Vec<PivotRow>> {
    let dialect = <X::Conn as Executor>::DIALECT;
    let mut sql = Sql::new(dialect);
    // Of a side that holds one partner, the check that no record holds several live
    // links, selected (and so bound) first.
    let check = OverLinkCheck::of(
        Edge::Pivot {
            link,
            from,
            to: *to,
        },
        col("t0", from),
    );
    let checks: Vec<OverLinkCheck> = check.into_iter().collect();
    let flags = OverLinkCheck::columns(&checks, &mut sql);
    let ids = sql.bind(Bind::Text(json_list(keys)));
    let live = live(Source::Link(link), "t0", with_deleted);
    let counts = match to.is_list {
        true => String::new(),
        false => format!(
            " AND {}",
            link_counts(&mut sql, link, "t0", from, to.column, with_deleted)
        ),
    };
    sql.text = format!(
        "SELECT {}, {}, {}, {}{flags} FROM {} AS {} WHERE {}{live}{counts}",
        col("t0", from),
        col("t0", to.column),
        col("t0", "deleted_at"),
        col("t0", "created_at"),
        ident(link.table),
        ident("t0"),
        dialect.in_json(&col("t0", from), &ids),
    );
    let mut links = Vec::new();
    for mut row in sql.run(conns.conn(Place::Link(link.table)).await?).await? {
        OverLinkCheck::strip(&checks, &mut row)?;
        let mut row = row.into_iter();
        let (Some(from), Some(to), Some(deleted), Some(created_at)) =
            (row.next(), row.next(), row.next(), row.next())
        else {
            continue;
        };
        let (Some(from), Some(to)) = (key(&from), key(&to)) else {
            continue;
        };
        links.push(PivotRow {
            from,
            partner: to.clone(),
            to,
            deleted: !deleted.is_null(),
            created_at: key(&created_at).unwrap_or_default(),
        });
    }
    Ok(links)
}
