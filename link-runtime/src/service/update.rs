//! Updating the extra column values of live links: `update` and `update_many`, Medusa's
//! `updateRemoteLinksStep` without the step.
//!
//! An update changes links that exist: a pair with no live link is refused, with
//! [`Error::LinkNotFound`] naming it, and nothing is written. (`create_with` is the write
//! that links a pair whatever its state.) The transaction reads each pair's values before
//! it writes the new ones, so that a step can put them back.

use std::collections::BTreeMap;

use super::list::rows_of_pairs;
use super::rows::{lock_in_order, MAX_ROWS_PER_STATEMENT};
use crate::backend::retry::retrying;
use crate::backend::{finish, Executor};
use crate::definition::{ColumnValue, ExtraColumns, LinkDefinition, PairWith};
use crate::error::{Error, Result};
use crate::trace::operation;

/// [`update_many`](super::update_many) on any executor. Returns each pair's values before
/// the update, once per pair, in the order of the pairs' ids.
pub(crate) async fn update_many_in<L: LinkDefinition, E: Executor>(
    conn: &mut E,
    rows: &[PairWith<L>],
) -> Result<Vec<PairWith<L>>> {
    operation!(
        "link_runtime.update_many",
        { link = L::SCHEMA.table, pairs = rows.len(), },
        |span| async {
            // A pair given twice takes the values of its last occurrence, as in
            // `create_many_with`; the pairs go in sorted, the order every write locks in.
            let mut latest: BTreeMap<(&str, &str), &PairWith<L>> = BTreeMap::new();
            for row in rows {
                latest.insert((row.0.as_str(), row.1.as_str()), row);
            }
            if latest.is_empty() {
                return Ok(Vec::new());
            }
            retrying!(conn, {
                conn.begin().await?;
                let outcome = update_in_transaction::<L, E>(conn, &latest).await;
                finish(conn, outcome).await
            })
        }
    )
}

/// The update's transaction: lock the pairs' rows (in order, on PostgreSQL), read them,
/// refuse missing links, write the values.
async fn update_in_transaction<L: LinkDefinition, E: Executor>(
    conn: &mut E,
    latest: &BTreeMap<(&str, &str), &PairWith<L>>,
) -> Result<Vec<PairWith<L>>> {
    let schema = L::SCHEMA;
    let dialect = E::DIALECT;
    let per_statement = (dialect.max_binds() / 2).min(MAX_ROWS_PER_STATEMENT);
    let pairs: Vec<(&str, &str)> = latest.keys().copied().collect();
    for chunk in pairs.chunks(per_statement) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", dialect.placeholders(2 * i + 1, 2)))
            .collect();
        let condition = format!(
            r#"("{left}", "{right}") IN (VALUES {tuples}) AND "deleted_at" IS NULL"#,
            left = schema.left.column,
            right = schema.right.column,
            tuples = tuples.join(", "),
        );
        let binds: Vec<ColumnValue<'_>> = chunk
            .iter()
            .flat_map(|&(l, r)| [ColumnValue::Text(l), ColumnValue::Text(r)])
            .collect();
        lock_in_order(conn, schema, &condition, &binds).await?;
    }

    let mut before = rows_of_pairs::<L, _>(
        conn,
        latest.values().map(|(left, right, _)| (left, right)),
        false,
    )
    .await?;
    let missing: Vec<(String, String)> = pairs
        .iter()
        .filter(|(l, r)| !before.contains_key(&((*l).to_owned(), (*r).to_owned())))
        .map(|&(l, r)| (l.to_owned(), r.to_owned()))
        .collect();
    if !missing.is_empty() {
        return Err(Error::LinkNotFound {
            link: schema.table,
            model: schema.left.entity.model,
            partner_model: schema.right.entity.model,
            missing,
        });
    }

    let count = schema.columns.len();
    let sets: Vec<String> = schema
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| format!(r#""{}" = {}"#, column.name, dialect.placeholder(i + 1)))
        .chain([format!(r#""updated_at" = {}"#, dialect.now())])
        .collect();
    let sql = format!(
        r#"UPDATE "{table}" SET {sets} WHERE "{left}" = {l} AND "{right}" = {r} AND "deleted_at" IS NULL"#,
        table = schema.table,
        sets = sets.join(", "),
        left = schema.left.column,
        right = schema.right.column,
        l = dialect.placeholder(count + 1),
        r = dialect.placeholder(count + 2),
    );
    let mut previous = Vec::with_capacity(latest.len());
    for (&(left, right), (_, _, columns)) in latest {
        let mut binds = columns.values();
        binds.extend([ColumnValue::Text(left), ColumnValue::Text(right)]);
        conn.execute(&sql, &binds).await?;
        let (parts, _) = before
            .remove(&(left.to_owned(), right.to_owned()))
            .expect("every pair was found live above");
        previous.push(parts);
    }
    Ok(previous)
}
