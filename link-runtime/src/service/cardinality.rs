//! Cardinality: a side without `is_list` gives each record of the other side one live
//! partner at most. A batch is checked before anything is written; after the database
//! refuses a write, the live partners are read to say which record and which partner.
//!
//! A table the sync adopted rather than created (one of Medusa's, whose cardinality was a
//! read before the write) may hold a record with several live partners on such a side.
//! Which of them counts is decided here, once, for every statement that reads one partner
//! per record: graph queries read only that link (so that they never repeat a record),
//! and `check(prune = true)` keeps only it; and a graph query that reads such a record's
//! side fails with [`Error::OverLinked`], which [`over_linked_column`] finds in the same
//! statement. Where the side's unique index exists, the database already holds one live
//! link per record, and a graph query's statement learns so from the catalog, once,
//! instead of looking for another link per row ([`counts`]).

use std::collections::HashMap;

use super::rows::{ids_per_statement, Partner};
use crate::backend::Executor;
use crate::definition::{ColumnValue, LinkSchema, Side};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::migrate::sql::ident;

/// Refuses a batch that gives one record two partners on a side that is not a list, before
/// anything is written.
pub(super) fn check_batch_cardinality(
    schema: &'static LinkSchema,
    pairs: &[(&str, &str)],
) -> Result<()> {
    for single in single_sides(schema) {
        let (side, other) = (single.side, single.other);
        let mut partner_of: HashMap<&str, &str> = HashMap::new();
        for &(left, right) in pairs {
            let (record, partner) = single.split(left, right);
            if let Some(first) = partner_of.insert(record, partner) {
                if first != partner {
                    return Err(Error::Cardinality {
                        link: schema.table,
                        model: side.model(),
                        record: record.to_owned(),
                        partner_model: other.model(),
                        partner: first.to_owned(),
                        refused: partner.to_owned(),
                    });
                }
            }
        }
    }
    Ok(())
}

/// A side whose records may have one live partner only, and the side of that partner.
pub(crate) struct SingleSide<'a> {
    on_left: bool,
    /// The side whose records hold one partner at most.
    pub(crate) side: &'a Side,
    /// The side of their partners.
    pub(crate) other: &'a Side,
}

impl SingleSide<'_> {
    /// A `(left, right)` pair as (this side's record, its partner).
    fn split<'p>(&self, left: &'p str, right: &'p str) -> (&'p str, &'p str) {
        if self.on_left {
            (left, right)
        } else {
            (right, left)
        }
    }
}

/// The sides of `schema` whose records may have one live partner only.
pub(crate) fn single_sides(schema: &LinkSchema) -> impl Iterator<Item = SingleSide<'_>> {
    // Without `is_list` on the right side, a left record has one right partner at most.
    [
        (!schema.right.is_list, true, &schema.left, &schema.right),
        (!schema.left.is_list, false, &schema.right, &schema.left),
    ]
    .into_iter()
    .filter(|&(single, ..)| single)
    .map(|(_, on_left, side, other)| SingleSide {
        on_left,
        side,
        other,
    })
}

/// After a unique violation: the pair of `pairs` that would give a record a second live
/// partner, as an error; `None` if no pair would (another unique index fired).
pub(crate) async fn cardinality_error<E: Executor>(
    conn: &mut E,
    schema: &'static LinkSchema,
    pairs: &[(&str, &str)],
) -> Result<Option<Error>> {
    for single in single_sides(schema) {
        let (side, other) = (single.side, single.other);
        let records: Vec<&str> = pairs.iter().map(|&(l, r)| single.split(l, r).0).collect();
        let partners = live_partners(conn, schema, side, other, &records).await?;
        for &(left, right) in pairs {
            let (record, wanted) = single.split(left, right);
            if let Some(partner) = partners.get(record).filter(|p| p.as_str() != wanted) {
                return Ok(Some(Error::Cardinality {
                    link: schema.table,
                    model: side.model(),
                    record: record.to_owned(),
                    partner_model: other.model(),
                    partner: partner.clone(),
                    refused: wanted.to_owned(),
                }));
            }
        }
    }
    Ok(None)
}

/// The live partner (on `other`) of each of `records` (on `side`) that has one.
pub(crate) async fn live_partners<E: Executor>(
    conn: &mut E,
    schema: &LinkSchema,
    side: &Side,
    other: &Side,
    records: &[&str],
) -> Result<HashMap<String, String>> {
    let dialect: Dialect = E::DIALECT;
    let mut partners = HashMap::new();
    for chunk in records.chunks(ids_per_statement(dialect)) {
        let sql = format!(
            r#"SELECT "{side}" AS record, "{other}" AS partner FROM "{table}" WHERE "{side}" IN ({list}) AND "deleted_at" IS NULL"#,
            side = side.column,
            other = other.column,
            table = schema.table,
            list = dialect.placeholders(1, chunk.len()),
        );
        let binds: Vec<ColumnValue<'_>> = chunk.iter().map(|id| ColumnValue::Text(id)).collect();
        for row in conn.load::<Partner>(&sql, &binds).await? {
            partners.insert(row.record, row.partner);
        }
    }
    Ok(partners)
}

/// The order in which the links of one record count, on a side that holds one partner at
/// most: live before dismissed, then the newest (`created_at`), then the greatest partner
/// id. A pivot's primary key is its two ids, so no two links of a record tie: the order is
/// total, and the same on every run.
///
/// As `ORDER BY` terms on the pivot row aliased `row`, whose partner column is `to`: the
/// link that counts first. [`outranked`] says the same as a condition.
pub(crate) fn precedence(row: &str, to: &str) -> String {
    format!(
        "{} IS NOT NULL, {} DESC, {} DESC",
        col(row, "deleted_at"),
        col(row, "created_at"),
        col(row, to),
    )
}

/// `EXISTS (..)`: another link of `table` of the same record as the pivot row aliased `row`
/// (the record in column `from`, its partner in `to`) comes before it in [`precedence`];
/// `row` is then not the link that counts for its record. Without `with_deleted` only live
/// links compete. `other` is the alias the subquery gives the table.
///
/// Where the side's unique index holds, the subquery finds `row` itself and nothing else.
pub(crate) fn outranked(
    table: &str,
    row: &str,
    other: &str,
    from: &str,
    to: &str,
    with_deleted: bool,
) -> String {
    let (o, r) = (
        |column: &str| col(other, column),
        |column: &str| col(row, column),
    );
    let newer = format!(
        "({created} > {row_created} OR ({created} = {row_created} AND {to} > {row_to}))",
        created = o("created_at"),
        row_created = r("created_at"),
        to = o(to),
        row_to = r(to),
    );
    let before = if with_deleted {
        let (deleted, row_deleted) = (o("deleted_at"), r("deleted_at"));
        format!(
            "(({deleted} IS NULL AND {row_deleted} IS NOT NULL) \
             OR (({deleted} IS NULL) = ({row_deleted} IS NULL) AND {newer}))"
        )
    } else {
        format!("{} IS NULL AND {newer}", o("deleted_at"))
    };
    format!(
        "EXISTS (SELECT 1 FROM {} AS {} WHERE {} = {} AND {before})",
        ident(table),
        ident(other),
        o(from),
        r(from),
    )
}

/// The condition that the pivot row aliased `row` is the link that counts for its record
/// (as [`outranked`], whose arguments it takes, says it is not). `index` is the placeholder
/// bound to the name of the side's unique index over live rows ([`live_unique_index`]), or
/// `None` with `with_deleted` (dismissed links compete then, which the index says nothing
/// of): where that index exists the database holds one live link per record, so the
/// condition asks the catalog once per statement and reads nothing per row; only a table
/// without it (adopted from Medusa, before its prune) pays the subquery.
#[allow(clippy::too_many_arguments)]
pub(crate) fn counts(
    dialect: Dialect,
    table: &str,
    row: &str,
    other: &str,
    from: &str,
    to: &str,
    with_deleted: bool,
    index: Option<&str>,
) -> String {
    let outranked = outranked(table, row, other, from, to, with_deleted);
    match index {
        Some(index) => format!("({} OR NOT {outranked})", dialect.index_exists(index)),
        None => format!("NOT {outranked}"),
    }
}

/// A column of a graph query's statement that finds a record of a side holding one partner
/// at most with several live links: for the record whose id the SQL expression `record`
/// gives (on the side in column `from` of `table`, its partners in `to`), `NULL` if it has
/// one live link or none, else `[record, [partner, ..]]` as JSON text ([`over_linked`]
/// reads it). `index` is the placeholder bound to the name of the side's unique index
/// ([`live_unique_index`]): where the index exists the database holds one live link per
/// record, and the column is `NULL` with no row read; only a table without it (adopted
/// from Medusa, before its prune) pays the subquery, by its index on the side's column.
pub(crate) fn over_linked_column(
    dialect: Dialect,
    table: &str,
    other: &str,
    from: &str,
    to: &str,
    record: &str,
    index: Option<&str>,
) -> String {
    let partners = format!(
        "(SELECT {} FROM {} AS {} WHERE {} = {record} AND {} IS NULL GROUP BY {} \
         HAVING COUNT(*) > 1)",
        dialect.json_group(&col(other, from), &col(other, to)),
        ident(table),
        ident(other),
        col(other, from),
        col(other, "deleted_at"),
        col(other, from),
    );
    match index {
        Some(index) => format!(
            "CASE WHEN {} THEN NULL ELSE {partners} END",
            dialect.index_exists(index)
        ),
        None => partners,
    }
}

/// What a column [`over_linked_column`] wrote says: [`Error::OverLinked`] naming the record
/// and its partners (sorted), if it holds one. `side` is the record's side, `other` its
/// partners'.
pub(crate) fn over_linked(
    link: &'static LinkSchema,
    side: &Side,
    other: &Side,
    value: &serde_json::Value,
) -> Result<()> {
    let serde_json::Value::String(text) = value else {
        return Ok(());
    };
    let (record, partners): (serde_json::Value, Vec<serde_json::Value>) =
        serde_json::from_str(text).map_err(|source| Error::Deserialize {
            entity: link.table,
            source,
        })?;
    let id = |value: serde_json::Value| match value {
        serde_json::Value::String(id) => id,
        other => other.to_string(),
    };
    let mut partners: Vec<String> = partners.into_iter().map(id).collect();
    partners.sort();
    Err(Error::OverLinked {
        link: link.table,
        model: side.model(),
        record: id(record),
        partner_model: other.model(),
        partners,
    })
}

/// The name of `link`'s unique index over the live rows of `column`: the index of a side
/// whose records hold one partner at most.
pub(crate) fn live_unique_index(link: &LinkSchema, column: &str) -> Option<&'static str> {
    link.indexes
        .iter()
        .find(|index| {
            index
                .unique_key()
                .is_some_and(|key| key.live && key.column == column)
        })
        .map(|index| index.name)
}

/// `"alias"."column"`
fn col(alias: &str, column: &str) -> String {
    format!("{}.{}", ident(alias), ident(column))
}
