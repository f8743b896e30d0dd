//! The statements of a page inside each record (`nested.products`, a [`Page`]): which of
//! each record's linked records a list holds, ranked in the database.
//!
//! Where the pivot and the linked table share a database, one statement per level ranks
//! every parent's linked records at once, `ROW_NUMBER() OVER (PARTITION BY` the parent
//! `ORDER BY` the page's order`)`, and keeps the ranks of the page ([`paged`]). Where they
//! do not, the links are read as for any list, and one statement on the linked table
//! reads their records in the page's order with whether each meets the page's filter
//! ([`ranked`]); the application then keeps each parent's page from that order, so that
//! the database's collation orders both ways alike. Either statement may order by counts
//! bound into it whole ([`Sql::bind_counts`]), which it begins by ([`Sql::with`]).

use crate::backend::Executor;
use crate::dialect::{json_list, Dialect};
use crate::graph::plan::{Bind, Cond, Edge, Hop, Node, OrderKey, Page, Source};
use crate::graph::sql::{
    col, cond, count_bind, live, order_expr, select_joined, Counting, OverLinkCheck, Parts,
    Selected, Sql,
};
use crate::migrate::sql::ident;

/// Writes into `sql` the statement that reads, for each of the records `keys`, the page of
/// its linked records through `hop` (a pivot in the linked table's database, or a
/// read-only link's list): the rows of `hop.node` (with the hops `joined` into it), each
/// followed by its over-link checks' columns and then the id of the parent whose page it
/// is in, in the order of each parent's page. `filter` is the page's filter, localized. Returns the
/// checks.
pub(super) fn paged<E: Executor>(
    sql: &mut Sql,
    hop: &Hop,
    page: &Page,
    filter: &Cond,
    parts: Parts<'_>,
    keys: &[&str],
    with_deleted: bool,
) -> Vec<OverLinkCheck> {
    let dialect = E::DIALECT;
    let node = &hop.node;
    let target = node.source;
    let Selected {
        select,
        from,
        checks,
    } = linked_records(sql, node, parts, with_deleted);
    let (w, r) = (sql.alias(), sql.alias());
    let ids = sql.bind(Bind::Text(json_list(keys)));
    let target_key = col(&w, target.primary_key());
    // The ranked rows: the parent, and the linked record.
    let (ranked, rows, parent, link_order) = match hop.edge {
        Edge::Pivot { link, from, to } => {
            let p = sql.alias();
            let parent = col(&p, from);
            let ranked = format!(
                "{parent} AS {}, {target_key} AS {}",
                ident("parent"),
                ident("linked"),
            );
            let rows = format!(
                "FROM {} AS {} JOIN {} AS {} ON {target_key} = {} WHERE {}{}",
                ident(link.table),
                ident(&p),
                ident(target.table()),
                ident(&w),
                col(&p, to.column),
                dialect.in_json(&parent, &ids),
                live(Source::Link(link), &p, with_deleted),
            );
            // The order of an unpaged list: live links first, then as they were made.
            let link_order = format!(
                "{} IS NOT NULL, {} ASC, ",
                col(&p, "deleted_at"),
                col(&p, "created_at")
            );
            (ranked, rows, parent, link_order)
        }
        Edge::Referring { column, .. } => {
            let parent = col(&w, column);
            let ranked = format!(
                "{parent} AS {}, {target_key} AS {}",
                ident("parent"),
                ident("linked"),
            );
            let rows = format!(
                "FROM {} AS {} WHERE {}",
                ident(target.table()),
                ident(&w),
                dialect.in_json(&parent, &ids),
            );
            (ranked, rows, parent, String::new())
        }
        Edge::Direct { .. } | Edge::Row { .. } => {
            unreachable!("the planner pages lists of linked records only")
        }
    };
    let filter = match filter.always_holds() {
        true => String::new(),
        false => format!(" AND {}", cond(sql, &w, target, filter, with_deleted)),
    };
    let order = match page.order.is_empty() {
        true => format!("{link_order}{}", bytewise(dialect, &target_key)),
        false => keyed_order(sql, &w, target, &page.order, with_deleted),
    };
    let mut bounds = format!("{} > {}", col(&r, "rank"), sql.bind(count_bind(page.skip)));
    if let Some(take) = page.take {
        let last = sql.bind(count_bind(page.skip.saturating_add(take)));
        bounds += &format!(" AND {} <= {last}", col(&r, "rank"));
    }
    sql.text = format!(
        "{}SELECT {select}, {} FROM {from} JOIN (SELECT {ranked}, \
         ROW_NUMBER() OVER (PARTITION BY {parent} ORDER BY {order}) AS {} {rows}{filter}) \
         AS {} ON {} = {} WHERE {bounds} ORDER BY {}",
        sql.with(),
        col(&r, "parent"),
        ident("rank"),
        ident(&r),
        col(&r, "linked"),
        col("t0", target.primary_key()),
        col(&r, "rank"),
    );
    checks
}

/// Writes into `sql` the statement that reads the records of `node` (with the hops
/// `joined` into it) whose primary key is one of `keys`, in the order of `page`, each
/// followed by its over-link checks' columns, then `1` if it meets `filter` (the page's,
/// localized) and `0` if not. Returns the checks.
pub(super) fn ranked<E: Executor>(
    sql: &mut Sql,
    node: &Node,
    page: &Page,
    filter: &Cond,
    parts: Parts<'_>,
    keys: &[&str],
    with_deleted: bool,
) -> Vec<OverLinkCheck> {
    let dialect = E::DIALECT;
    let target = node.source;
    let Selected {
        select,
        from,
        checks,
    } = linked_records(sql, node, parts, with_deleted);
    let keep = format!(
        "CASE WHEN {} THEN 1 ELSE 0 END",
        cond(sql, "t0", target, filter, with_deleted)
    );
    let ids = sql.bind(Bind::Text(json_list(keys)));
    let order = match page.order.is_empty() {
        // The links decide, in memory, as for an unpaged list.
        true => String::new(),
        false => format!(
            " ORDER BY {}",
            keyed_order(sql, "t0", target, &page.order, with_deleted)
        ),
    };
    sql.text = format!(
        "{}SELECT {select}, {keep} FROM {from} WHERE {}{order}",
        sql.with(),
        dialect.in_json(&col("t0", target.primary_key()), &ids),
    );
    checks
}

/// The select list and `FROM` clause of the linked records of `node`, as `t0`: their
/// columns, the hops joined into them, and their counts, one subquery per row.
fn linked_records(sql: &mut Sql, node: &Node, parts: Parts<'_>, with_deleted: bool) -> Selected {
    select_joined(
        sql,
        node,
        parts,
        with_deleted,
        &[],
        Vec::new(),
        Counting::PerRow,
    )
}

/// `order`'s keys on the rows of `source` aliased `alias`, then its primary key.
fn keyed_order(
    sql: &mut Sql,
    alias: &str,
    source: Source,
    order: &[OrderKey],
    with_deleted: bool,
) -> String {
    let mut terms: Vec<String> = order
        .iter()
        .map(|key| order_expr(sql, alias, source, key, &[], with_deleted))
        .collect();
    terms.push(format!("{} ASC", col(alias, source.primary_key())));
    terms.join(", ")
}

/// `expr ASC`, text compared byte by byte on both backends: the order in which an unpaged
/// list's records of links made at once come, which the application sorts.
fn bytewise(dialect: Dialect, expr: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("{expr} ASC"),
        Dialect::Postgres => format!("{expr} COLLATE \"C\" ASC"),
    }
}
