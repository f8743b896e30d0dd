//! Filters through links whose tables are in other databases: resolved into bound lists
//! of ids before the root statement runs, one statement per database involved; a filter by
//! a count of linked records in another database, by every record's count compared in the
//! application.

use std::collections::HashMap;

use crate::backend::{key, Connections, Executor, Place};
use crate::error::{Error, Result};
use crate::graph::apart::{count_apart, reachable};
use crate::graph::plan::{Bind, Cond, Count, Edge, Op, Source, COUNT_FIELD};
use crate::graph::sql::Reach;
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
        // A count of linked records in another database: every record's count, read there
        // (one grouped statement, or two), compared in the application; the records that
        // meet it as a list of ids, or those that do not when a record without links does.
        Cond::Count { count, op } if !reachable(conns, source, count.edge, count.target) => {
            let refused = || Error::InvalidFilter {
                entity: source.name().to_owned(),
                field: format!("{COUNT_FIELD}.{}", count.name),
                reason: "the link's tables are in another database, and this comparison \
                         of a count is not made in the application"
                    .into(),
            };
            let zero = holds(op, 0).ok_or_else(refused)?;
            let (counted, own) = count_every(conns, source, count, with_deleted).await?;
            let ids: Vec<String> = counted
                .into_iter()
                .filter(|(_, n)| holds(op, i64::try_from(*n).unwrap_or(i64::MAX)) != Some(zero))
                .map(|(id, _)| id)
                .collect();
            let ids = Cond::Ids { column: own, ids };
            match zero {
                // Records without links meet it: all but those whose count does not.
                true => Cond::Not(Box::new(ids)),
                false => ids,
            }
        }
        // A count the statement reads: which linked records count may still follow a link
        // into another database.
        Cond::Count { count, op } => Cond::Count {
            count: Box::pin(localized(conns, count, with_deleted)).await?,
            op: op.clone(),
        },
        Cond::Not(inner) => Cond::Not(Box::new(
            Box::pin(localize(conns, source, inner, with_deleted)).await?,
        )),
        other => other.clone(),
    })
}

/// `count` with its filter (which linked records count) localized.
pub(super) async fn localized<X: Connections>(
    conns: &mut X,
    count: &Count,
    with_deleted: bool,
) -> Result<Count> {
    Ok(Count {
        filter: Box::new(
            Box::pin(localize(conns, count.target, &count.filter, with_deleted)).await?,
        ),
        ..count.clone()
    })
}

/// Every record of `source`'s count `count`, counted apart ([`count_apart`]) with its
/// filter localized, by the value of the record's column it is counted by (its key, or
/// for a side held in a column, that column), which it returns too; a record absent from
/// the map counts 0.
pub(super) async fn count_every<X: Connections>(
    conns: &mut X,
    source: Source,
    count: &Count,
    with_deleted: bool,
) -> Result<(HashMap<String, u64>, &'static str)> {
    let count = localized(conns, count, with_deleted).await?;
    let counted = count_apart(conns, source, &count, None, with_deleted).await?;
    let own = match Reach::of(count.edge, source, count.target) {
        Reach::Pivot { .. } => source.primary_key(),
        Reach::Columns { own, .. } => own,
    };
    Ok((counted, own))
}

/// Whether a count `n` meets `op`, as the database would compare it; `None` for an
/// operation no count is compared by.
fn holds(op: &Op, n: i64) -> Option<bool> {
    let int = |bind: &Bind| match bind {
        Bind::Int(value) => Some(*value),
        _ => None,
    };
    Some(match op {
        Op::Compare(operator, value) => {
            let value = int(value)?;
            match *operator {
                "=" => n == value,
                "<>" => n != value,
                "<" => n < value,
                "<=" => n <= value,
                ">" => n > value,
                ">=" => n >= value,
                _ => return None,
            }
        }
        Op::In(values) => values
            .iter()
            .map(int)
            .collect::<Option<Vec<_>>>()?
            .contains(&n),
        Op::NotIn(values) => !values
            .iter()
            .map(int)
            .collect::<Option<Vec<_>>>()?
            .contains(&n),
        Op::IsNull => false,
        Op::IsNotNull => true,
        Op::InJson { .. } | Op::Like(_) | Op::ILike(_) => return None,
    })
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
