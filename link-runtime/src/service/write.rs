//! Writing pairs: the upsert path of `create` and `create_many` (with or without extra
//! column values), `dismiss`, and the statement kept prepared for a single new pair.

use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::Text;
use diesel::QueryableByName;
use serde::Serialize;

use super::cardinality::{cardinality_error, check_batch_cardinality};
use super::rows::{lock_in_order, quoted, Partner, MAX_ROWS_PER_STATEMENT};
use crate::backend::retry::{self, retrying};
use crate::backend::{finish, keyed_text, Executor, Key, Statement};
use crate::definition::{ColumnValue, ExtraColumns, LinkDefinition, LinkSchema, Pair, PairWith};
use crate::dialect::{json_list, Dialect};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::trace::operation;

/// From how many pairs a statement's worth of a batch goes in with a plain insert
/// ([`insert_new`]) rather than one upsert that returns every row: two or three statements
/// instead of one pay off for bulk creates, not for a single `create`.
const PLAIN_INSERT_FROM: usize = 100;

/// What [`create`](super::create) or [`create_with`](super::create_with) did.
///
/// It serializes as its name in snake_case, `"inserted"`, `"revived"`, `"unchanged"` or
/// `"updated"`, so a web handler can answer with it (and pick 201 for a new row, 200 for
/// one that was there).
///
/// ```
/// use link_runtime::Created;
///
/// assert_eq!(serde_json::to_string(&Created::Inserted).unwrap(), r#""inserted""#);
/// assert_eq!(
///     serde_json::to_value([Created::Revived, Created::Unchanged, Created::Updated]).unwrap(),
///     serde_json::json!(["revived", "unchanged", "updated"])
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
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

impl Created {
    /// Its name in snake_case, as it serializes: `inserted`, `revived`, `unchanged` or
    /// `updated`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Created::Inserted => "inserted",
            Created::Revived => "revived",
            Created::Unchanged => "unchanged",
            Created::Updated => "updated",
        }
    }
}

/// [`create`](super::create) on any executor.
pub(crate) async fn create_in<L: LinkDefinition, E: Executor>(
    conn: &mut E,
    left: &Id<L::Left>,
    right: &Id<L::Right>,
) -> Result<Created> {
    operation!(
        "link_runtime.create",
        { link = L::SCHEMA.table, created = Empty, },
        |span| async {
            let created = retrying!(conn, {
                async {
                    let pair = Write::new(left.as_str(), right.as_str(), Vec::new());
                    if insert_one::<L, _, false>(conn, &pair).await? {
                        return Ok(Created::Inserted);
                    }
                    Ok(first(upsert(conn, L::SCHEMA, vec![pair], false).await?))
                }
                .await
            })?;
            span.record("created", created.as_str());
            Ok(created)
        }
    )
}

/// [`create_with`] on any executor.
pub(crate) async fn create_with_in<L: LinkDefinition, E: Executor>(
    conn: &mut E,
    left: &Id<L::Left>,
    right: &Id<L::Right>,
    columns: &L::Columns,
) -> Result<Created> {
    operation!(
        "link_runtime.create_with",
        { link = L::SCHEMA.table, created = Empty, },
        |span| async {
            let created = retrying!(conn, {
                async {
                    let pair = Write::new(left.as_str(), right.as_str(), columns.values());
                    if insert_one::<L, _, true>(conn, &pair).await? {
                        return Ok(Created::Inserted);
                    }
                    Ok(first(upsert(conn, L::SCHEMA, vec![pair], true).await?))
                }
                .await
            })?;
            span.record("created", created.as_str());
            Ok(created)
        }
    )
}

/// [`create_many`] on any executor.
pub(crate) async fn create_many_in<L: LinkDefinition, E: Executor>(
    conn: &mut E,
    pairs: &[Pair<L>],
) -> Result<Vec<Created>> {
    operation!(
        "link_runtime.create_many",
        { link = L::SCHEMA.table, pairs = pairs.len(), inserted = Empty, },
        |span| async {
            let pairs = pairs
                .iter()
                .map(|(left, right)| Write::new(left.as_str(), right.as_str(), Vec::new()))
                .collect();
            let created = upsert(conn, L::SCHEMA, pairs, false).await?;
            span.record("inserted", inserted(&created));
            Ok(created)
        }
    )
}

/// [`create_many_with`] on any executor.
pub(crate) async fn create_many_with_in<L: LinkDefinition, E: Executor>(
    conn: &mut E,
    rows: &[PairWith<L>],
) -> Result<Vec<Created>> {
    operation!(
        "link_runtime.create_many_with",
        { link = L::SCHEMA.table, pairs = rows.len(), inserted = Empty, },
        |span| async {
            let pairs = rows
                .iter()
                .map(|(left, right, columns)| {
                    Write::new(left.as_str(), right.as_str(), columns.values())
                })
                .collect();
            let created = upsert(conn, L::SCHEMA, pairs, true).await?;
            span.record("inserted", inserted(&created));
            Ok(created)
        }
    )
}

/// How many of a batch's pairs got a new row.
fn inserted(created: &[Created]) -> usize {
    created
        .iter()
        .filter(|created| **created == Created::Inserted)
        .count()
}

/// [`dismiss`] on any executor.
pub(crate) async fn dismiss_in<L: LinkDefinition, E: Executor>(
    conn: &mut E,
    left: &Id<L::Left>,
    right: &Id<L::Right>,
) -> Result<bool> {
    operation!(
        "link_runtime.dismiss",
        { link = L::SCHEMA.table, dismissed = Empty, },
        |span| async {
            let pair = [(left.as_str(), right.as_str())];
            let dismissed = dismiss_pairs(conn, L::SCHEMA, &pair).await? > 0;
            span.record("dismissed", dismissed);
            Ok(dismissed)
        }
    )
}

/// [`dismiss_many`] on any executor.
pub(crate) async fn dismiss_many_in<L: LinkDefinition, E: Executor>(
    conn: &mut E,
    pairs: &[Pair<L>],
) -> Result<usize> {
    operation!(
        "link_runtime.dismiss_many",
        { link = L::SCHEMA.table, pairs = pairs.len(), dismissed = Empty, },
        |span| async {
            let pairs: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(left, right)| (left.as_str(), right.as_str()))
                .collect();
            let dismissed = dismiss_pairs(conn, L::SCHEMA, &pairs).await?;
            span.record("dismissed", dismissed);
            Ok(dismissed)
        }
    )
}

/// What an attempt of [`upsert`] on PostgreSQL ends with when a pair's row appeared after
/// it locked the rows it found: rolled back, to run again.
const APPEARED: DieselError = DieselError::RollbackTransaction;

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

/// The common case of a single write, a pair with no row and records with no other
/// partner, in one statement kept prepared: the pair goes in unless a unique index (the
/// pair's, or a side's over live rows) already holds it, in which case nothing happens and
/// nothing fails, so no savepoint is needed around it. Returns whether it went in; if not,
/// the upsert finds out why (a live or dismissed row of the pair, another partner).
async fn insert_one<L: LinkDefinition, E: Executor, const VALUES: bool>(
    conn: &mut E,
    pair: &Write<'_>,
) -> Result<bool> {
    let schema = L::SCHEMA;
    let id = new_link_id(schema);
    let mut binds = vec![
        ColumnValue::Text(&id),
        ColumnValue::Text(pair.left),
        ColumnValue::Text(pair.right),
    ];
    if VALUES {
        binds.extend(pair.values.iter().cloned());
    }
    let sql = keyed_text::<InsertOne<L, VALUES>>(E::DIALECT, || {
        let mut names = vec!["id", schema.left.column, schema.right.column];
        if VALUES {
            names.extend(schema.columns.iter().map(|c| c.name));
        }
        format!(
            r#"INSERT INTO "{table}" ({names}) VALUES ({values}) ON CONFLICT DO NOTHING"#,
            table = schema.table,
            names = quoted(&names),
            values = E::DIALECT.placeholders(1, names.len()),
        )
    });
    let statement = Statement::<InsertOne<L, VALUES>>::keyed(sql, &binds);
    Ok(conn.run(statement).await? == 1)
}

/// The key [`insert_one`]'s statement is kept prepared under: one per link, with or
/// without values for the extra columns.
struct InsertOne<L, const VALUES: bool>(PhantomData<L>);

impl<L: LinkDefinition, const VALUES: bool> Key for InsertOne<L, VALUES> {
    const BY_TYPE: bool = true;
}

fn first(created: Vec<Created>) -> Created {
    created
        .into_iter()
        .next()
        .expect("one pair in, one outcome out")
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
    // that would update one row twice. The pairs are written in one order, sorted, so that
    // concurrent batches take their rows' and indexes' locks in the same order and cannot
    // deadlock each other.
    let keys: Vec<(&str, &str)> = pairs.iter().map(|p| (p.left, p.right)).collect();
    let mut last: HashMap<(&str, &str), Write<'_>> = HashMap::with_capacity(pairs.len());
    for pair in pairs {
        last.insert((pair.left, pair.right), pair);
    }
    let mut unique: Vec<Write<'_>> = last.into_values().collect();
    unique.sort_unstable_by(|a, b| (a.left, a.right).cmp(&(b.left, b.right)));
    let slot_of: HashMap<(&str, &str), usize> = unique
        .iter()
        .enumerate()
        .map(|(slot, pair)| ((pair.left, pair.right), slot))
        .collect();
    let slots: Vec<usize> = keys.iter().map(|key| slot_of[key]).collect();
    let pairs: Vec<(&str, &str)> = unique.iter().map(|p| (p.left, p.right)).collect();
    check_batch_cardinality(schema, &pairs)?;

    let ids: Vec<String> = unique.iter().map(|_| new_link_id(schema)).collect();
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
    // A batch whose plain insert meets a concurrent writer's row of one of its pairs uses no
    // plain insert on its next attempt: on SQLite the upsert takes such a row as it finds
    // it, and on PostgreSQL the attempt locks it with the other rows it finds.
    // Inside the caller's transaction, a deadlock or a serialization failure is the
    // caller's to retry (see `retry`); a row that appeared is this batch's.
    let nested = conn.in_transaction();
    let mut attempt = 1;
    let mut no_plain_insert = false;
    let outcomes = loop {
        conn.begin().await?;
        let written = async {
            // What happened to each pair; a row the upsert leaves alone is returned by none.
            let mut outcomes: Vec<Created> = vec![Created::Unchanged; unique.len()];
            let slots: Vec<usize> = (0..unique.len()).collect();
            // On PostgreSQL, the pairs' existing rows are locked first, all of them, in
            // the pairs' order, and only then are new rows inserted, also in order: every
            // write takes the locks of existing rows before any of new ones, so that
            // writes cannot wait for each other in a circle.
            let existing = match dialect {
                Dialect::Postgres => Some(lock_existing(conn, schema, &unique, &slot_of).await?),
                Dialect::Sqlite => None,
            };
            for chunk in slots.chunks(rows_per_statement) {
                // A few pairs are cheapest as one upsert; a bulk create as a plain insert.
                let bulk = !with_values && !no_plain_insert && chunk.len() >= PLAIN_INSERT_FROM;
                let pending = match &existing {
                    Some(existing) => {
                        // Phase two: new rows, in the pairs' order, and the rows locked in
                        // phase one. A row of a pair that appeared in between (another
                        // write committed it) is not locked: taking it now would be out of
                        // order, so the pair is left alone and the attempt runs again.
                        let (old, new): (Vec<usize>, Vec<usize>) =
                            chunk.iter().partition(|slot| existing.contains(slot));
                        if !new.is_empty() {
                            let (tuples, binds) = values(dialect, &unique, &ids, &new, with_values);
                            let mut sql = format!(
                                r#"INSERT INTO "{table}" ({names}) VALUES {tuples}"#,
                                table = schema.table,
                                names = quoted(&names),
                            );
                            if bulk {
                                // A plain insert: the cheapest, and a pair that appeared
                                // is a unique violation, handled below.
                                conn.execute(&sql, &binds).await?;
                            } else {
                                sql.push_str(&format!(
                                    r#" ON CONFLICT ("{left}", "{right}") DO NOTHING"#,
                                    left = schema.left.column,
                                    right = schema.right.column,
                                ));
                                if conn.execute(&sql, &binds).await? < new.len() {
                                    return Err(APPEARED);
                                }
                            }
                            for slot in new {
                                outcomes[slot] = Created::Inserted;
                            }
                        }
                        old
                    }
                    None if bulk => {
                        insert_new(conn, schema, &names, &unique, &ids, chunk, &mut outcomes)
                            .await?
                    }
                    _ => chunk.to_vec(),
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
            Err(DieselError::RollbackTransaction) if attempt < retry::MAX_ATTEMPTS => attempt += 1,
            Err(error @ DieselError::RollbackTransaction) => {
                return Err(Error::Contention {
                    attempts: attempt,
                    source: error,
                })
            }
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)) => {
                let pairs: Vec<(&str, &str)> = unique.iter().map(|p| (p.left, p.right)).collect();
                if let Some(error) = cardinality_error(conn, schema, &pairs).await? {
                    return Err(error);
                }
                // No record has another partner: a concurrent writer created one of these
                // very pairs between the conflict check and the insert, and the violation
                // came from a side's index rather than the pair's. Its row is committed
                // now, so the next attempt finds it as a conflict on the pair.
                let error = DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info);
                if attempt == retry::MAX_ATTEMPTS {
                    return Err(Error::Contention {
                        attempts: attempt,
                        source: error,
                    });
                }
                attempt += 1;
                no_plain_insert = true;
            }
            Err(error) => match retry::judge_query(attempt, nested, Err::<(), _>(error)) {
                retry::Attempt::Again => attempt += 1,
                retry::Attempt::Done(outcome) => return Err(outcome.expect_err("an error")),
            },
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
/// dismissed), for the upsert. On SQLite, `INSERT .. ON CONFLICT DO NOTHING` costs what a
/// plain insert does; when some pairs were skipped, which of the ids went in tells them
/// apart. (PostgreSQL's bulk path is in [`upsert`]: its `ON CONFLICT` is a speculative
/// insertion, a quarter slower per row, so the rows it locked tell the new pairs, which go
/// in with a plain `INSERT`.)
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
    let (tuples, binds) = values(dialect, pairs, ids, slots, false);
    let sql = format!(
        r#"INSERT INTO "{table}" ({names}) VALUES {tuples} ON CONFLICT ("{left}", "{right}") DO NOTHING"#,
        table = schema.table,
        names = quoted(names),
        left = schema.left.column,
        right = schema.right.column,
    );
    let (new, pending): (Vec<usize>, Vec<usize>) =
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
        };
    for slot in new {
        outcomes[slot] = Created::Inserted;
    }
    Ok(pending)
}

/// Locks the rows, live or dismissed, that `pairs` have (PostgreSQL's `FOR UPDATE`), in the
/// pairs' order; returns the slots of the pairs that have one.
async fn lock_existing<E: Executor>(
    conn: &mut E,
    schema: &LinkSchema,
    pairs: &[Write<'_>],
    slot_of: &HashMap<(&str, &str), usize>,
) -> diesel::QueryResult<HashSet<usize>> {
    let dialect = E::DIALECT;
    let per_statement = (dialect.max_binds() / 2).min(MAX_ROWS_PER_STATEMENT);
    let mut existing = HashSet::new();
    for chunk in pairs.chunks(per_statement) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", dialect.placeholders(2 * i + 1, 2)))
            .collect();
        let sql = format!(
            r#"SELECT "{left}" AS record, "{right}" AS partner FROM "{table}" WHERE ("{left}", "{right}") IN (VALUES {tuples}) ORDER BY "{left}", "{right}" FOR UPDATE"#,
            table = schema.table,
            left = schema.left.column,
            right = schema.right.column,
            tuples = tuples.join(", "),
        );
        let binds: Vec<ColumnValue<'_>> = chunk
            .iter()
            .flat_map(|pair| [ColumnValue::Text(pair.left), ColumnValue::Text(pair.right)])
            .collect();
        for row in conn.load::<Partner>(&sql, &binds).await? {
            if let Some(&slot) = slot_of.get(&(row.record.as_str(), row.partner.as_str())) {
                existing.insert(slot);
            }
        }
    }
    Ok(existing)
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

/// Sets `deleted_at` on the live rows of `pairs`, in one transaction.
async fn dismiss_pairs<E: Executor>(
    conn: &mut E,
    schema: &LinkSchema,
    pairs: &[(&str, &str)],
) -> Result<usize> {
    let dialect = E::DIALECT;
    let per_statement = (dialect.max_binds() / 2).min(MAX_ROWS_PER_STATEMENT);
    // In one order, as batches of creates write them (see `upsert`).
    let mut pairs = pairs.to_vec();
    pairs.sort_unstable();
    pairs.dedup();
    let rows = format!(
        r#"("{left}", "{right}") IN (VALUES {{tuples}})"#,
        left = schema.left.column,
        right = schema.right.column,
    );
    retrying!(conn, {
        conn.begin().await?;
        let dismissed = async {
            let mut dismissed = 0;
            for chunk in pairs.chunks(per_statement) {
                let tuples: Vec<String> = (0..chunk.len())
                    .map(|i| format!("({})", dialect.placeholders(2 * i + 1, 2)))
                    .collect();
                let rows = rows.replace("{tuples}", &tuples.join(", "));
                let binds: Vec<ColumnValue<'_>> = chunk
                    .iter()
                    .flat_map(|&(l, r)| [ColumnValue::Text(l), ColumnValue::Text(r)])
                    .collect();
                let target = lock_in_order(conn, schema, &rows, &binds).await?;
                let (condition, binds) =
                    target.matching(dialect, &rows, r#""deleted_at" IS NULL"#, binds);
                let sql = format!(
                    r#"UPDATE "{table}" SET "deleted_at" = {now} WHERE {condition}"#,
                    table = schema.table,
                    now = dialect.now(),
                );
                dismissed += conn.execute(&sql, &binds).await?;
            }
            diesel::QueryResult::Ok(dismissed)
        }
        .await;
        finish(conn, dismissed).await.map_err(Error::Database)
    })
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

/// A new pivot row id: the link's prefix (`link` unless it gives one), `_` and a ULID, as
/// Medusa's.
fn new_link_id(schema: &LinkSchema) -> String {
    format!("{}_{}", schema.id_prefix, ulid::Ulid::new())
}
