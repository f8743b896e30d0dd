//! The link steps themselves, for both drivers: each runs its write in one transaction on
//! the link's connection and says how to undo it, as data ([`LinkUndo`]) that either driver
//! runs later.

use std::collections::HashSet;
use std::fmt;

use crate::backend::{finish, Executor};
use crate::definition::{ExtraColumns, LinkDefinition};
use crate::error::Result;
use crate::id::Id;
use crate::service::{self, Created, Pair, PairWith};
use crate::trace::operation;

/// A link step that changed something: its name, as [`Compensation`](super::Compensation)
/// reports it, and how to undo it.
pub(crate) struct LinkStep<L: LinkDefinition> {
    pub(crate) name: String,
    pub(crate) undo: LinkUndo<L>,
}

/// How a link step is undone.
pub(crate) enum LinkUndo<L: LinkDefinition> {
    /// A create made these pairs live: dismiss them.
    Dismiss(Vec<Pair<L>>),
    /// A create with values: dismiss the pairs that were new, write back the values of
    /// those that were live, and dismiss again, with their old values, those that were
    /// dismissed.
    Rewrite {
        new: Vec<Pair<L>>,
        live: Vec<PairWith<L>>,
        dismissed: Vec<PairWith<L>>,
    },
    /// A dismiss: create the pairs again with the values they had.
    Recreate(Vec<PairWith<L>>),
    /// An update: write back the values the pairs had.
    Overwrite(Vec<PairWith<L>>),
}

impl<L: LinkDefinition> LinkUndo<L> {
    /// Undoes the step on the link's connection, in one transaction.
    pub(crate) async fn run<E: Executor>(self, conn: &mut E) -> Result<()> {
        operation!(
            "link_runtime.steps.undo",
            { link = L::SCHEMA.table, },
            |span| self.run_in(conn)
        )
    }

    async fn run_in<E: Executor>(self, conn: &mut E) -> Result<()> {
        match self {
            LinkUndo::Dismiss(pairs) => {
                service::dismiss_many_in::<L, _>(conn, &pairs).await?;
            }
            LinkUndo::Rewrite {
                new,
                live,
                dismissed,
            } => {
                conn.begin().await?;
                let outcome = async {
                    let to_dismiss: Vec<Pair<L>> = new
                        .into_iter()
                        .chain(dismissed.iter().map(|(l, r, _)| (l.clone(), r.clone())))
                        .collect();
                    service::dismiss_many_in::<L, _>(conn, &to_dismiss).await?;
                    service::create_many_with_in::<L, _>(conn, &live).await?;
                    let values: Vec<_> = dismissed
                        .iter()
                        .map(|(left, right, columns)| {
                            (left.as_str(), right.as_str(), columns.values())
                        })
                        .collect();
                    service::overwrite_values(conn, L::SCHEMA, &values).await
                }
                .await;
                finish(conn, outcome).await?;
            }
            LinkUndo::Recreate(rows) => {
                service::create_many_with_in::<L, _>(conn, &rows).await?;
            }
            LinkUndo::Overwrite(rows) => {
                let values: Vec<_> = rows
                    .iter()
                    .map(|(left, right, columns)| (left.as_str(), right.as_str(), columns.values()))
                    .collect();
                service::overwrite_values(conn, L::SCHEMA, &values).await?;
            }
        }
        Ok(())
    }
}

/// Links many pairs (see [`service::create_many`]); the step is undone by dismissing the
/// pairs that were not live already, and there is none when every pair was.
pub(crate) async fn create_many<L, E>(
    conn: &mut E,
    pairs: &[Pair<L>],
) -> Result<(Vec<Created>, Option<LinkStep<L>>)>
where
    L: LinkDefinition,
    E: Executor,
{
    let created = operation!(
        "link_runtime.steps.create_many",
        { link = L::SCHEMA.table, pairs = pairs.len(), },
        |span| service::create_many_in::<L, _>(conn, pairs)
    )?;
    let mut seen = HashSet::new();
    let undo: Vec<Pair<L>> = pairs
        .iter()
        .zip(&created)
        .filter(|(_, created)| matches!(created, Created::Inserted | Created::Revived))
        .map(|(pair, _)| pair.clone())
        .filter(|(left, right)| seen.insert((left.as_str().to_owned(), right.as_str().to_owned())))
        .collect();
    let step = (!undo.is_empty()).then(|| LinkStep {
        name: describe::<L>("create", undo.iter().map(|(l, r)| (l, r))),
        undo: LinkUndo::Dismiss(undo),
    });
    Ok((created, step))
}

/// Links many pairs with extra column values (see [`service::create_many_with`]), reading
/// first, in the same transaction, what each pair was.
pub(crate) async fn create_many_with<L, E>(
    conn: &mut E,
    rows: &[PairWith<L>],
) -> Result<(Vec<Created>, LinkStep<L>)>
where
    L: LinkDefinition,
    E: Executor,
{
    let pairs = rows.iter().map(|(left, right, _)| (left, right));
    let (mut before, created) = operation!(
        "link_runtime.steps.create_many_with",
        { link = L::SCHEMA.table, pairs = rows.len(), },
        |span| async {
            conn.begin().await?;
            let outcome = async {
                let before = service::rows_of_pairs::<L, _>(conn, pairs.clone(), true).await?;
                let created = service::create_many_with_in::<L, _>(conn, rows).await?;
                Ok::<_, crate::Error>((before, created))
            }
            .await;
            finish(conn, outcome).await
        }
    )?;
    let mut new = Vec::new();
    let mut live = Vec::new();
    let mut dismissed = Vec::new();
    let mut seen = HashSet::new();
    for (left, right) in pairs {
        if !seen.insert((left.as_str(), right.as_str())) {
            continue;
        }
        match before.remove(&(left.as_str().to_owned(), right.as_str().to_owned())) {
            None => new.push((left.clone(), right.clone())),
            Some((parts, true)) => live.push(parts),
            Some((parts, false)) => dismissed.push(parts),
        }
    }
    let step = LinkStep {
        name: describe::<L>("create", rows.iter().map(|(l, r, _)| (l, r))),
        undo: LinkUndo::Rewrite {
            new,
            live,
            dismissed,
        },
    };
    Ok((created, step))
}

/// Dismisses the live links of many pairs (see [`service::dismiss_many`]), reading first,
/// in the same transaction, the values of those that are live; the step is undone by
/// creating them again, and there is none when no pair was live.
pub(crate) async fn dismiss_many<L, E>(
    conn: &mut E,
    pairs: &[Pair<L>],
) -> Result<(usize, Option<LinkStep<L>>)>
where
    L: LinkDefinition,
    E: Executor,
{
    let (live, dismissed) = operation!(
        "link_runtime.steps.dismiss_many",
        { link = L::SCHEMA.table, pairs = pairs.len(), },
        |span| async {
            conn.begin().await?;
            let outcome = async {
                let live =
                    service::rows_of_pairs::<L, _>(conn, pairs.iter().map(|(l, r)| (l, r)), false).await?;
                let dismissed = service::dismiss_many_in::<L, _>(conn, pairs).await?;
                Ok::<_, crate::Error>((live, dismissed))
            }
            .await;
            finish(conn, outcome).await
        }
    )?;
    let undo: Vec<PairWith<L>> = live.into_values().map(|(parts, _)| parts).collect();
    let step = (!undo.is_empty()).then(|| LinkStep {
        name: describe::<L>("dismiss", undo.iter().map(|(l, r, _)| (l, r))),
        undo: LinkUndo::Recreate(undo),
    });
    Ok((dismissed, step))
}

/// Sets the extra column values of the live links of many pairs (see
/// [`service::update_many`]), reading first, in the same transaction, the values they had;
/// the step is undone by writing those back, and there is none for an empty batch.
pub(crate) async fn update_many<L, E>(
    conn: &mut E,
    rows: &[PairWith<L>],
) -> Result<(usize, Option<LinkStep<L>>)>
where
    L: LinkDefinition,
    E: Executor,
{
    let before = operation!(
        "link_runtime.steps.update_many",
        { link = L::SCHEMA.table, pairs = rows.len(), },
        |span| service::update_many_in::<L, _>(conn, rows)
    )?;
    let updated = before.len();
    let step = (!before.is_empty()).then(|| LinkStep {
        name: describe::<L>("update", before.iter().map(|(l, r, _)| (l, r))),
        undo: LinkUndo::Overwrite(before),
    });
    Ok((updated, step))
}

/// A step's name: `create product_product_brand_brand (p1, b1)`, or the number of pairs.
fn describe<'p, L: LinkDefinition>(
    action: &str,
    pairs: impl ExactSizeIterator<Item = (&'p Id<L::Left>, &'p Id<L::Right>)>,
) -> String {
    let table = L::SCHEMA.table;
    let count = pairs.len();
    let mut pairs = pairs;
    match (count, pairs.next()) {
        (1, Some((left, right))) => {
            format!("{action} {table} ({}, {})", left.as_str(), right.as_str())
        }
        _ => format!("{action} {count} pairs of {table}"),
    }
}

/// The steps a unit of work ran so far, each with its undo, the last one last: what both
/// drivers' `Steps` keep. `U` is how a driver runs an undo.
pub(crate) struct Journal<U> {
    undo: Vec<(String, U)>,
}

impl<U> Journal<U> {
    pub(crate) fn new() -> Self {
        Journal { undo: Vec::new() }
    }

    pub(crate) fn len(&self) -> usize {
        self.undo.len()
    }

    pub(crate) fn push(&mut self, step: String, undo: U) {
        self.undo.push((step, undo));
    }

    /// The steps to undo, the last one first.
    pub(crate) fn into_undo_order(self) -> impl Iterator<Item = (String, U)> {
        self.undo.into_iter().rev()
    }
}

impl<U> fmt::Debug for Journal<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.undo.iter().map(|(step, _)| step))
            .finish()
    }
}
