//! Creating and dismissing links.
//!
//! Semantics follow Medusa's link service, with the differences its measurements asked for:
//!
//! - `create` is an upsert on the pair: creating a live pair again changes nothing, and
//!   creating a dismissed pair revives its row (same `id` and `created_at`, `deleted_at`
//!   cleared, `updated_at` bumped). The [`Created`] it returns says which happened.
//! - Cardinality is enforced by the database: without `is_list` on a side, a partial unique
//!   index (over live rows) lets a record of the other side have one live partner only. A
//!   violation writes nothing and is reported as [`Error::Cardinality`].
//! - `dismiss` is a soft delete: it sets `deleted_at` on the live row and touches no record.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::backend::{Dialect, LinkConnection};
use crate::definition::{ColumnValue, ExtraColumns, LinkDefinition, LinkSchema, Side};
use crate::error::{Error, Result};
use crate::id::Id;

/// What [`create`] or [`create_with`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Created {
    /// The pair had no row: a new one was inserted.
    Inserted,
    /// The pair had been dismissed: its row is live again, with its `id` and `created_at`.
    Revived,
    /// The pair was linked already: nothing changed (`create` only).
    Unchanged,
    /// The pair had a row, live or dismissed: it is live and holds the given extra column
    /// values (`create_with` only).
    Updated,
}

/// Links `left` to `right` with `L`, the extra columns at their defaults.
///
/// # Errors
///
/// [`Error::Cardinality`] if a record would get a second live partner on a side that is not
/// a list (nothing is written), and [`Error::Database`] if the database refuses the statement.
pub fn create<L, C>(conn: &mut C, left: &Id<L::Left>, right: &Id<L::Right>) -> Result<Created>
where
    L: LinkDefinition,
    C: LinkConnection,
{
    upsert(conn, L::SCHEMA, left.as_str(), right.as_str(), None)
}

/// Links `left` to `right` with `L` and the given extra column values. If the pair is
/// already linked, its extra columns take the new values.
///
/// # Errors
///
/// [`Error::Cardinality`] if a record would get a second live partner on a side that is not
/// a list (nothing is written), and [`Error::Database`] if the database refuses the statement.
pub fn create_with<L, C>(
    conn: &mut C,
    left: &Id<L::Left>,
    right: &Id<L::Right>,
    columns: &L::Columns,
) -> Result<Created>
where
    L: LinkDefinition,
    C: LinkConnection,
{
    upsert(
        conn,
        L::SCHEMA,
        left.as_str(),
        right.as_str(),
        Some(columns.values()),
    )
}

/// Dismisses the live link between `left` and `right`; returns whether there was one.
///
/// # Errors
///
/// [`Error::Database`] if the database refuses the statement.
pub fn dismiss<L, C>(conn: &mut C, left: &Id<L::Left>, right: &Id<L::Right>) -> Result<bool>
where
    L: LinkDefinition,
    C: LinkConnection,
{
    let schema = L::SCHEMA;
    let dialect = C::DIALECT;
    let sql = format!(
        r#"UPDATE "{table}" SET "deleted_at" = {now} WHERE "{left}" = {p1} AND "{right}" = {p2} AND "deleted_at" IS NULL"#,
        table = schema.table,
        now = dialect.now(),
        left = schema.left.column,
        right = schema.right.column,
        p1 = dialect.placeholder(1),
        p2 = dialect.placeholder(2),
    );
    let binds = [
        ColumnValue::Text(left.as_str()),
        ColumnValue::Text(right.as_str()),
    ];
    Ok(conn.execute_bound(&sql, &binds)? > 0)
}

fn upsert<C: LinkConnection>(
    conn: &mut C,
    schema: &'static LinkSchema,
    left: &str,
    right: &str,
    columns: Option<Vec<ColumnValue<'_>>>,
) -> Result<Created> {
    let dialect = C::DIALECT;
    let id = new_link_id();
    let mut names = vec!["id", schema.left.column, schema.right.column];
    let mut binds = vec![
        ColumnValue::Text(&id),
        ColumnValue::Text(left),
        ColumnValue::Text(right),
    ];
    // A plain create revives a dismissed row and leaves a live one alone; a create with
    // values also writes them over a live row.
    let mut updates = vec![
        r#""deleted_at" = NULL"#.to_owned(),
        format!(r#""updated_at" = {}"#, dialect.now()),
    ];
    let only_if_dismissed = columns.is_none();
    for (column, value) in schema.columns.iter().zip(columns.into_iter().flatten()) {
        names.push(column.name);
        binds.push(value);
        updates.push(format!(r#""{0}" = excluded."{0}""#, column.name));
    }
    let placeholders: Vec<String> = (1..=names.len()).map(|n| dialect.placeholder(n)).collect();
    let quoted: Vec<String> = names.iter().map(|name| format!(r#""{name}""#)).collect();
    let mut sql = format!(
        r#"INSERT INTO "{table}" ({names}) VALUES ({values}) ON CONFLICT ("{left}", "{right}") DO UPDATE SET {updates}"#,
        table = schema.table,
        names = quoted.join(", "),
        values = placeholders.join(", "),
        left = schema.left.column,
        right = schema.right.column,
        updates = updates.join(", "),
    );
    if only_if_dismissed {
        sql.push_str(&format!(
            r#" WHERE "{}"."deleted_at" IS NOT NULL"#,
            schema.table
        ));
    }
    // The row's id tells what happened: ours for a new row, the old one for an existing
    // row, none when the `WHERE` above left a live row alone.
    sql.push_str(r#" RETURNING "id" AS value"#);

    // A savepoint when the caller is inside a transaction: a refused insert then leaves the
    // caller's transaction usable (PostgreSQL aborts a transaction on any error), and the
    // partner lookup below can run.
    let outcome = conn.transaction(|conn| conn.load_text(&sql, &binds));
    match outcome {
        Ok(ids) => Ok(match ids.first() {
            None => Created::Unchanged,
            Some(returned) if *returned == id => Created::Inserted,
            Some(_) if only_if_dismissed => Created::Revived,
            Some(_) => Created::Updated,
        }),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Err(cardinality_error(conn, schema, left, right)?)
        }
        Err(error) => Err(error.into()),
    }
}

/// Works out which side of the pair already has its one partner, for the error.
fn cardinality_error<C: LinkConnection>(
    conn: &mut C,
    schema: &'static LinkSchema,
    left: &str,
    right: &str,
) -> Result<Error> {
    // Without `is_list` on the right side, a left record has one right partner at most.
    let checks = [
        (!schema.right.is_list, &schema.left, left, &schema.right),
        (!schema.left.is_list, &schema.right, right, &schema.left),
    ];
    for (single, side, record, other) in checks {
        if !single {
            continue;
        }
        if let Some(partner) = live_partner(conn, schema, side, record, other)? {
            let refused = if side == &schema.left { right } else { left };
            return Ok(Error::Cardinality {
                link: schema.table,
                model: side.model,
                record: record.to_owned(),
                partner_model: other.model,
                partner,
                refused: refused.to_owned(),
            });
        }
    }
    // No live partner found: the unique index that fired was not a cardinality index.
    Err(Error::Database(DieselError::DatabaseError(
        DatabaseErrorKind::UniqueViolation,
        Box::new(format!("unique violation on link table `{}`", schema.table)),
    )))
}

fn live_partner<C: LinkConnection>(
    conn: &mut C,
    schema: &LinkSchema,
    side: &Side,
    record: &str,
    other: &Side,
) -> Result<Option<String>> {
    let dialect: Dialect = C::DIALECT;
    let sql = format!(
        r#"SELECT "{other}" AS value FROM "{table}" WHERE "{side}" = {p1} AND "deleted_at" IS NULL LIMIT 1"#,
        other = other.column,
        table = schema.table,
        side = side.column,
        p1 = dialect.placeholder(1),
    );
    let partners = conn.load_text(&sql, &[ColumnValue::Text(record)])?;
    Ok(partners.into_iter().next())
}

/// A new pivot row id: `link_` and a ULID, as Medusa's.
fn new_link_id() -> String {
    format!("link_{}", ulid::Ulid::new())
}
