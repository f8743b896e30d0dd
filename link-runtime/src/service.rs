//! The link service: creating, dismissing, listing, deleting and restoring links.
//!
//! Semantics follow Medusa's link service, with the differences its measurements asked for:
//!
//! - `create` is an upsert on the pair: creating a live pair again changes nothing (also on
//!   a one-to-one link, where Medusa refuses it), and creating a dismissed pair revives its
//!   row (same `id` and `created_at`, `deleted_at` cleared, `updated_at` bumped; Medusa
//!   replaces the `id` and leaves `updated_at`). The [`Created`] it returns says which
//!   happened.
//! - Cardinality is enforced by the database: without `is_list` on a side, a partial unique
//!   index (over live rows) lets a record of the other side have one live partner only. A
//!   violation writes nothing and is reported as [`Error::Cardinality`], naming the record
//!   and its current partner. Medusa checks with a read before the write, which two
//!   concurrent writers both pass. Here, of clients racing to link the same pair one
//!   inserts it and the others get [`Created::Unchanged`]; of clients racing to give a
//!   record different partners one wins and the others get [`Error::Cardinality`].
//! - Many pairs at once ([`create_many`], [`dismiss_many`]) run in one transaction: one
//!   refused pair and nothing of the batch is written, as in Medusa.
//! - `dismiss` is a soft delete: it sets `deleted_at` on the live row, leaves `created_at`
//!   and `updated_at` as they were (as Medusa), and touches no record.
//! - [`delete`] and [`restore`] act on all the links of some records, and follow
//!   `delete_cascade` into the linked module; see [`delete`].
//! - [`list`] hides dismissed and deleted rows unless [`ListFilter::with_deleted`] asks for
//!   them.

mod check;
mod delete;

use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::Text;
use diesel::QueryableByName;

use crate::backend::{block_on, finish, Blocking, Executor, LinkConnection};
use crate::definition::{ColumnValue, ExtraColumns, LinkDefinition, LinkSchema, Side};
pub use crate::definition::{Pair, PairWith};
use crate::dialect::{json_list, Dialect};
use crate::error::{Error, Result};
use crate::id::Id;

pub(crate) use check::check_in;
pub use check::{check, Dangling, Gone, Integrity, LinkCheck};
pub use delete::{delete, restore, Deletion, ModuleError, Modules, Record, SoftDelete};
pub(crate) use delete::{delete_in, restore_in};
#[cfg(feature = "async")]
pub(crate) use delete::{module_error, typed, Cascade, Handlers};

/// The most rows one generated statement carries, whatever the backend allows. Ten
/// thousand is what a hand-written diesel batch insert would use: with 2,000, a bulk
/// create of 100,000 links took 1.3× the insert on SQLite rather than 1.2× (`cargo bench
/// -p link-bench --bench writes`).
const MAX_ROWS_PER_STATEMENT: usize = 10_000;

/// From how many pairs a statement's worth of a batch goes in with a plain insert
/// ([`insert_new`]) rather than one upsert that returns every row: two or three statements
/// instead of one pay off for bulk creates, not for a single `create`.
const PLAIN_INSERT_FROM: usize = 100;

/// How many times a batch is written when concurrent writers of the same pairs make it
/// fail: the second attempt sees their rows, so more than three means something else.
const MAX_ATTEMPTS: usize = 3;

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
    block_on(create_in::<L, _>(&mut Blocking(conn), left, right))
}

/// Links `left` to `right` with `L` and the given extra column values. If the pair is
/// already linked, its extra columns take the new values.
///
/// # Errors
///
/// As [`create`].
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
    block_on(create_with_in::<L, _>(
        &mut Blocking(conn),
        left,
        right,
        columns,
    ))
}

/// Links many pairs with `L`, the extra columns at their defaults, in one transaction.
///
/// Returns what happened to each pair, in the order given. A pair given twice is written
/// once. If any pair is refused, nothing of the batch is written.
///
/// ```
/// # use diesel::{Connection, SqliteConnection};
/// # use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
/// # mod product_brand { use super::*; define_link!(Product(is_list), Brand); }
/// use link_runtime::{Created, Error};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// link_runtime::migrate(&mut conn)?;
///
/// let pairs = [
///     (Product::id("prod_1"), Brand::id("brand_1")),
///     (Product::id("prod_2"), Brand::id("brand_1")),
/// ];
/// let created = product_brand::Link::create_many(&mut conn, &pairs)?;
/// assert_eq!(created, [Created::Inserted, Created::Inserted]);
///
/// // A product has one brand: the second pair is refused, and so is the whole batch.
/// let pairs = [
///     (Product::id("prod_3"), Brand::id("brand_1")),
///     (Product::id("prod_1"), Brand::id("brand_2")),
/// ];
/// let refused = product_brand::Link::create_many(&mut conn, &pairs);
/// assert!(matches!(refused, Err(Error::Cardinality { .. })));
/// assert_eq!(product_brand::Link::list(&mut conn, &Default::default())?.len(), 2);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// As [`create`].
pub fn create_many<L, C>(conn: &mut C, pairs: &[Pair<L>]) -> Result<Vec<Created>>
where
    L: LinkDefinition,
    C: LinkConnection,
{
    block_on(create_many_in::<L, _>(&mut Blocking(conn), pairs))
}

/// Links many pairs with `L` and extra column values, in one transaction. A pair given
/// twice is written once, with the values of its last occurrence.
///
/// # Errors
///
/// As [`create`].
pub fn create_many_with<L, C>(conn: &mut C, rows: &[PairWith<L>]) -> Result<Vec<Created>>
where
    L: LinkDefinition,
    C: LinkConnection,
{
    block_on(create_many_with_in::<L, _>(&mut Blocking(conn), rows))
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
    block_on(dismiss_in::<L, _>(&mut Blocking(conn), left, right))
}

/// Dismisses the live links of many pairs, in one transaction; returns how many were live.
///
/// # Errors
///
/// [`Error::Database`] if the database refuses a statement (nothing is dismissed).
pub fn dismiss_many<L, C>(conn: &mut C, pairs: &[Pair<L>]) -> Result<usize>
where
    L: LinkDefinition,
    C: LinkConnection,
{
    block_on(dismiss_many_in::<L, _>(&mut Blocking(conn), pairs))
}

/// [`create`] on any executor.
pub(crate) async fn create_in<L: LinkDefinition, E: Executor>(
    conn: &mut E,
    left: &Id<L::Left>,
    right: &Id<L::Right>,
) -> Result<Created> {
    let pair = Write::new(left.as_str(), right.as_str(), Vec::new());
    Ok(first(upsert(conn, L::SCHEMA, vec![pair], false).await?))
}

/// [`create_with`] on any executor.
pub(crate) async fn create_with_in<L: LinkDefinition, E: Executor>(
    conn: &mut E,
    left: &Id<L::Left>,
    right: &Id<L::Right>,
    columns: &L::Columns,
) -> Result<Created> {
    let pair = Write::new(left.as_str(), right.as_str(), columns.values());
    Ok(first(upsert(conn, L::SCHEMA, vec![pair], true).await?))
}

/// [`create_many`] on any executor.
pub(crate) async fn create_many_in<L: LinkDefinition, E: Executor>(
    conn: &mut E,
    pairs: &[Pair<L>],
) -> Result<Vec<Created>> {
    let pairs = pairs
        .iter()
        .map(|(left, right)| Write::new(left.as_str(), right.as_str(), Vec::new()))
        .collect();
    upsert(conn, L::SCHEMA, pairs, false).await
}

/// [`create_many_with`] on any executor.
pub(crate) async fn create_many_with_in<L: LinkDefinition, E: Executor>(
    conn: &mut E,
    rows: &[PairWith<L>],
) -> Result<Vec<Created>> {
    let pairs = rows
        .iter()
        .map(|(left, right, columns)| Write::new(left.as_str(), right.as_str(), columns.values()))
        .collect();
    upsert(conn, L::SCHEMA, pairs, true).await
}

/// [`dismiss`] on any executor.
pub(crate) async fn dismiss_in<L: LinkDefinition, E: Executor>(
    conn: &mut E,
    left: &Id<L::Left>,
    right: &Id<L::Right>,
) -> Result<bool> {
    Ok(dismiss_pairs(conn, L::SCHEMA, &[(left.as_str(), right.as_str())]).await? > 0)
}

/// [`dismiss_many`] on any executor.
pub(crate) async fn dismiss_many_in<L: LinkDefinition, E: Executor>(
    conn: &mut E,
    pairs: &[Pair<L>],
) -> Result<usize> {
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(left, right)| (left.as_str(), right.as_str()))
        .collect();
    dismiss_pairs(conn, L::SCHEMA, &pairs).await
}

/// Which pivot rows [`list`] reads: by either side's ids, live ones only unless
/// [`with_deleted`](Self::with_deleted).
///
/// A side without ids is not filtered; a side given an empty list matches nothing.
///
/// ```
/// # use diesel::{Connection, SqliteConnection};
/// # use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
/// # mod product_brand { use super::*; define_link!(Product(is_list), Brand); }
/// use link_runtime::service::ListFilter;
/// use product_brand::Link;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// link_runtime::migrate(&mut conn)?;
/// Link::create(&mut conn, Product::id("prod_1"), Brand::id("brand_1"))?;
/// Link::create(&mut conn, Product::id("prod_2"), Brand::id("brand_1"))?;
/// Link::dismiss(&mut conn, Product::id("prod_2"), Brand::id("brand_1"))?;
///
/// let live = Link::list(&mut conn, &ListFilter::new().right([Brand::id("brand_1")]))?;
/// assert_eq!(live.len(), 1);
/// assert_eq!(live[0].product_id, Product::id("prod_1"));
///
/// let all = Link::list(&mut conn, &ListFilter::new().with_deleted())?;
/// assert_eq!(all.len(), 2);
/// # Ok(())
/// # }
/// ```
pub struct ListFilter<L: LinkDefinition> {
    left: Option<Vec<Id<L::Left>>>,
    right: Option<Vec<Id<L::Right>>>,
    with_deleted: bool,
    link: PhantomData<L>,
}

impl<L: LinkDefinition> ListFilter<L> {
    /// Every live row.
    pub fn new() -> Self {
        ListFilter {
            left: None,
            right: None,
            with_deleted: false,
            link: PhantomData,
        }
    }

    /// Only rows whose left record is one of `ids`.
    #[must_use]
    pub fn left(mut self, ids: impl IntoIterator<Item = Id<L::Left>>) -> Self {
        self.left = Some(ids.into_iter().collect());
        self
    }

    /// Only rows whose right record is one of `ids`.
    #[must_use]
    pub fn right(mut self, ids: impl IntoIterator<Item = Id<L::Right>>) -> Self {
        self.right = Some(ids.into_iter().collect());
        self
    }

    /// Dismissed and deleted rows too.
    #[must_use]
    pub fn with_deleted(mut self) -> Self {
        self.with_deleted = true;
        self
    }
}

impl<L: LinkDefinition> Default for ListFilter<L> {
    fn default() -> Self {
        Self::new()
    }
}

impl<L: LinkDefinition> std::fmt::Debug for ListFilter<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListFilter")
            .field("link", &L::SCHEMA.table)
            .field("left", &self.left)
            .field("right", &self.right)
            .field("with_deleted", &self.with_deleted)
            .finish()
    }
}

/// The pivot rows of `L` that `filter` selects, extra columns typed (the generated `Row`).
/// Long id lists are read in chunks; rows come in no particular order.
///
/// # Errors
///
/// [`Error::Database`] if the database refuses the query (for one, if the link's table has
/// not been created).
pub fn list<L, C>(conn: &mut C, filter: &ListFilter<L>) -> Result<Vec<L::Row>>
where
    L: LinkDefinition,
    C: LinkConnection,
{
    block_on(list_in(&mut Blocking(conn), filter))
}

/// [`list`] on any executor.
pub(crate) async fn list_in<L: LinkDefinition, E: Executor>(
    conn: &mut E,
    filter: &ListFilter<L>,
) -> Result<Vec<L::Row>> {
    let schema = L::SCHEMA;
    let dialect = E::DIALECT;
    let left: Option<Vec<&str>> = filter
        .left
        .as_ref()
        .map(|ids| ids.iter().map(Id::as_str).collect());
    let right: Option<Vec<&str>> = filter
        .right
        .as_ref()
        .map(|ids| ids.iter().map(Id::as_str).collect());
    // Half the parameters for each filtered side, so any pair of chunks fits.
    let chunk = dialect.max_binds().min(2 * MAX_ROWS_PER_STATEMENT) / 2;
    fn chunks<'a, 'b>(ids: &'a Option<Vec<&'b str>>, chunk: usize) -> Vec<Option<&'a [&'b str]>> {
        match ids {
            None => vec![None],
            // An empty list matches nothing: no chunk, no statement.
            Some(ids) => ids.chunks(chunk).map(Some).collect(),
        }
    }
    let mut columns: Vec<&str> = schema.base_columns()[..3].to_vec();
    columns.extend(schema.columns.iter().map(|c| c.name));
    columns.extend(["created_at", "updated_at", "deleted_at"]);
    let select = format!(
        r#"SELECT {} FROM "{}" WHERE 1 = 1"#,
        quoted(&columns),
        schema.table
    );

    let mut rows = Vec::new();
    let right_chunks = chunks(&right, chunk);
    for left_ids in chunks(&left, chunk) {
        for &right_ids in &right_chunks {
            let mut sql = select.clone();
            let mut binds = Vec::new();
            for (side, ids) in [(&schema.left, left_ids), (&schema.right, right_ids)] {
                if let Some(ids) = ids {
                    sql.push_str(&format!(
                        r#" AND "{}" IN ({})"#,
                        side.column,
                        dialect.placeholders(binds.len() + 1, ids.len())
                    ));
                    binds.extend(ids.iter().copied().map(ColumnValue::Text));
                }
            }
            if !filter.with_deleted {
                sql.push_str(r#" AND "deleted_at" IS NULL"#);
            }
            rows.extend(conn.load::<L::Row>(&sql, &binds).await?);
        }
    }
    Ok(rows)
}

/// One pair to write, with its extra column values (empty for a plain create).
struct Write<'a> {
    left: &'a str,
    right: &'a str,
    values: Vec<ColumnValue<'a>>,
}

impl<'a> Write<'a> {
    fn new(left: &'a str, right: &'a str, values: Vec<ColumnValue<'a>>) -> Self {
        Write {
            left,
            right,
            values,
        }
    }
}

/// A row of `RETURNING`: which pair, and the id its row has now.
#[derive(QueryableByName)]
struct Returned {
    #[diesel(sql_type = Text)]
    link_id: String,
    #[diesel(sql_type = Text)]
    left_id: String,
    #[diesel(sql_type = Text)]
    right_id: String,
}

fn first(created: Vec<Created>) -> Created {
    created
        .into_iter()
        .next()
        .expect("one pair in, one outcome out")
}

/// How many ids one `IN (...)` list binds: the backend's limit, capped.
pub(crate) fn ids_per_statement(dialect: Dialect) -> usize {
    dialect.max_binds().min(MAX_ROWS_PER_STATEMENT)
}

/// Inserts or revives `pairs`, in one transaction, a few thousand rows per statement.
///
/// A plain create (`with_values` false) revives a dismissed row and leaves a live one
/// alone; a create with values also writes them over a live row.
async fn upsert<E: Executor>(
    conn: &mut E,
    schema: &'static LinkSchema,
    pairs: Vec<Write<'_>>,
    with_values: bool,
) -> Result<Vec<Created>> {
    let dialect = E::DIALECT;
    // Each pair once, the last occurrence's values winning: PostgreSQL refuses a statement
    // that would update one row twice.
    let mut slot_of: HashMap<(&str, &str), usize> = HashMap::with_capacity(pairs.len());
    let mut unique: Vec<Write<'_>> = Vec::with_capacity(pairs.len());
    let mut slots = Vec::with_capacity(pairs.len());
    for pair in pairs {
        match slot_of.get(&(pair.left, pair.right)) {
            Some(&slot) => {
                slots.push(slot);
                unique[slot] = pair;
            }
            None => {
                slot_of.insert((pair.left, pair.right), unique.len());
                slots.push(unique.len());
                unique.push(pair);
            }
        }
    }
    check_batch_cardinality(schema, &unique)?;

    let ids: Vec<String> = unique.iter().map(|_| new_link_id()).collect();
    let mut names = vec!["id", schema.left.column, schema.right.column];
    if with_values {
        names.extend(schema.columns.iter().map(|c| c.name));
    }
    let mut updates = vec![
        r#""deleted_at" = NULL"#.to_owned(),
        format!(r#""updated_at" = {}"#, dialect.now()),
    ];
    if with_values {
        updates.extend(
            schema
                .columns
                .iter()
                .map(|c| format!(r#""{0}" = excluded."{0}""#, c.name)),
        );
    }
    let mut conflict = format!(
        r#" ON CONFLICT ("{left}", "{right}") DO UPDATE SET {updates}"#,
        left = schema.left.column,
        right = schema.right.column,
        updates = updates.join(", "),
    );
    if !with_values {
        conflict.push_str(&format!(
            r#" WHERE "{}"."deleted_at" IS NOT NULL"#,
            schema.table
        ));
    }
    // The row's id tells what happened: ours for a new row, the old one for an existing
    // row, none when the `WHERE` above left a live row alone.
    conflict.push_str(&format!(
        r#" RETURNING "id" AS link_id, "{}" AS left_id, "{}" AS right_id"#,
        schema.left.column, schema.right.column
    ));

    let per_row = names.len();
    let rows_per_statement = (dialect.max_binds() / per_row).min(MAX_ROWS_PER_STATEMENT);
    // The batch's statements, in one transaction (a savepoint inside the caller's): a
    // refused statement leaves the caller's transaction usable, and the partner lookup
    // below can run. Returns what happened to each pair, by slot.
    let mut attempt = 1;
    let outcomes = loop {
        conn.begin().await?;
        let written = async {
            // What happened to each pair; a row the upsert leaves alone is returned by none.
            let mut outcomes: Vec<Created> = vec![Created::Unchanged; unique.len()];
            let slots: Vec<usize> = (0..unique.len()).collect();
            for chunk in slots.chunks(rows_per_statement) {
                // A few pairs are cheapest as one upsert; a bulk create as a plain insert.
                let pending = if with_values || chunk.len() < PLAIN_INSERT_FROM {
                    chunk.to_vec()
                } else {
                    insert_new(conn, schema, &names, &unique, &ids, chunk, &mut outcomes).await?
                };
                if pending.is_empty() {
                    continue;
                }
                let (tuples, binds) = values(dialect, &unique, &ids, &pending, with_values);
                let sql = format!(
                    r#"INSERT INTO "{table}" ({names}) VALUES {tuples}{conflict}"#,
                    table = schema.table,
                    names = quoted(&names),
                );
                for row in conn.load::<Returned>(&sql, &binds).await? {
                    let pair = (row.left_id.as_str(), row.right_id.as_str());
                    if let Some(&slot) = slot_of.get(&pair) {
                        // The row's id tells what happened: ours for a new row, the old
                        // one for a row that existed.
                        outcomes[slot] = if row.link_id == ids[slot] {
                            Created::Inserted
                        } else if with_values {
                            Created::Updated
                        } else {
                            Created::Revived
                        };
                    }
                }
            }
            diesel::QueryResult::Ok(outcomes)
        }
        .await;
        match finish(conn, written).await {
            Ok(outcomes) => break outcomes,
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)) => {
                let pairs: Vec<(&str, &str)> = unique.iter().map(|p| (p.left, p.right)).collect();
                if let Some(error) = cardinality_error(conn, schema, &pairs).await? {
                    return Err(error);
                }
                // No record has another partner: a concurrent writer created one of these
                // very pairs between the conflict check and the insert, and the violation
                // came from a side's index rather than the pair's. Its row is committed
                // now, so the next attempt finds it as a conflict on the pair.
                if attempt == MAX_ATTEMPTS {
                    return Err(Error::Database(DieselError::DatabaseError(
                        DatabaseErrorKind::UniqueViolation,
                        info,
                    )));
                }
                attempt += 1;
            }
            Err(error) => return Err(error.into()),
        }
    };

    Ok(slots.into_iter().map(|slot| outcomes[slot]).collect())
}

/// The `VALUES` tuples of the pairs at `slots` (new id, left, right, and the extra columns'
/// values when `with_values`), and their binds.
fn values<'a>(
    dialect: Dialect,
    pairs: &'a [Write<'a>],
    ids: &'a [String],
    slots: &[usize],
    with_values: bool,
) -> (String, Vec<ColumnValue<'a>>) {
    let mut binds = Vec::new();
    let mut tuples = String::new();
    for &slot in slots {
        let first = binds.len() + 1;
        let pair = &pairs[slot];
        binds.push(ColumnValue::Text(&ids[slot]));
        binds.push(ColumnValue::Text(pair.left));
        binds.push(ColumnValue::Text(pair.right));
        if with_values {
            binds.extend(pair.values.iter().cloned());
        }
        if !tuples.is_empty() {
            tuples.push_str(", ");
        }
        tuples.push('(');
        dialect.push_placeholders(&mut tuples, first, binds.len() + 1 - first);
        tuples.push(')');
    }
    (tuples, binds)
}

/// Inserts the pairs at `slots` that have no row yet, with nothing returned, and marks
/// them inserted in `outcomes`; returns the slots of the pairs that have a row (live or
/// dismissed), for the upsert. A bulk create of new links costs about what a plain insert
/// costs, by the cheapest way each backend has:
///
/// - SQLite: `INSERT .. ON CONFLICT DO NOTHING` costs what a plain insert does. When some
///   pairs were skipped, which of the ids went in tells them apart.
/// - PostgreSQL: `ON CONFLICT` is a speculative insertion, a quarter slower per row. The
///   pairs' rows are looked up first, by the left column's index, and the new ones go in
///   with a plain `INSERT`. A pair a concurrent writer inserts in between is a unique
///   violation, which the caller retries.
async fn insert_new<E: Executor>(
    conn: &mut E,
    schema: &LinkSchema,
    names: &[&str],
    pairs: &[Write<'_>],
    ids: &[String],
    slots: &[usize],
    outcomes: &mut [Created],
) -> diesel::QueryResult<Vec<usize>> {
    let dialect = E::DIALECT;
    let insert = |slots: &[usize], on_conflict: &str| {
        let (tuples, binds) = values(dialect, pairs, ids, slots, false);
        let sql = format!(
            r#"INSERT INTO "{table}" ({names}) VALUES {tuples}{on_conflict}"#,
            table = schema.table,
            names = quoted(names),
        );
        (sql, binds)
    };
    let (new, pending): (Vec<usize>, Vec<usize>) = match dialect {
        Dialect::Sqlite => {
            let (sql, binds) = insert(
                slots,
                &format!(
                    r#" ON CONFLICT ("{}", "{}") DO NOTHING"#,
                    schema.left.column, schema.right.column
                ),
            );
            if conn.execute(&sql, &binds).await? == slots.len() {
                (slots.to_vec(), Vec::new())
            } else {
                let ours: Vec<&str> = slots.iter().map(|&slot| ids[slot].as_str()).collect();
                let went_in: HashSet<String> = select_in(conn, schema, "id", "id", &ours)
                    .await?
                    .into_iter()
                    .map(|row| row.record)
                    .collect();
                slots
                    .iter()
                    .partition(|&&slot| went_in.contains(&ids[slot]))
            }
        }
        Dialect::Postgres => {
            let mut seen = HashSet::new();
            let lefts: Vec<&str> = slots
                .iter()
                .map(|&slot| pairs[slot].left)
                .filter(|left| seen.insert(*left))
                .collect();
            let mut rows: HashMap<String, HashSet<String>> = HashMap::new();
            for row in select_in(
                conn,
                schema,
                schema.left.column,
                schema.right.column,
                &lefts,
            )
            .await?
            {
                rows.entry(row.record).or_default().insert(row.partner);
            }
            let (pending, new): (Vec<usize>, Vec<usize>) = slots.iter().partition(|&&slot| {
                let pair = &pairs[slot];
                rows.get(pair.left)
                    .is_some_and(|rights| rights.contains(pair.right))
            });
            if !new.is_empty() {
                let (sql, binds) = insert(&new, "");
                conn.execute(&sql, &binds).await?;
            }
            (new, pending)
        }
    };
    for slot in new {
        outcomes[slot] = Created::Inserted;
    }
    Ok(pending)
}

/// `column` and `other` of the pivot rows, live or dismissed, whose `column` is one of
/// `values`: one statement, the values bound as one JSON array.
async fn select_in<E: Executor>(
    conn: &mut E,
    schema: &LinkSchema,
    column: &str,
    other: &str,
    values: &[&str],
) -> diesel::QueryResult<Vec<Partner>> {
    let dialect = E::DIALECT;
    let list = json_list(values);
    let sql = format!(
        r#"SELECT "{column}" AS record, "{other}" AS partner FROM "{table}" WHERE {matches}"#,
        table = schema.table,
        matches = dialect.in_json(&format!(r#""{column}""#), &dialect.placeholder(1)),
    );
    conn.load::<Partner>(&sql, &[ColumnValue::Text(&list)])
        .await
}

/// Refuses a batch that gives one record two partners on a side that is not a list, before
/// anything is written.
fn check_batch_cardinality(schema: &'static LinkSchema, pairs: &[Write<'_>]) -> Result<()> {
    for single in single_sides(schema) {
        let (side, other) = (single.side, single.other);
        let mut partner_of: HashMap<&str, &str> = HashMap::new();
        for pair in pairs {
            let (record, partner) = single.split(pair.left, pair.right);
            if let Some(first) = partner_of.insert(record, partner) {
                if first != partner {
                    return Err(Error::Cardinality {
                        link: schema.table,
                        model: side.model,
                        record: record.to_owned(),
                        partner_model: other.model,
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
struct SingleSide<'a> {
    on_left: bool,
    side: &'a Side,
    other: &'a Side,
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
fn single_sides(schema: &LinkSchema) -> impl Iterator<Item = SingleSide<'_>> {
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
                    model: side.model,
                    record: record.to_owned(),
                    partner_model: other.model,
                    partner: partner.clone(),
                    refused: wanted.to_owned(),
                }));
            }
        }
    }
    Ok(None)
}

#[derive(QueryableByName)]
struct Partner {
    #[diesel(sql_type = Text)]
    record: String,
    #[diesel(sql_type = Text)]
    partner: String,
}

/// The live partner (on `other`) of each of `records` (on `side`) that has one.
async fn live_partners<E: Executor>(
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

/// Sets `deleted_at` on the live rows of `pairs`, in one transaction.
async fn dismiss_pairs<E: Executor>(
    conn: &mut E,
    schema: &LinkSchema,
    pairs: &[(&str, &str)],
) -> Result<usize> {
    let dialect = E::DIALECT;
    let per_statement = (dialect.max_binds() / 2).min(MAX_ROWS_PER_STATEMENT);
    conn.begin().await?;
    let dismissed = async {
        let mut dismissed = 0;
        for chunk in pairs.chunks(per_statement) {
            let tuples: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", dialect.placeholders(2 * i + 1, 2)))
                .collect();
            let sql = format!(
                r#"UPDATE "{table}" SET "deleted_at" = {now} WHERE "deleted_at" IS NULL AND ("{left}", "{right}") IN (VALUES {tuples})"#,
                table = schema.table,
                now = dialect.now(),
                left = schema.left.column,
                right = schema.right.column,
                tuples = tuples.join(", "),
            );
            let binds: Vec<ColumnValue<'_>> = chunk
                .iter()
                .flat_map(|&(l, r)| [ColumnValue::Text(l), ColumnValue::Text(r)])
                .collect();
            dismissed += conn.execute(&sql, &binds).await?;
        }
        diesel::QueryResult::Ok(dismissed)
    }
    .await;
    let dismissed = finish(conn, dismissed).await?;
    Ok(dismissed)
}

/// Writes the extra column values of the rows of some pairs, live or not, leaving
/// everything else of the rows as it is: one statement per pair, for undoing a step.
pub(crate) async fn overwrite_values<E: Executor>(
    conn: &mut E,
    schema: &LinkSchema,
    rows: &[(&str, &str, Vec<ColumnValue<'_>>)],
) -> Result<()> {
    if schema.columns.is_empty() || rows.is_empty() {
        return Ok(());
    }
    let dialect = E::DIALECT;
    let count = schema.columns.len();
    let sets: Vec<String> = schema
        .columns
        .iter()
        .enumerate()
        .map(|(i, column)| format!(r#""{}" = {}"#, column.name, dialect.placeholder(i + 1)))
        .collect();
    let sql = format!(
        r#"UPDATE "{table}" SET {sets} WHERE "{left}" = {l} AND "{right}" = {r}"#,
        table = schema.table,
        sets = sets.join(", "),
        left = schema.left.column,
        right = schema.right.column,
        l = dialect.placeholder(count + 1),
        r = dialect.placeholder(count + 2),
    );
    conn.begin().await?;
    let done = async {
        for (left, right, values) in rows {
            let mut binds = values.clone();
            binds.extend([ColumnValue::Text(left), ColumnValue::Text(right)]);
            conn.execute(&sql, &binds).await?;
        }
        diesel::QueryResult::Ok(())
    }
    .await;
    finish(conn, done).await?;
    Ok(())
}

/// `"a", "b", "c"`.
pub(crate) fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!(r#""{name}""#))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A new pivot row id: `link_` and a ULID, as Medusa's.
fn new_link_id() -> String {
    format!("link_{}", ulid::Ulid::new())
}
