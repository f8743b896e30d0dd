//! Deleting the links of records, following `delete_cascade`, and undoing it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName};

use super::{cardinality_error, ids_per_statement};
use crate::backend::LinkConnection;
use crate::databases::{Connections, OneConnection, Place};
use crate::definition::{ColumnValue, LinkSchema, Side};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::linkable::Linkable;
use crate::registry::registered_links;

/// The error a module returns when it cannot soft-delete or restore its records.
pub type ModuleError = Box<dyn std::error::Error + Send + Sync>;

/// How a module soft-deletes and restores its own records when a `delete_cascade` link
/// asks for it.
///
/// The runtime never writes a module's tables itself: a module that is the target of a
/// `delete_cascade` implements this for its model, on the connection type its records live
/// on, and the caller passes it to [`delete`] and [`restore`] in [`Modules`].
///
/// ```
/// use diesel::prelude::*;
/// use diesel::SqliteConnection;
/// use link_runtime::prelude::*;
/// use link_runtime::service::{ModuleError, SoftDelete};
///
/// diesel::table! { brand (id) { id -> Text, deleted_at -> Nullable<Timestamp> } }
///
/// #[derive(Linkable)]
/// #[linkable(module = "brand")]
/// pub struct Brand { pub id: String }
///
/// impl SoftDelete<SqliteConnection> for Brand {
///     fn soft_delete(conn: &mut SqliteConnection, ids: &[Id<Brand>]) -> Result<(), ModuleError> {
///         let ids = ids.iter().map(Id::as_str);
///         diesel::update(brand::table.filter(brand::id.eq_any(ids)))
///             .set(brand::deleted_at.eq(diesel::dsl::now.nullable()))
///             .execute(conn)?;
///         Ok(())
///     }
///
///     fn restore(conn: &mut SqliteConnection, ids: &[Id<Brand>]) -> Result<(), ModuleError> {
///         let ids = ids.iter().map(Id::as_str);
///         diesel::update(brand::table.filter(brand::id.eq_any(ids)))
///             .set(brand::deleted_at.eq(None::<chrono::NaiveDateTime>))
///             .execute(conn)?;
///         Ok(())
///     }
/// }
/// # fn main() {}
/// ```
pub trait SoftDelete<C>: Linkable {
    /// Soft-deletes the records `ids`.
    ///
    /// # Errors
    ///
    /// Whatever keeps the module from doing it; the whole [`delete`] is then undone.
    fn soft_delete(conn: &mut C, ids: &[Id<Self>]) -> Result<(), ModuleError>;

    /// Restores the soft-deleted records `ids`.
    ///
    /// # Errors
    ///
    /// Whatever keeps the module from doing it; the whole [`restore`] is then undone.
    fn restore(conn: &mut C, ids: &[Id<Self>]) -> Result<(), ModuleError>;
}

type Handler<C> = fn(&mut C, &[String]) -> Result<(), ModuleError>;

/// The modules [`delete`] may cascade into, each with its [`SoftDelete`].
///
/// ```
/// # use diesel::SqliteConnection;
/// # use link_runtime::prelude::*;
/// # use link_runtime::service::{ModuleError, SoftDelete};
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
/// # impl SoftDelete<SqliteConnection> for Brand {
/// #     fn soft_delete(_: &mut SqliteConnection, _: &[Id<Brand>]) -> Result<(), ModuleError> { Ok(()) }
/// #     fn restore(_: &mut SqliteConnection, _: &[Id<Brand>]) -> Result<(), ModuleError> { Ok(()) }
/// # }
/// use link_runtime::service::Modules;
///
/// let modules = Modules::<SqliteConnection>::new().with::<Brand>();
/// assert!(modules.handles("brand", "brand"));
/// ```
pub struct Modules<C> {
    handlers: Vec<(Record, Handler<C>, Handler<C>)>,
}

impl<C> Modules<C> {
    /// No module: [`delete`] then refuses any cascade.
    pub fn new() -> Self {
        Modules {
            handlers: Vec::new(),
        }
    }

    /// Adds the model `T`, whose records [`delete`] may soft-delete through
    /// [`SoftDelete`].
    #[must_use]
    pub fn with<T: SoftDelete<C>>(mut self) -> Self {
        let record = Record {
            module: T::MODULE,
            model: T::MODEL,
        };
        self.handlers.retain(|(known, _, _)| *known != record);
        self.handlers
            .push((record, erased_soft_delete::<T, C>, erased_restore::<T, C>));
        self
    }

    /// Whether the model `module`/`model` was added.
    pub fn handles(&self, module: &str, model: &str) -> bool {
        self.find(module, model).is_some()
    }

    fn find(&self, module: &str, model: &str) -> Option<&(Record, Handler<C>, Handler<C>)> {
        self.handlers
            .iter()
            .find(|(record, _, _)| record.module == module && record.model == model)
    }
}

impl<C> Default for Modules<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C> fmt::Debug for Modules<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.handlers.iter().map(|(record, _, _)| record))
            .finish()
    }
}

fn erased_soft_delete<T: SoftDelete<C>, C>(
    conn: &mut C,
    ids: &[String],
) -> Result<(), ModuleError> {
    let ids: Vec<Id<T>> = ids.iter().map(Id::new).collect();
    T::soft_delete(conn, &ids)
}

fn erased_restore<T: SoftDelete<C>, C>(conn: &mut C, ids: &[String]) -> Result<(), ModuleError> {
    let ids: Vec<Id<T>> = ids.iter().map(Id::new).collect();
    T::restore(conn, &ids)
}

/// A linkable model, by module and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Record {
    /// The module that owns the model.
    pub module: &'static str,
    /// The model's name.
    pub model: &'static str,
}

impl Record {
    fn of(side: &Side) -> Self {
        Record {
            module: side.module,
            model: side.model,
        }
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.module, self.model)
    }
}

/// What [`delete`] did, and what [`restore`] undoes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Deletion {
    /// The pivot rows that were soft-deleted, by link table: their `id`s.
    pub links: BTreeMap<&'static str, Vec<String>>,
    /// The records soft-deleted by `delete_cascade`, by model.
    pub cascaded: BTreeMap<Record, Vec<String>>,
    /// The records `delete_cascade` spared because another live link of the same link still
    /// holds them, by model.
    pub kept: BTreeMap<Record, Vec<String>>,
}

impl Deletion {
    /// How many pivot rows were soft-deleted.
    pub fn link_count(&self) -> usize {
        self.links.values().map(Vec::len).sum()
    }
}

/// Soft-deletes every live link of the records `ids` of the model `M`, in every registered
/// link, and follows `delete_cascade` into the linked modules; all in one transaction.
///
/// As in Medusa's `link.delete`, the records themselves are left alone (their module
/// deletes them), and `delete_cascade` on a side means that deleting a record of the
/// *other* side soft-deletes its linked records of this side: with
/// `define_link!(Product, Brand(delete_cascade))`, deleting a product's links soft-deletes
/// its brand, through the brand module's [`SoftDelete`] in `modules`. A cascaded record's
/// own links are deleted in turn, and so on.
///
/// Unlike Medusa, a cascade spares a record that another live link of the same link still
/// holds (a brand that other products still have): it is listed in [`Deletion::kept`], and
/// no live link is left pointing at a deleted record.
///
/// [`restore`] undoes exactly what the returned [`Deletion`] lists.
///
/// # Errors
///
/// [`Error::NoSoftDelete`] if a cascade reaches a model that `modules` lacks,
/// [`Error::Module`] if a module fails, and [`Error::Database`]; in every case nothing is
/// deleted.
pub fn delete<M, C>(conn: &mut C, modules: &Modules<C>, ids: &[Id<M>]) -> Result<Deletion>
where
    M: Linkable,
    C: LinkConnection,
{
    conn.transaction(|conn| delete_in(&mut OneConnection(conn), modules, ids))
}

/// [`delete`] on `conns`, in the transactions the caller opened.
pub(crate) fn delete_in<M, X>(
    conns: &mut X,
    modules: &Modules<X::Conn>,
    ids: &[Id<M>],
) -> Result<Deletion>
where
    M: Linkable,
    X: Connections,
{
    let links = registered_links()?;
    let ids = ids.iter().map(|id| id.as_str().to_owned()).collect();
    let root = Record {
        module: M::MODULE,
        model: M::MODEL,
    };
    delete_links(conns, modules, &links, root, ids)
}

#[derive(QueryableByName)]
struct DeletedRow {
    #[diesel(sql_type = Text)]
    link_id: String,
    #[diesel(sql_type = Text)]
    partner: String,
}

fn delete_links<X: Connections>(
    conns: &mut X,
    modules: &Modules<X::Conn>,
    links: &[&'static LinkSchema],
    root: Record,
    ids: Vec<String>,
) -> Result<Deletion> {
    let dialect = <X::Conn as LinkConnection>::DIALECT;
    let mut deletion = Deletion::default();
    let mut seen: BTreeSet<(Record, String)> = ids.iter().map(|id| (root, id.clone())).collect();
    let mut queue = VecDeque::from([(root, ids)]);
    while let Some((record, ids)) = queue.pop_front() {
        for &schema in links {
            for (side, other) in schema.sides_of(record.module, record.model) {
                let conn = conns.conn(Place::Link(schema.table))?;
                let mut partners = BTreeSet::new();
                for chunk in ids.chunks(ids_per_statement(dialect)) {
                    let sql = format!(
                        r#"UPDATE "{table}" SET "deleted_at" = {now} WHERE "{side}" IN ({list}) AND "deleted_at" IS NULL RETURNING "id" AS link_id, "{other}" AS partner"#,
                        table = schema.table,
                        now = dialect.now(),
                        side = side.column,
                        other = other.column,
                        list = dialect.placeholders(1, chunk.len()),
                    );
                    let binds: Vec<ColumnValue<'_>> =
                        chunk.iter().map(|id| ColumnValue::Text(id)).collect();
                    for row in conn.load_rows::<DeletedRow>(&sql, &binds)? {
                        deletion
                            .links
                            .entry(schema.table)
                            .or_default()
                            .push(row.link_id);
                        partners.insert(row.partner);
                    }
                }
                if !other.delete_cascade || partners.is_empty() {
                    continue;
                }
                let target = Record::of(other);
                // The rows just deleted are gone from the live set: a partner still in it is
                // held by another record.
                let partner_list: Vec<&str> = partners.iter().map(String::as_str).collect();
                let held = super::live_partners(conn, schema, other, side, &partner_list)?;
                let mut cascade = Vec::new();
                for partner in partners {
                    if held.contains_key(&partner) {
                        deletion.kept.entry(target).or_default().push(partner);
                    } else if seen.insert((target, partner.clone())) {
                        cascade.push(partner);
                    }
                }
                if cascade.is_empty() {
                    continue;
                }
                let (_, soft_delete, _) =
                    modules
                        .find(target.module, target.model)
                        .ok_or(Error::NoSoftDelete {
                            module: target.module,
                            model: target.model,
                        })?;
                let conn = conns.conn(Place::Module(target.module))?;
                soft_delete(conn, &cascade).map_err(|source| Error::Module {
                    module: target.module,
                    model: target.model,
                    action: "soft-delete",
                    source,
                })?;
                deletion
                    .cascaded
                    .entry(target)
                    .or_default()
                    .extend(cascade.iter().cloned());
                queue.push_back((target, cascade));
            }
        }
    }
    Ok(deletion)
}

#[derive(QueryableByName)]
struct PairRow {
    #[diesel(sql_type = Text)]
    left_id: String,
    #[diesel(sql_type = Text)]
    right_id: String,
}

/// Undoes a [`delete`]: makes its pivot rows live again and restores the records it
/// cascaded into, through `modules`; all in one transaction. Links that were dismissed
/// before the delete stay dismissed. Returns how many pivot rows are live again.
///
/// # Errors
///
/// [`Error::Cardinality`] if a record got another live partner since the delete (a one-to-
/// one brand linked anew, say), [`Error::UnknownLink`] if a link of the deletion is no
/// longer registered, [`Error::NoSoftDelete`] or [`Error::Module`] for the modules, and
/// [`Error::Database`]; in every case nothing is restored.
pub fn restore<C: LinkConnection>(
    conn: &mut C,
    modules: &Modules<C>,
    deletion: &Deletion,
) -> Result<usize> {
    conn.transaction(|conn| restore_in(&mut OneConnection(conn), modules, deletion))
}

/// [`restore`] on `conns`, in the transactions the caller opened.
pub(crate) fn restore_in<X: Connections>(
    conns: &mut X,
    modules: &Modules<X::Conn>,
    deletion: &Deletion,
) -> Result<usize> {
    let links = registered_links()?;
    let mut schemas = Vec::new();
    for (&table, ids) in &deletion.links {
        let schema = links
            .iter()
            .find(|schema| schema.table == table)
            .ok_or_else(|| Error::UnknownLink {
                table: table.to_owned(),
            })?;
        schemas.push((*schema, ids));
    }
    let dialect = <X::Conn as LinkConnection>::DIALECT;
    let mut restored = 0;
    for &(schema, ids) in &schemas {
        let conn = conns.conn(Place::Link(schema.table))?;
        for chunk in ids.chunks(ids_per_statement(dialect)) {
            let sql = format!(
                r#"UPDATE "{table}" SET "deleted_at" = NULL, "updated_at" = {now} WHERE "id" IN ({list}) AND "deleted_at" IS NOT NULL"#,
                table = schema.table,
                now = dialect.now(),
                list = dialect.placeholders(1, chunk.len()),
            );
            let binds: Vec<ColumnValue<'_>> =
                chunk.iter().map(|id| ColumnValue::Text(id)).collect();
            // A savepoint: after a refusal the transaction can still look up the partner
            // that caused it.
            match conn.transaction(|conn| conn.execute_bound(&sql, &binds)) {
                Ok(count) => restored += count,
                Err(error @ DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                    let pairs = rows_of(conn, schema, ids)?;
                    let pairs: Vec<(&str, &str)> = pairs
                        .iter()
                        .map(|row| (row.left_id.as_str(), row.right_id.as_str()))
                        .collect();
                    return Err(
                        cardinality_error(conn, schema, &pairs)?.unwrap_or(Error::Database(error))
                    );
                }
                Err(error) => return Err(error.into()),
            }
        }
    }
    for (record, ids) in &deletion.cascaded {
        let (_, _, restore) =
            modules
                .find(record.module, record.model)
                .ok_or(Error::NoSoftDelete {
                    module: record.module,
                    model: record.model,
                })?;
        let conn = conns.conn(Place::Module(record.module))?;
        restore(conn, ids).map_err(|source| Error::Module {
            module: record.module,
            model: record.model,
            action: "restore",
            source,
        })?;
    }
    Ok(restored)
}

/// The pairs of the pivot rows `ids`.
fn rows_of<C: LinkConnection>(
    conn: &mut C,
    schema: &LinkSchema,
    ids: &[String],
) -> Result<Vec<PairRow>> {
    let dialect = C::DIALECT;
    let mut rows = Vec::new();
    for chunk in ids.chunks(ids_per_statement(dialect)) {
        let sql = format!(
            r#"SELECT "{left}" AS left_id, "{right}" AS right_id FROM "{table}" WHERE "id" IN ({list})"#,
            left = schema.left.column,
            right = schema.right.column,
            table = schema.table,
            list = dialect.placeholders(1, chunk.len()),
        );
        let binds: Vec<ColumnValue<'_>> = chunk.iter().map(|id| ColumnValue::Text(id)).collect();
        rows.extend(conn.load_rows::<PairRow>(&sql, &binds)?);
    }
    Ok(rows)
}
