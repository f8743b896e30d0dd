//! Deleting the links of records, following `delete_cascade`, and undoing it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::Text;
use diesel::QueryableByName;
use serde::{Serialize, Serializer};

use super::rows::lock_in_order;
use super::{cardinality_error, ids_per_statement};
use crate::backend::retry::retrying;
use crate::backend::{
    block_on, finish, Blocking, Connections, Executor, LinkConnection, OneConnection, Place,
};
use crate::definition::{ColumnValue, LinkSchema, Side};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::linkable::Linkable;
use crate::registry::registered_links;
use crate::trace::operation;

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

/// The public face of a driver's `Modules`, written once for both drivers; each adds
/// `with`, which takes its driver's `SoftDelete`.
macro_rules! modules_face {
    (
        handler: $handler:ty,
        cascade: $executor:ident<H: [$($handle:tt)*]> for $connection:path, run [$($wait:tt)*],
        $(#[$doc:meta])*
    ) => {
        $(#[$doc])*
        pub struct Modules<C> {
            handlers: $crate::service::Handlers<$handler>,
        }

        impl<C> Modules<C> {
            /// No module: `delete` then refuses any cascade.
            pub fn new() -> Self {
                Modules {
                    handlers: ::std::default::Default::default(),
                }
            }

            /// Whether the model `module`/`model` was added.
            pub fn handles(&self, module: &str, model: &str) -> bool {
                self.handlers.handles(module, model)
            }
        }

        impl<C> ::std::default::Default for Modules<C> {
            fn default() -> Self {
                Self::new()
            }
        }

        // By hand: a derive would ask `C` for `Clone`; the handlers are functions.
        impl<C> ::std::clone::Clone for Modules<C> {
            fn clone(&self) -> Self {
                Modules {
                    handlers: self.handlers.clone(),
                }
            }
        }

        impl<C> ::std::fmt::Debug for Modules<C> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.handlers.fmt(f)
            }
        }

        impl<H, C> $crate::service::Cascade<$executor<H>> for Modules<C>
        where
            H: ::std::ops::DerefMut<Target = C> $($handle)*,
            C: $connection,
        {
            async fn run(
                &self,
                conn: &mut $executor<H>,
                record: $crate::service::Record,
                restore: bool,
                ids: &[String],
            ) -> $crate::Result<()> {
                let handler = self.handlers.get(record, restore)?;
                handler(&mut conn.0, ids)$($wait)*
                    .map_err(|source| $crate::service::module_error(record, restore, source))
            }
        }
    };
}

#[cfg(feature = "async")]
pub(crate) use modules_face;

modules_face! {
    handler: Handler<C>,
    cascade: Blocking<H: []> for LinkConnection, run [],
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
}

impl<C> Modules<C> {
    /// Adds the model `T`, whose records [`delete`] may soft-delete through
    /// [`SoftDelete`].
    #[must_use]
    pub fn with<T: SoftDelete<C>>(mut self) -> Self {
        self.handlers.insert::<T>(
            |conn, ids| T::soft_delete(conn, &typed(ids)),
            |conn, ids| T::restore(conn, &typed(ids)),
        );
        self
    }
}

/// The soft-delete and restore handlers of some models, whatever a handler is: a driver's
/// `Modules` holds one.
pub(crate) struct Handlers<H> {
    entries: Vec<(Record, [H; 2])>,
}

impl<H: Clone> Clone for Handlers<H> {
    fn clone(&self) -> Self {
        Handlers {
            entries: self.entries.clone(),
        }
    }
}

impl<H> Default for Handlers<H> {
    fn default() -> Self {
        Handlers {
            entries: Vec::new(),
        }
    }
}

impl<H> Handlers<H> {
    /// The handlers of `T`, in place of any it had.
    pub(crate) fn insert<T: Linkable>(&mut self, soft_delete: H, restore: H) {
        let record = Record {
            module: T::MODULE,
            model: T::MODEL,
        };
        self.entries.retain(|(known, _)| *known != record);
        self.entries.push((record, [soft_delete, restore]));
    }

    /// Whether the model `module`/`model` has handlers.
    pub(crate) fn handles(&self, module: &str, model: &str) -> bool {
        self.entries
            .iter()
            .any(|(record, _)| record.module == module && record.model == model)
    }

    /// The handler that soft-deletes (`restore` false) or restores records of `record`.
    pub(crate) fn get(&self, record: Record, restore: bool) -> Result<&H> {
        self.entries
            .iter()
            .find(|(known, _)| *known == record)
            .map(|(_, handlers)| &handlers[usize::from(restore)])
            .ok_or(Error::NoSoftDelete {
                module: record.module,
                model: record.model,
            })
    }
}

impl<H> fmt::Debug for Handlers<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|(record, _)| record))
            .finish()
    }
}

/// Raw ids as ids of `T`, for a module's handler.
pub(crate) fn typed<T>(ids: &[String]) -> Vec<Id<T>> {
    ids.iter().map(Id::new).collect()
}

/// A module handler's failure, as the runtime reports it.
pub(crate) fn module_error(record: Record, restore: bool, source: ModuleError) -> Error {
    Error::Module {
        module: record.module,
        model: record.model,
        action: if restore { "restore" } else { "soft-delete" },
        source,
    }
}

/// What soft-deletes and restores records of the modules for [`delete_in`] and
/// [`restore_in`], on the executor `E` the module's database is reached through: a
/// driver's `Modules`.
pub(crate) trait Cascade<E> {
    /// Soft-deletes (`restore` false) or restores the records `ids` of `record`'s model.
    async fn run(&self, conn: &mut E, record: Record, restore: bool, ids: &[String]) -> Result<()>;
}

/// A linkable model, by module and name.
///
/// It displays and serializes as `module.model`, a string, so that it can key the maps of
/// a [`Deletion`] in JSON.
///
/// ```
/// use link_runtime::service::Record;
///
/// let record = Record { module: "supplier", model: "supplier" };
/// assert_eq!(record.to_string(), "supplier.supplier");
/// assert_eq!(serde_json::to_value(record).unwrap(), "supplier.supplier");
/// ```
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
            module: side.module(),
            model: side.model(),
        }
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.module, self.model)
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// What [`delete`] did, and what [`restore`] undoes.
///
/// It serializes as an object of its three maps, each sorted by key: `links` by link
/// table, `cascaded` and `kept` by [`Record`] (`module.model`), each to a list of ids.
///
/// ```
/// use link_runtime::service::{Deletion, Record};
/// use serde_json::json;
///
/// let supplier = Record { module: "supplier", model: "supplier" };
/// let mut deletion = Deletion::default();
/// deletion.links.insert("product_product_supplier_supplier", vec!["pl_01".to_owned()]);
/// deletion.cascaded.insert(supplier, vec!["sup_b".to_owned()]);
/// assert_eq!(
///     serde_json::to_value(&deletion).unwrap(),
///     json!({
///         "links": { "product_product_supplier_supplier": ["pl_01"] },
///         "cascaded": { "supplier.supplier": ["sup_b"] },
///         "kept": {},
///     })
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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

    /// Whether the deletion soft-deleted nothing: no link, no cascaded record, so that
    /// restoring it has nothing to do.
    ///
    /// ```
    /// use link_runtime::service::Deletion;
    ///
    /// let mut deletion = Deletion::default();
    /// assert!(deletion.is_empty());
    /// deletion.links.insert("product_product_brand_brand", vec!["link_01".to_owned()]);
    /// assert!(!deletion.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.links.values().all(Vec::is_empty) && self.cascaded.values().all(Vec::is_empty)
    }

    /// A short description, for a step's name: `delete product (p1)`, or the number of
    /// records deleted.
    pub(crate) fn describe<M: Linkable>(ids: &[Id<M>]) -> String {
        let model = M::MODEL;
        match ids {
            [id] => format!("delete {model} ({})", id.as_str()),
            _ => format!("delete {} {model} records", ids.len()),
        }
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
    block_on(delete_alone(
        &mut OneConnection(Blocking(conn)),
        modules,
        ids,
    ))
}

/// [`delete`] in a transaction of its own on one connection, run again if the database
/// gives it up for concurrent writers (see [`retrying`]).
pub(crate) async fn delete_alone<M, E>(
    conns: &mut OneConnection<E>,
    modules: &impl Cascade<E>,
    ids: &[Id<M>],
) -> Result<Deletion>
where
    M: Linkable,
    E: Executor,
{
    retrying!(&mut conns.0, {
        conns.0.begin().await?;
        let outcome = delete_in(conns, modules, ids).await;
        finish(&mut conns.0, outcome).await
    })
}

/// [`delete`] on `conns`, in the transactions the caller opened.
pub(crate) async fn delete_in<M, X>(
    conns: &mut X,
    modules: &impl Cascade<X::Conn>,
    ids: &[Id<M>],
) -> Result<Deletion>
where
    M: Linkable,
    X: Connections,
{
    operation!(
        "link_runtime.delete",
        { model = M::MODEL, records = ids.len(), links = Empty, cascaded = Empty, },
        |span| async {
            let links = registered_links()?;
            let ids = ids.iter().map(|id| id.as_str().to_owned()).collect();
            let root = Record {
                module: M::MODULE,
                model: M::MODEL,
            };
            let deletion = delete_links(conns, modules, &links, root, ids).await?;
            span.record("links", deletion.link_count());
            span.record("cascaded", deletion.cascaded.values().map(Vec::len).sum::<usize>());
            Ok(deletion)
        }
    )
}

#[derive(QueryableByName)]
struct DeletedRow {
    #[diesel(sql_type = Text)]
    link_id: String,
    #[diesel(sql_type = Text)]
    partner: String,
}

async fn delete_links<X: Connections>(
    conns: &mut X,
    modules: &impl Cascade<X::Conn>,
    links: &[&'static LinkSchema],
    root: Record,
    ids: Vec<String>,
) -> Result<Deletion> {
    let dialect = <X::Conn as Executor>::DIALECT;
    let mut deletion = Deletion::default();
    let mut seen: BTreeSet<(Record, String)> = ids.iter().map(|id| (root, id.clone())).collect();
    let mut queue = VecDeque::from([(root, ids)]);
    while let Some((record, ids)) = queue.pop_front() {
        for &schema in links {
            for (side, other) in schema.sides_of(record.module, record.model) {
                let conn = conns.conn(Place::Link(schema.table)).await?;
                let mut partners = BTreeSet::new();
                for chunk in ids.chunks(ids_per_statement(dialect)) {
                    let rows = format!(
                        r#""{side}" IN ({list})"#,
                        side = side.column,
                        list = dialect.placeholders(1, chunk.len()),
                    );
                    let binds: Vec<ColumnValue<'_>> =
                        chunk.iter().map(|id| ColumnValue::Text(id)).collect();
                    let target = lock_in_order(conn, schema, &rows, &binds).await?;
                    let (condition, binds) =
                        target.matching(dialect, &rows, r#""deleted_at" IS NULL"#, binds);
                    let sql = format!(
                        r#"UPDATE "{table}" SET "deleted_at" = {now} WHERE {condition} RETURNING "id" AS link_id, "{other}" AS partner"#,
                        table = schema.table,
                        now = dialect.now(),
                        other = other.column,
                    );
                    for row in conn.load::<DeletedRow>(&sql, &binds).await? {
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
                let held = super::live_partners(conn, schema, other, side, &partner_list).await?;
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
                let conn = conns.conn(Place::Module(target.module)).await?;
                modules.run(conn, target, false, &cascade).await?;
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
    block_on(restore_alone(
        &mut OneConnection(Blocking(conn)),
        modules,
        deletion,
    ))
}

/// [`restore`] in a transaction of its own on one connection, run again if the database
/// gives it up for concurrent writers (see [`retrying`]).
pub(crate) async fn restore_alone<E: Executor>(
    conns: &mut OneConnection<E>,
    modules: &impl Cascade<E>,
    deletion: &Deletion,
) -> Result<usize> {
    retrying!(&mut conns.0, {
        conns.0.begin().await?;
        let outcome = restore_in(conns, modules, deletion).await;
        finish(&mut conns.0, outcome).await
    })
}

/// [`restore`] on `conns`, in the transactions the caller opened.
pub(crate) async fn restore_in<X: Connections>(
    conns: &mut X,
    modules: &impl Cascade<X::Conn>,
    deletion: &Deletion,
) -> Result<usize> {
    operation!(
        "link_runtime.restore",
        { links = deletion.link_count(), restored = Empty, },
        |span| async {
            let restored = restore_links(conns, modules, deletion).await?;
            span.record("restored", restored);
            Ok(restored)
        }
    )
}

async fn restore_links<X: Connections>(
    conns: &mut X,
    modules: &impl Cascade<X::Conn>,
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
    let dialect = <X::Conn as Executor>::DIALECT;
    let mut restored = 0;
    for &(schema, ids) in &schemas {
        let conn = conns.conn(Place::Link(schema.table)).await?;
        for chunk in ids.chunks(ids_per_statement(dialect)) {
            let rows = format!(
                r#""id" IN ({list})"#,
                list = dialect.placeholders(1, chunk.len()),
            );
            let binds: Vec<ColumnValue<'_>> =
                chunk.iter().map(|id| ColumnValue::Text(id)).collect();
            // A savepoint: after a refusal the transaction can still look up the partner
            // that caused it.
            conn.begin().await?;
            let outcome = async {
                let target = lock_in_order(conn, schema, &rows, &binds).await?;
                let (condition, binds) =
                    target.matching(dialect, &rows, r#""deleted_at" IS NOT NULL"#, binds.clone());
                let sql = format!(
                    r#"UPDATE "{table}" SET "deleted_at" = NULL, "updated_at" = {now} WHERE {condition}"#,
                    table = schema.table,
                    now = dialect.now(),
                );
                conn.execute(&sql, &binds).await
            }
            .await;
            match finish(conn, outcome).await {
                Ok(count) => restored += count,
                Err(error @ DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                    let pairs = rows_of(conn, schema, ids).await?;
                    let pairs: Vec<(&str, &str)> = pairs
                        .iter()
                        .map(|row| (row.left_id.as_str(), row.right_id.as_str()))
                        .collect();
                    return Err(cardinality_error(conn, schema, &pairs)
                        .await?
                        .unwrap_or(Error::Database(error)));
                }
                Err(error) => return Err(error.into()),
            }
        }
    }
    for (&record, ids) in &deletion.cascaded {
        let conn = conns.conn(Place::Module(record.module)).await?;
        modules.run(conn, record, true, ids).await?;
    }
    Ok(restored)
}

/// The pairs of the pivot rows `ids`.
async fn rows_of<E: Executor>(
    conn: &mut E,
    schema: &LinkSchema,
    ids: &[String],
) -> Result<Vec<PairRow>> {
    let dialect = E::DIALECT;
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
        rows.extend(conn.load::<PairRow>(&sql, &binds).await?);
    }
    Ok(rows)
}
