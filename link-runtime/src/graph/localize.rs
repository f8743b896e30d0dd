//! Filters through links whose tables are in other databases: resolved into bound lists
//! of ids before the root statement runs, one statement per database involved.

use crate::backend::{key, Connections, Executor, Place};
use crate::error::{Error, Result};
use crate::graph::plan::{Cond, Edge, Source, COUNT_FIELD};
use crate::graph::sql::{col, cond, live, Sql};
use crate::migrate::sql::ident;

/// `cond_` on `source`, with every filter through a link whose tables are not in
/// `source`'s database resolved into the ids it matches ([`Cond::Ids`]): one statement per
/// database involved, whatever the number of rows.
pub(super) async fn localize<X: Connections>(
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
                // The ids the matching records (or link rows) hold, read where they are.
                Edge::Referring { column, .. } | Edge::Row { from: column, .. } => {
                    let ids = select_ids(conns, *target, column, &inner, with_deleted).await?;
                    Cond::Ids {
                        column: source.primary_key(),
                        ids,
                    }
                }
            }
        }
        Cond::Count { count, .. } if !reachable(conns, source, count.edge, count.target) => {
            return Err(Error::InvalidFilter {
                entity: source.name().to_owned(),
                field: format!("{COUNT_FIELD}.{}", count.name),
                reason: "the link's tables are in another database, and no statement reads \
                         two databases"
                    .into(),
            })
        }
        Cond::Not(inner) => Cond::Not(Box::new(
            Box::pin(localize(conns, source, inner, with_deleted)).await?,
        )),
        other => other.clone(),
    })
}

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
