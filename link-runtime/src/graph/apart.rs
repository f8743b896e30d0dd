//! Counts of linked records (`_count.products`) whose link's tables are in another database
//! than their record's: counted in the application, for the records of a level at once,
//! one statement per database involved, whatever the number of records.
//!
//! The record's statement selects a null in the count's place ([`counted_apart`] tells
//! which counts), and [`count_apart`] gives each record's number afterwards: the live links
//! of the records' keys, grouped where the pivot and the linked table share a database,
//! else the links read, then which of their records are live and meet the count's filter.
//! A filter by such a count counts every record of the table so
//! ([`localize`](super::localize::localize) compares them), and so does an order by one,
//! whose statement then looks each row's count up in them, bound whole
//! ([`Sql::bind_counts`]).
//!
//! Which tables one statement reaches ([`reachable`]) decides what is counted apart, and
//! what `localize.rs` resolves first.

use std::collections::{HashMap, HashSet};

use crate::backend::{distinct, key, Connections, Executor, Place};
use crate::dialect::json_list;
use crate::error::Result;
use crate::graph::plan::{Bind, Cond, Count, Edge, Node, Source};
use crate::graph::sql::{col, cond, grouped_links, live, Reach, Sql};
use crate::migrate::sql::ident;

/// Whether one statement on `source` can reach `target` through `edge`: the tables it
/// joins (the pivot, if any, and the target's) are in `source`'s database.
pub(super) fn reachable<X: Connections>(
    conns: &X,
    source: Source,
    edge: Edge,
    target: Source,
) -> bool {
    let home = source.place();
    match edge {
        Edge::Pivot { link, .. } => {
            let pivot = Place::Link(link.table);
            conns.together(home, pivot) && conns.together(pivot, target.place())
        }
        Edge::Direct { .. } | Edge::Referring { .. } | Edge::Row { .. } => {
            conns.together(home, target.place())
        }
    }
}

/// Which of `node`'s counts one statement on its table cannot read, their link's tables
/// (or those their filter follows) being in other databases.
pub(super) fn counted_apart<X: Connections>(conns: &X, node: &Node) -> Vec<bool> {
    node.counts
        .iter()
        .map(|count| {
            !(reachable(conns, node.source, count.edge, count.target)
                && local(conns, count.target, &count.filter))
        })
        .collect()
}

/// Whether one statement on `source` can read all of `cond`: every link it follows is in
/// `source`'s database.
pub(super) fn local<X: Connections>(conns: &X, source: Source, cond: &Cond) -> bool {
    match cond {
        Cond::Linked {
            edge,
            target,
            inner,
        } => reachable(conns, source, *edge, *target) && local(conns, *target, inner),
        Cond::Count { count, .. } => {
            reachable(conns, source, count.edge, count.target)
                && local(conns, count.target, &count.filter)
        }
        Cond::Not(inner) => local(conns, source, inner),
        Cond::And(conds) | Cond::Or(conds) => conds.iter().all(|c| local(conns, source, c)),
        Cond::True | Cond::Column { .. } | Cond::Ids { .. } => true,
    }
}

/// The count `count` of the records of `source` whose own column (the record's key, or for
/// a side held in a column, that column) holds each of `keys` (or any value, without
/// `keys`), by key; a key with none is absent. Of a side that holds one record, 0 or 1.
/// `count`'s filter is localized ([`localize`](super::localize::localize)).
pub(super) async fn count_apart<X: Connections>(
    conns: &mut X,
    source: Source,
    count: &Count,
    keys: Option<&[&str]>,
    with_deleted: bool,
) -> Result<HashMap<String, u64>> {
    let target = count.target;
    let dialect = <X::Conn as Executor>::DIALECT;
    let mut counted: HashMap<String, u64> = HashMap::new();
    match Reach::of(count.edge, source, target) {
        // Apart: the links, then which of their records count.
        Reach::Pivot { link, from, to }
            if !conns.together(Place::Link(link.table), target.place()) =>
        {
            let mut sql = Sql::new(dialect);
            let p = sql.alias();
            let within = match keys {
                Some(keys) => {
                    let ids = sql.bind(Bind::Text(json_list(keys)));
                    dialect.in_json(&col(&p, from), &ids)
                }
                None => "1 = 1".to_owned(),
            };
            sql.text = format!(
                "SELECT {}, {} FROM {} AS {} WHERE {within}{}",
                col(&p, from),
                col(&p, to),
                ident(link.table),
                ident(&p),
                live(Source::Link(link), &p, with_deleted),
            );
            let links: Vec<(String, String)> = sql
                .run(conns.conn(Place::Link(link.table)).await?)
                .await?
                .iter()
                .filter_map(|row| Some((key(&row[0])?, key(&row[1])?)))
                .collect();
            let linked = distinct(links.iter().map(|(_, to)| to.as_str()));
            let found = matching(
                conns,
                target,
                target.primary_key(),
                &linked,
                &count.filter,
                with_deleted,
            )
            .await?;
            for (record, to) in &links {
                if found.contains(to) {
                    *counted.entry(record.clone()).or_default() += 1;
                }
            }
        }
        // Together (or no pivot): the links grouped by record, where the linked records are.
        _ => {
            let mut sql = Sql::new(dialect);
            let ids = keys.map(|keys| sql.bind(Bind::Text(json_list(keys))));
            (sql.text, _) = grouped_links(&mut sql, source, count, ids.as_deref(), with_deleted);
            for row in sql.run(conns.conn(target.place()).await?).await? {
                if let (Some(record), Some(n)) = (key(&row[0]), row[1].as_u64()) {
                    counted.insert(record, n);
                }
            }
        }
    }
    if !count.edge.is_list() {
        counted.values_mut().for_each(|n| *n = (*n).min(1));
    }
    Ok(counted)
}

/// The values of `column` among the live rows of `source` whose `column` holds one of
/// `keys` and that meet `filter`.
async fn matching<X: Connections>(
    conns: &mut X,
    source: Source,
    column: &str,
    keys: &[&str],
    filter: &Cond,
    with_deleted: bool,
) -> Result<HashSet<String>> {
    if keys.is_empty() {
        return Ok(HashSet::new());
    }
    let dialect = <X::Conn as Executor>::DIALECT;
    let mut sql = Sql::new(dialect);
    let t = sql.alias();
    let ids = sql.bind(Bind::Text(json_list(keys)));
    let filter = condition(&mut sql, &t, source, filter, with_deleted);
    sql.text = format!(
        "SELECT {} FROM {} AS {} WHERE {}{}{filter}",
        col(&t, column),
        ident(source.table()),
        ident(&t),
        dialect.in_json(&col(&t, column), &ids),
        live(source, &t, with_deleted),
    );
    Ok(sql
        .run(conns.conn(source.place()).await?)
        .await?
        .iter()
        .filter_map(|row| key(row.first()?))
        .collect())
}

/// ` AND ` `filter` on the rows of `source` aliased `alias`; nothing when it always holds.
fn condition(
    sql: &mut Sql,
    alias: &str,
    source: Source,
    filter: &Cond,
    with_deleted: bool,
) -> String {
    match filter.always_holds() {
        true => String::new(),
        false => format!(" AND {}", cond(sql, alias, source, filter, with_deleted)),
    }
}
