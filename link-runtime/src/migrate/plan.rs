//! Comparing the links a program defines with what a database has and what the last sync
//! recorded, as a list of typed, reviewable actions.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::backend::{block_on, Blocking, Executor, LinkConnection};
use crate::definition::{Index, LinkSchema};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::migrate::check::Check;
use crate::migrate::introspect::{self, TableShape};
use crate::migrate::metadata::{self, LinkRecord};
use crate::migrate::replace::replace_column;
use crate::migrate::sql::{column_type, comment, ident};
use crate::migrate::{unique, variants};
use crate::registry::registered_links;
use crate::trace::operation;

/// What a sync would change, in the order it would change it.
///
/// Made by [`plan`] (or [`plan_for`]), run by [`apply`](crate::migrate::apply), written out by
/// [`export_migrations`](crate::migrate::export_migrations). It prints as the SQL it runs,
/// each action headed by a comment that says what it does and whether it is safe:
///
/// ```
/// # use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
/// # mod product_brand { use super::*; define_link!(Product, Brand); }
/// use diesel::{Connection, SqliteConnection};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// let plan = link_runtime::migrate::plan(&mut conn)?;
/// let sql = plan.to_string();
/// assert!(sql.contains("-- [safe] create table `product_product_brand_brand` (product -> brand)"));
/// assert!(sql.contains(r#"CREATE TABLE IF NOT EXISTS "product_product_brand_brand""#));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    dialect: Dialect,
    actions: Vec<Action>,
}

impl Plan {
    /// The actions, in the order [`apply`](crate::migrate::apply) runs them.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// Whether the database is in sync: nothing to do.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// The backend the plan was made on; its SQL is written for it.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The actions that running with `allow_unsafe` would skip, and why.
    ///
    /// Without `allow_unsafe` every unsafe action is skipped, and so is recording a link
    /// whose other actions were not all run: the next plan then finds them again.
    pub fn skipped(&self, allow_unsafe: bool) -> Vec<Skipped> {
        self.select(allow_unsafe).1
    }

    /// The actions to run with `allow_unsafe`, and the skipped ones.
    pub(crate) fn select(&self, allow_unsafe: bool) -> (Vec<&Action>, Vec<Skipped>) {
        let mut run = Vec::new();
        let mut skipped: Vec<Skipped> = Vec::new();
        for action in &self.actions {
            let reason = match &action.safety {
                Safety::Unsafe { reason } if !allow_unsafe => Some(SkipReason::Unsafe {
                    reason: reason.clone(),
                }),
                _ if matches!(
                    action.kind,
                    ActionKind::CreateTable | ActionKind::RecordLink
                ) && skipped.iter().any(|s| s.action.table == action.table) =>
                {
                    Some(SkipReason::LinkIncomplete)
                }
                _ => None,
            };
            match reason {
                Some(reason) => skipped.push(Skipped {
                    action: action.clone(),
                    reason,
                }),
                None => run.push(action),
            }
        }
        (run, skipped)
    }
}

impl fmt::Display for Plan {
    /// The plan as SQL: one comment line per action, then its statements.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.actions.is_empty() {
            return writeln!(
                f,
                "-- the database is in sync with the links: nothing to do"
            );
        }
        let unsafe_count = self.actions.iter().filter(|a| !a.is_safe()).count();
        writeln!(
            f,
            "-- link sync plan: {} action(s), {} unsafe",
            self.actions.len(),
            unsafe_count
        )?;
        for action in &self.actions {
            writeln!(f, "\n{}", action.heading())?;
            for statement in &action.up {
                writeln!(f, "{statement}")?;
            }
        }
        Ok(())
    }
}

/// One step of a [`Plan`]: what it does, whether it is safe, and its SQL both ways.
///
/// Prints as a sentence: ``add column `note` to `product_product_brand_brand` ``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    table: String,
    link: String,
    kind: ActionKind,
    safety: Safety,
    up: Vec<String>,
    down: Vec<String>,
}

impl Action {
    /// The link table the action is about (`link_metadata` for the metadata table itself).
    pub fn table(&self) -> &str {
        &self.table
    }

    /// What the action does.
    pub fn kind(&self) -> &ActionKind {
        &self.kind
    }

    /// Whether the action may lose data.
    pub fn safety(&self) -> &Safety {
        &self.safety
    }

    /// The comment line that heads the action's statements: `-- [safe] add column ...`.
    pub(crate) fn heading(&self) -> String {
        comment(format_args!("[{}] {self}", self.safety))
    }

    /// Whether the action is [`Safety::Safe`].
    pub fn is_safe(&self) -> bool {
        self.safety == Safety::Safe
    }

    /// The statements that carry the action out, run in one transaction.
    pub fn up(&self) -> &[String] {
        &self.up
    }

    /// The statements that undo it, as far as SQL can (a dropped table comes back empty).
    pub fn down(&self) -> &[String] {
        &self.down
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (table, link) = (&self.table, &self.link);
        match &self.kind {
            ActionKind::CreateMetadataTable => {
                write!(f, "create the link metadata table `{table}`")
            }
            ActionKind::CreateTable => write!(f, "create table `{table}` ({link})"),
            ActionKind::AddColumn { column } => write!(f, "add column `{column}` to `{table}`"),
            ActionKind::AlterColumn { column, from, to } => {
                write!(
                    f,
                    "change column `{column}` of `{table}` from `{from}` to `{to}`"
                )
            }
            ActionKind::ChangeVariants {
                column,
                added,
                removed,
            } => {
                write!(f, "change the variants of column `{column}` of `{table}`")?;
                let listed = crate::error::quoted::<String>;
                let mut sep = ":";
                if !added.is_empty() {
                    write!(f, "{sep} adds {}", listed(added))?;
                    sep = ";";
                }
                if !removed.is_empty() {
                    write!(f, "{sep} removes {}", listed(removed))?;
                }
                Ok(())
            }
            ActionKind::DropColumn { column } => write!(
                f,
                "drop column `{column}` of `{table}`: the link ({link}) does not declare it"
            ),
            ActionKind::CreateIndex { index } => write!(f, "create index `{index}` on `{table}`"),
            ActionKind::DropIndex { index } => write!(
                f,
                "drop index `{index}` of `{table}`: the link ({link}) no longer declares it"
            ),
            ActionKind::RecordLink => write!(f, "record link `{table}` ({link}) as synced"),
            ActionKind::DropTable { .. } => write!(
                f,
                "drop table `{table}`: its link ({link}) is no longer defined"
            ),
            ActionKind::ForgetLink => write!(
                f,
                "forget link `{table}` ({link}): it is no longer defined and its table is gone"
            ),
        }
    }
}

/// What an [`Action`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ActionKind {
    /// Create `link_metadata`, where syncs record the links they synced.
    CreateMetadataTable,
    /// Create a link's pivot table and indexes, and record the link.
    CreateTable,
    /// Add an extra column the link declares and the table lacks.
    AddColumn {
        /// The column.
        column: String,
    },
    /// Change an extra column whose declaration changed since the last sync: a new column
    /// is filled from the old one with `CAST`, then takes its place.
    AlterColumn {
        /// The column.
        column: String,
        /// Its definition at the last sync.
        from: String,
        /// Its definition now.
        to: String,
    },
    /// Change the texts an enum column's check allows, its enum's variants: on PostgreSQL
    /// its named constraint is dropped and made again, on SQLite the column replaced as
    /// [`AlterColumn`](Self::AlterColumn) replaces it. Unsafe when rows hold a text the
    /// check no longer allows, which the reason names.
    ChangeVariants {
        /// The column.
        column: String,
        /// The texts the check allows now and did not, in the enum's order.
        added: Vec<String>,
        /// The texts it allowed and no longer does, in their old order.
        removed: Vec<String>,
    },
    /// Drop a column of a link table that the link does not declare.
    DropColumn {
        /// The column.
        column: String,
    },
    /// Create an index the link declares and the table lacks.
    CreateIndex {
        /// The index.
        index: String,
    },
    /// Drop an index an earlier sync created and the link no longer declares (its side
    /// became a list, or stopped being one).
    DropIndex {
        /// The index.
        index: String,
    },
    /// Write the link's row of `link_metadata`; last of the link's actions.
    RecordLink,
    /// Drop the table of a link that is no longer defined, and forget the link.
    DropTable {
        /// The rows the table holds, soft-deleted ones included.
        rows: i64,
    },
    /// Forget a link that is no longer defined and whose table is already gone.
    ForgetLink,
}

/// Whether an [`Action`] can lose data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Safety {
    /// Loses nothing: run by default.
    Safe,
    /// May lose data, or cannot run on the rows the table holds (a unique index they
    /// break): run only when allowed.
    Unsafe {
        /// What would be lost, or what stands in the way and how to resolve it.
        reason: String,
    },
}

impl fmt::Display for Safety {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Safety::Safe => f.write_str("safe"),
            Safety::Unsafe { reason } => write!(f, "UNSAFE: {reason}"),
        }
    }
}

/// An action that was not run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The action.
    pub action: Action,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// Why an action was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// The action is unsafe and unsafe actions were not allowed.
    Unsafe {
        /// What it would lose.
        reason: String,
    },
    /// Recording the link waits until all of its other actions have run.
    LinkIncomplete,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Unsafe { reason } => write!(f, "unsafe: {reason}"),
            SkipReason::LinkIncomplete => {
                f.write_str("waits until the link's skipped actions have run")
            }
        }
    }
}

/// Plans the sync of every registered link (see [`registered_links`]) with the database.
///
/// Reads the database and changes nothing.
///
/// # Errors
///
/// [`Error::DuplicateTable`](crate::Error::DuplicateTable) if two links claim one table, and
/// [`Error::Database`](crate::Error::Database) if the database cannot be read.
///
/// ```
/// # use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
/// # mod product_brand { use super::*; define_link!(Product, Brand); }
/// use diesel::{Connection, SqliteConnection};
/// use link_runtime::migrate::{apply, plan, ActionKind};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// let first = plan(&mut conn)?;
/// let kinds: Vec<_> = first.actions().iter().map(|action| action.kind().clone()).collect();
/// assert_eq!(kinds, [ActionKind::CreateMetadataTable, ActionKind::CreateTable]);
///
/// apply(&mut conn, &first, false)?;
/// assert!(plan(&mut conn)?.is_empty());
/// # Ok(())
/// # }
/// ```
pub fn plan<C: LinkConnection>(conn: &mut C) -> Result<Plan> {
    plan_for(conn, &registered_links()?)
}

/// [`plan`] on any executor.
pub(crate) async fn plan_in<E: Executor>(conn: &mut E) -> Result<Plan> {
    plan_for_in(conn, &registered_links()?).await
}

/// Plans the sync of the given links, as if they were all the links there are.
///
/// [`plan`] passes the registered links. This form lets a tool or a test plan for another
/// set: one without a link whose file was removed, or with a link as it will be declared.
/// A link table recorded by an earlier sync whose link is not given is planned for a drop.
///
/// # Errors
///
/// As [`plan`]: [`Error::DuplicateTable`] if two of `links` claim one table.
pub fn plan_for<C: LinkConnection>(conn: &mut C, links: &[&LinkSchema]) -> Result<Plan> {
    block_on(plan_for_in(&mut Blocking(conn), links))
}

/// [`plan_for`] on any executor.
pub(crate) async fn plan_for_in<E: Executor>(conn: &mut E, links: &[&LinkSchema]) -> Result<Plan> {
    operation!(
        "link_runtime.plan",
        { links = links.len(), actions = Empty, },
        |span| async {
            let plan = plan_links(conn, links).await?;
            span.record("actions", plan.actions.len());
            Ok(plan)
        }
    )
}

async fn plan_links<E: Executor>(conn: &mut E, links: &[&LinkSchema]) -> Result<Plan> {
    let dialect = E::DIALECT;
    let mut actions = Vec::new();

    let records = if introspect::table_exists(conn, metadata::TABLE).await? {
        metadata::load(conn).await?
    } else {
        actions.push(Action {
            table: metadata::TABLE.to_owned(),
            link: String::new(),
            kind: ActionKind::CreateMetadataTable,
            safety: Safety::Safe,
            up: vec![metadata::create_table_sql(dialect)],
            down: vec![format!("DROP TABLE {};", ident(metadata::TABLE))],
        });
        Vec::new()
    };
    let recorded = |table: &str| records.iter().find(|record| record.table == table);

    let mut defined = BTreeMap::new();
    for schema in links {
        if let Some(first) = defined.insert(schema.table, *schema) {
            return Err(Error::DuplicateTable {
                table: schema.table,
                first: first.describe(),
                second: schema.describe(),
            });
        }
        let previous = recorded(schema.table);
        match introspect::table(conn, schema.table).await? {
            None => actions.push(create_table(schema, dialect, previous)),
            Some(shape) => {
                let base = schema.base_columns();
                if base.iter().all(|column| shape.has_column(column)) {
                    let rows = Rows::new(conn, schema.table);
                    plan_existing(&mut actions, schema, dialect, previous, &shape, rows).await?;
                } else {
                    // The table was made for a link between other models (a link moved
                    // onto a table name another one had): it cannot be altered into this
                    // one's, so it is dropped, and the new one created once it is.
                    let old =
                        previous.map_or_else(|| "not recorded".to_owned(), LinkRecord::describe);
                    let rows = introspect::row_count(conn, schema.table).await?;
                    actions.push(drop_table(schema.table, old, previous, dialect, rows));
                    actions.push(create_table(schema, dialect, previous));
                }
            }
        }
    }

    for record in records
        .iter()
        .filter(|r| !defined.contains_key(r.table.as_str()))
    {
        actions.push(if introspect::table_exists(conn, &record.table).await? {
            let rows = introspect::row_count(conn, &record.table).await?;
            drop_table(
                &record.table,
                record.describe(),
                Some(record),
                dialect,
                rows,
            )
        } else {
            Action {
                table: record.table.clone(),
                link: record.describe(),
                kind: ActionKind::ForgetLink,
                safety: Safety::Safe,
                up: vec![metadata::delete_sql(&record.table)],
                down: vec![record.upsert_sql(dialect)],
            }
        });
    }
    Ok(Plan { dialect, actions })
}

fn create_table(schema: &LinkSchema, dialect: Dialect, previous: Option<&LinkRecord>) -> Action {
    let record = LinkRecord::of(schema, dialect);
    Action {
        table: schema.table.to_owned(),
        link: schema.describe(),
        kind: ActionKind::CreateTable,
        safety: Safety::Safe,
        up: vec![
            schema.create_sql(dialect).trim_end().to_owned(),
            record.upsert_sql(dialect),
        ],
        down: vec![
            format!("DROP TABLE {};", ident(schema.table)),
            restore_record(schema.table, previous, dialect),
        ],
    }
}

/// The statement that puts the metadata of `table` back as it was before a sync.
fn restore_record(table: &str, previous: Option<&LinkRecord>, dialect: Dialect) -> String {
    previous.map_or_else(
        || metadata::delete_sql(table),
        |record| record.upsert_sql(dialect),
    )
}

/// The rows of a link table, counted only if an action's safety depends on them: a sync
/// that changes nothing does not scan its tables.
struct Rows<'a, E> {
    conn: &'a mut E,
    table: &'static str,
    count: Option<i64>,
}

impl<'a, E: Executor> Rows<'a, E> {
    fn new(conn: &'a mut E, table: &'static str) -> Self {
        Rows {
            conn,
            table,
            count: None,
        }
    }

    /// How many rows the table holds, soft-deleted ones included.
    async fn count(&mut self) -> Result<i64> {
        Ok(match self.count {
            Some(rows) => rows,
            None => *self
                .count
                .insert(introspect::row_count(self.conn, self.table).await?),
        })
    }

    /// Safe on an empty table; otherwise unsafe, because of `what`.
    async fn safety(&mut self, what: &str) -> Result<Safety> {
        let rows = self.count().await?;
        Ok(if rows == 0 {
            Safety::Safe
        } else {
            Safety::Unsafe {
                reason: format!("`{}` holds {rows} row(s); {what}", self.table),
            }
        })
    }

    /// Whether a check allowing `allowed` can be put on `column`, whose old check allowed
    /// `before` (`None`: any value): safe unless rows hold a value it refuses, which the
    /// reason names. Asks the table only when `allowed` leaves out a value `before` had.
    async fn check_safety(
        &mut self,
        column: &str,
        before: Option<&[String]>,
        allowed: &[String],
    ) -> Result<Safety> {
        if before.is_some_and(|before| before.iter().all(|value| allowed.contains(value))) {
            return Ok(Safety::Safe);
        }
        if self.count().await? == 0 {
            return Ok(Safety::Safe);
        }
        let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
        let refused = variants::refused(self.conn, self.table, column, &allowed).await?;
        Ok(if refused.count == 0 {
            Safety::Safe
        } else {
            Safety::Unsafe {
                reason: refused.reason(self.table, column),
            }
        })
    }

    /// Whether `index` of `schema` can be created on the rows there: safe unless it is
    /// unique and rows break it (a Medusa table's product with two live brands, where the
    /// link says one), which the reason names, with how to resolve them.
    async fn index_safety(&mut self, schema: &LinkSchema, index: &Index) -> Result<Safety> {
        let Some(key) = index.unique_key() else {
            return Ok(Safety::Safe);
        };
        if self.count().await? == 0 {
            return Ok(Safety::Safe);
        }
        let duplicates = unique::duplicates(self.conn, self.table, key).await?;
        Ok(if duplicates.count == 0 {
            Safety::Safe
        } else {
            Safety::Unsafe {
                reason: duplicates.reason(schema, key),
            }
        })
    }
}

/// The actions that bring an existing link table in line with its link.
async fn plan_existing<E: Executor>(
    actions: &mut Vec<Action>,
    schema: &LinkSchema,
    dialect: Dialect,
    previous: Option<&LinkRecord>,
    shape: &TableShape,
    mut rows: Rows<'_, E>,
) -> Result<()> {
    let table = ident(schema.table);
    let start = actions.len();
    let action = |kind, safety, up: Vec<String>, down: Vec<String>| Action {
        table: schema.table.to_owned(),
        link: schema.describe(),
        kind,
        safety,
        up,
        down,
    };
    // Columns the link does not declare (any more): dropped before anything is added.
    let base = schema.base_columns();
    for (column, kind) in &shape.columns {
        let declared = schema.columns.iter().any(|c| c.name == column);
        if declared || base.contains(&column.as_str()) {
            continue;
        }
        let definition = previous
            .and_then(|record| record.column(column))
            .map_or_else(|| format!("{} {kind}", ident(column)), str::to_owned);
        actions.push(action(
            ActionKind::DropColumn {
                column: column.clone(),
            },
            rows.safety("their values in this column would be lost")
                .await?,
            vec![format!(
                "ALTER TABLE {table} DROP COLUMN {};",
                ident(column)
            )],
            vec![format!("ALTER TABLE {table} ADD COLUMN {definition};")],
        ));
    }

    for column in schema.columns {
        let definition = column.definition(dialect);
        if !shape.has_column(column.name) {
            actions.push(action(
                ActionKind::AddColumn {
                    column: column.name.to_owned(),
                },
                Safety::Safe,
                vec![format!("ALTER TABLE {table} ADD COLUMN {definition};")],
                vec![format!(
                    "ALTER TABLE {table} DROP COLUMN {};",
                    ident(column.name)
                )],
            ));
            continue;
        }
        let Some(recorded) = previous.and_then(|record| record.column(column.name)) else {
            continue;
        };
        if recorded == definition {
            continue;
        }
        let (before, after) = (Check::of(recorded), Check::of(definition));
        if let (Some(before), Some(after)) = (&before, &after) {
            if before.strip(recorded) == after.strip(definition)
                && before.constraint == after.constraint
            {
                let safety = rows
                    .check_safety(column.name, Some(&before.values), &after.values)
                    .await?;
                let (up, down) = change_check(
                    dialect,
                    &table,
                    column.name,
                    (recorded, before),
                    (definition, after),
                );
                actions.push(action(
                    ActionKind::ChangeVariants {
                        column: column.name.to_owned(),
                        added: missing_from(&after.values, &before.values),
                        removed: missing_from(&before.values, &after.values),
                    },
                    safety,
                    up,
                    down,
                ));
                continue;
            }
        }
        // Read without the checks, whose texts may hold anything.
        let unchecked = |definition, check: &Option<Check>| {
            check
                .as_ref()
                .map_or(definition, |check| check.strip(definition))
        };
        let (old, new) = (unchecked(recorded, &before), unchecked(definition, &after));
        let converts = column_type(old) != column_type(new)
            || old.contains("NOT NULL") != new.contains("NOT NULL");
        let safety = if converts {
            rows.safety("converting their values may fail or change them")
                .await?
        } else if let Some(after) = &after {
            // Text that becomes an enum, or an enum whose default changed: the values stay,
            // if the check allows them.
            let before = before.as_ref().map(|before| &before.values[..]);
            rows.check_safety(column.name, before, &after.values)
                .await?
        } else {
            // Only the default changed: the copy keeps every value as it is.
            Safety::Safe
        };
        actions.push(action(
            ActionKind::AlterColumn {
                column: column.name.to_owned(),
                from: recorded.to_owned(),
                to: definition.to_owned(),
            },
            safety,
            replace_column(dialect, &table, column.name, recorded, definition),
            replace_column(dialect, &table, column.name, definition, recorded),
        ));
    }

    let expected: BTreeSet<&str> = schema.indexes.iter().map(|index| index.name).collect();
    for (index, sql) in previous.map_or(&[][..], |record| &record.indexes) {
        if !expected.contains(index.as_str()) && shape.has_index(index) {
            actions.push(action(
                ActionKind::DropIndex {
                    index: index.clone(),
                },
                Safety::Safe,
                vec![format!("DROP INDEX {};", ident(index))],
                vec![sql.clone()],
            ));
        }
    }
    for index in schema.indexes {
        if !shape.has_index(index.name) {
            actions.push(action(
                ActionKind::CreateIndex {
                    index: index.name.to_owned(),
                },
                rows.index_safety(schema, index).await?,
                vec![index.sql.to_owned()],
                vec![format!("DROP INDEX IF EXISTS {};", ident(index.name))],
            ));
        }
    }

    let record = LinkRecord::found(schema, dialect, shape);
    let changed = actions.len() > start;
    if changed || previous.is_none_or(|previous| previous.fingerprint != record.fingerprint) {
        actions.push(action(
            ActionKind::RecordLink,
            Safety::Safe,
            vec![record.upsert_sql(dialect)],
            vec![restore_record(schema.table, previous, dialect)],
        ));
    }
    Ok(())
}

/// The statements that change an enum column's check from `before` to `after` (each with
/// the definition it was read from), and those that change it back: PostgreSQL drops the
/// named constraint and adds it again; SQLite, which cannot alter a check, replaces the
/// column.
fn change_check(
    dialect: Dialect,
    table: &str,
    column: &str,
    before: (&str, &Check),
    after: (&str, &Check),
) -> (Vec<String>, Vec<String>) {
    let swap = |from: &str, (to, check): (&str, &Check)| match (&check.constraint, dialect) {
        (Some(name), Dialect::Postgres) => vec![
            format!("ALTER TABLE {table} DROP CONSTRAINT {};", ident(name)),
            format!(
                "ALTER TABLE {table} ADD CONSTRAINT {} {};",
                ident(name),
                check.clause(to)
            ),
        ],
        _ => replace_column(dialect, table, column, from, to),
    };
    (swap(before.0, after), swap(after.0, before))
}

/// The texts of `texts` that `other` does not hold, in order.
fn missing_from(texts: &[String], other: &[String]) -> Vec<String> {
    texts
        .iter()
        .filter(|text| !other.contains(text))
        .cloned()
        .collect()
}

/// Drops `table`, whose link (`link`, in words) is no longer defined. Its down statements
/// re-create it (empty) from `record`, when a sync recorded it.
fn drop_table(
    table: &str,
    link: String,
    record: Option<&LinkRecord>,
    dialect: Dialect,
    rows: i64,
) -> Action {
    let safety = if rows == 0 {
        Safety::Safe
    } else {
        Safety::Unsafe {
            reason: format!("`{table}` holds {rows} row(s), which would be lost"),
        }
    };
    let down = match record {
        Some(record) => vec![
            record.create_sql.trim_end().to_owned(),
            record.upsert_sql(dialect),
        ],
        None => vec![comment(format_args!(
            "`{table}` cannot be re-created: no sync recorded how it was made"
        ))],
    };
    Action {
        table: table.to_owned(),
        link,
        kind: ActionKind::DropTable { rows },
        safety,
        up: vec![
            format!("DROP TABLE {};", ident(table)),
            metadata::delete_sql(table),
        ],
        down,
    }
}
