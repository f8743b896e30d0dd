//! Link steps with compensation: Medusa's `createRemoteLinkStep` and
//! `dismissRemoteLinkStep`, without a workflow engine.
//!
//! A unit of work that touches several modules cannot run in one transaction when the
//! modules sit in different databases. [`Steps`] records each step it runs with the step that
//! undoes it; when a later step fails, [`Steps::run`] undoes the earlier ones in reverse
//! order:
//!
//! - a created link is dismissed again, and a link that `create_with` changed gets its
//!   previous extra column values back;
//! - a dismissed link is created again with the extra column values it had (its row, `id`
//!   and `created_at` come back with it);
//! - a step of the application's own, such as inserting a product, is undone by what it
//!   registers with [`Steps::on_undo`].
//!
//! Each link step is one transaction on the link's database, so a step that fails leaves
//! nothing of its own behind and has nothing to undo.
//!
//! ```
//! use diesel::connection::SimpleConnection;
//! use diesel::{Connection, RunQueryDsl, SqliteConnection};
//! use link_runtime::databases::{Database, Databases};
//! use link_runtime::prelude::*;
//! use link_runtime::steps::Steps;
//!
//! #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
//! #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
//! mod product_brand { use super::*; define_link!(Product(is_list), Brand); }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let main = Database::from_connection(SqliteConnection::establish(":memory:")?);
//! let databases = Databases::new(&main);
//! databases.migrate()?;
//! databases.for_module("product")?.batch_execute("CREATE TABLE product (id TEXT PRIMARY KEY)")?;
//!
//! let outcome = Steps::run(&databases, |steps| {
//!     // A step of the product module, and how to undo it.
//!     diesel::sql_query("INSERT INTO product VALUES ('p1')")
//!         .execute(&mut *steps.databases().for_module("product")?)?;
//!     steps.on_undo("insert product p1", |databases| {
//!         diesel::sql_query("DELETE FROM product WHERE id = 'p1'")
//!             .execute(&mut *databases.for_module("product")?)?;
//!         Ok(())
//!     });
//!     // A link step: undone by dismissing the link.
//!     steps.create::<product_brand::Link>(Product::id("p1"), Brand::id("b1"))?;
//!     // A later step fails.
//!     Err::<(), Box<dyn std::error::Error + Send + Sync>>("payment refused".into())
//! });
//!
//! let failed = outcome.unwrap_err();
//! assert_eq!(failed.error.to_string(), "payment refused");
//! assert!(failed.compensation.is_complete());
//! assert_eq!(failed.compensation.undone.len(), 2);
//! let mut conn = databases.for_link::<product_brand::Link>()?;
//! assert!(product_brand::Link::list(&mut *conn, &Default::default())?.is_empty());
//! # Ok(())
//! # }
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use crate::backend::{block_on, Blocking, LinkConnection};
use crate::databases::Databases;
use crate::definition::{ExtraColumns, LinkDefinition};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::service::{self, Created, ListFilter, ModuleError, Pair, PairWith};

/// How a step is undone: run once, on the same databases, by [`Steps::compensate`].
type UndoFn<'d, C> = Box<dyn FnOnce(&Databases<C>) -> std::result::Result<(), ModuleError> + 'd>;

/// A unit of work's steps so far, each with the step that undoes it.
///
/// [`Steps::run`] is the usual way in: it hands a `Steps` to the work and compensates if the
/// work fails or panics. Used by hand, a `Steps` ends with [`complete`](Self::complete)
/// (keep everything) or [`compensate`](Self::compensate) (undo everything, last step
/// first); dropped without either, it keeps everything.
///
/// Link steps take the link's connection from [`Databases`] for each step and let it go
/// before the next one, so code that holds a checkout of the same database across a link
/// step needs a source with more than one connection (a pool), not
/// [`Database::from_connection`](crate::databases::Database::from_connection).
#[must_use = "a unit of work ends with `complete` or `compensate`"]
pub struct Steps<'d, C> {
    databases: &'d Databases<C>,
    undo: Vec<(String, UndoFn<'d, C>)>,
}

impl<C> fmt::Debug for Steps<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Steps")
            .field(
                "undo",
                &self.undo.iter().map(|(step, _)| step).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl<'d, C: LinkConnection> Steps<'d, C> {
    /// A unit of work on `databases`, with no step yet.
    pub fn new(databases: &'d Databases<C>) -> Self {
        Steps {
            databases,
            undo: Vec::new(),
        }
    }

    /// Runs `work` with a new `Steps`. If `work` returns an error, the steps it ran are
    /// undone, last first, and the error comes back in [`Failed`] with what the undoing
    /// did. If `work` panics, the steps are undone and the panic goes on (an undo that
    /// fails then is reported on standard error, the only place left to say it).
    ///
    /// # Errors
    ///
    /// [`Failed`], holding `work`'s error and the [`Compensation`].
    ///
    /// ```
    /// # use diesel::{Connection, SqliteConnection};
    /// # use link_runtime::databases::{Database, Databases};
    /// # use link_runtime::prelude::*;
    /// # use link_runtime::steps::Steps;
    /// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
    /// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
    /// # mod product_brand { use super::*; define_link!(Product(is_list), Brand); }
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let main = Database::from_connection(SqliteConnection::establish(":memory:")?);
    /// # let databases = Databases::new(&main);
    /// # databases.migrate()?;
    /// // Work that succeeds keeps its steps.
    /// let created = Steps::run(&databases, |steps| {
    ///     steps.create::<product_brand::Link>(Product::id("p1"), Brand::id("b1"))
    /// })?;
    /// assert_eq!(created, link_runtime::Created::Inserted);
    /// # Ok(())
    /// # }
    /// ```
    pub fn run<T, E>(
        databases: &'d Databases<C>,
        work: impl FnOnce(&mut Steps<'d, C>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, Failed<E>> {
        let mut steps = Steps::new(databases);
        match panic::catch_unwind(AssertUnwindSafe(|| work(&mut steps))) {
            Ok(Ok(value)) => {
                steps.complete();
                Ok(value)
            }
            Ok(Err(error)) => Err(Failed {
                error,
                compensation: steps.compensate(),
            }),
            Err(panic) => {
                let compensation = steps.compensate();
                for failure in &compensation.failures {
                    eprintln!(
                        "link_runtime: after a panic, could not undo `{}`: {}",
                        failure.step, failure.error
                    );
                }
                panic::resume_unwind(panic)
            }
        }
    }

    /// The databases the steps run on, for the application's own steps.
    pub fn databases(&self) -> &'d Databases<C> {
        self.databases
    }

    /// How many steps have something to undo.
    pub fn len(&self) -> usize {
        self.undo.len()
    }

    /// Whether no step has anything to undo.
    pub fn is_empty(&self) -> bool {
        self.undo.is_empty()
    }

    /// Registers how to undo a step the application ran itself (creating a product, say),
    /// to run if a later step fails. `step` names it in the [`Compensation`].
    ///
    /// ```
    /// # use diesel::{Connection, SqliteConnection};
    /// # use link_runtime::databases::{Database, Databases};
    /// use link_runtime::steps::Steps;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let main = Database::from_connection(SqliteConnection::establish(":memory:")?);
    /// # let databases = Databases::new(&main);
    /// let mut undone = false;
    /// let mut steps = Steps::new(&databases);
    /// steps.on_undo("reserve stock", |_databases| {
    ///     undone = true;
    ///     Ok(())
    /// });
    /// let compensation = steps.compensate();
    /// assert_eq!(compensation.undone, ["reserve stock"]);
    /// assert!(undone);
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_undo(
        &mut self,
        step: impl Into<String>,
        undo: impl FnOnce(&Databases<C>) -> std::result::Result<(), ModuleError> + 'd,
    ) {
        self.undo.push((step.into(), Box::new(undo)));
    }

    /// Links `left` to `right` with `L` (see [`service::create`]); undone by dismissing
    /// the link, unless it was live already.
    ///
    /// # Errors
    ///
    /// As [`service::create`], and [`Error::Connection`]; nothing is written, and nothing
    /// is recorded to undo.
    pub fn create<L: LinkDefinition>(
        &mut self,
        left: Id<L::Left>,
        right: Id<L::Right>,
    ) -> Result<Created> {
        Ok(self.create_many::<L>(&[(left, right)])?[0])
    }

    /// Links many pairs with `L` in one transaction (see [`service::create_many`]); undone
    /// by dismissing the pairs that were not live already.
    ///
    /// # Errors
    ///
    /// As [`Steps::create`].
    pub fn create_many<L: LinkDefinition>(&mut self, pairs: &[Pair<L>]) -> Result<Vec<Created>> {
        let created = {
            let mut conn = self.databases.for_link::<L>()?;
            service::create_many::<L, C>(&mut *conn, pairs)?
        };
        let mut seen = HashSet::new();
        let undo: Vec<Pair<L>> = pairs
            .iter()
            .zip(&created)
            .filter(|(_, created)| matches!(created, Created::Inserted | Created::Revived))
            .map(|(pair, _)| pair.clone())
            .filter(|(left, right)| {
                seen.insert((left.as_str().to_owned(), right.as_str().to_owned()))
            })
            .collect();
        if !undo.is_empty() {
            let step = describe::<L>("create", undo.iter().map(|(l, r)| (l, r)));
            self.on_undo(step, move |databases| {
                let mut conn = databases.for_link::<L>()?;
                service::dismiss_many::<L, C>(&mut *conn, &undo)?;
                Ok(())
            });
        }
        Ok(created)
    }

    /// Links `left` to `right` with `L` and extra column values (see
    /// [`service::create_with`]); undone by dismissing a new link, and by giving a link
    /// that existed its previous values (and, if it was dismissed, dismissing it again).
    ///
    /// # Errors
    ///
    /// As [`Steps::create`].
    pub fn create_with<L: LinkDefinition>(
        &mut self,
        left: Id<L::Left>,
        right: Id<L::Right>,
        columns: L::Columns,
    ) -> Result<Created> {
        Ok(self.create_many_with::<L>(&[(left, right, columns)])?[0])
    }

    /// Links many pairs with `L` and extra column values in one transaction (see
    /// [`service::create_many_with`]); each pair is undone as by [`Steps::create_with`].
    ///
    /// # Errors
    ///
    /// As [`Steps::create`].
    pub fn create_many_with<L: LinkDefinition>(
        &mut self,
        rows: &[PairWith<L>],
    ) -> Result<Vec<Created>> {
        let pairs = rows.iter().map(|(left, right, _)| (left, right));
        let (mut before, created) = {
            let mut conn = self.databases.for_link::<L>()?;
            conn.transaction(|conn| {
                let before = rows_of::<L, C>(conn, pairs.clone(), true)?;
                let created = service::create_many_with::<L, C>(conn, rows)?;
                Ok::<_, Error>((before, created))
            })?
        };
        // What each pair was before: no row (dismiss it), a live row (write its values
        // back), or a dismissed row (dismiss it and write its values back).
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
        let step = describe::<L>("create", rows.iter().map(|(l, r, _)| (l, r)));
        self.on_undo(step, move |databases| {
            let mut conn = databases.for_link::<L>()?;
            conn.transaction(|conn| {
                let to_dismiss: Vec<Pair<L>> = new
                    .into_iter()
                    .chain(dismissed.iter().map(|(l, r, _)| (l.clone(), r.clone())))
                    .collect();
                service::dismiss_many::<L, C>(conn, &to_dismiss)?;
                service::create_many_with::<L, C>(conn, &live)?;
                let values: Vec<_> = dismissed
                    .iter()
                    .map(|(left, right, columns)| (left.as_str(), right.as_str(), columns.values()))
                    .collect();
                block_on(service::overwrite_values(
                    &mut Blocking(conn),
                    L::SCHEMA,
                    &values,
                ))
            })?;
            Ok(())
        });
        Ok(created)
    }

    /// Dismisses the live link between `left` and `right` (see [`service::dismiss`]);
    /// undone by creating it again with the extra column values it had.
    ///
    /// # Errors
    ///
    /// As [`service::dismiss`], and [`Error::Connection`].
    pub fn dismiss<L: LinkDefinition>(
        &mut self,
        left: Id<L::Left>,
        right: Id<L::Right>,
    ) -> Result<bool> {
        Ok(self.dismiss_many::<L>(&[(left, right)])? > 0)
    }

    /// Dismisses the live links of many pairs in one transaction (see
    /// [`service::dismiss_many`]); each is undone as by [`Steps::dismiss`].
    ///
    /// # Errors
    ///
    /// As [`Steps::dismiss`].
    pub fn dismiss_many<L: LinkDefinition>(&mut self, pairs: &[Pair<L>]) -> Result<usize> {
        let (live, dismissed) = {
            let mut conn = self.databases.for_link::<L>()?;
            conn.transaction(|conn| {
                let live = rows_of::<L, C>(conn, pairs.iter().map(|(l, r)| (l, r)), false)?;
                let dismissed = service::dismiss_many::<L, C>(conn, pairs)?;
                Ok::<_, Error>((live, dismissed))
            })?
        };
        let undo: Vec<PairWith<L>> = live.into_values().map(|(parts, _)| parts).collect();
        if !undo.is_empty() {
            let step = describe::<L>("dismiss", undo.iter().map(|(l, r, _)| (l, r)));
            self.on_undo(step, move |databases| {
                let mut conn = databases.for_link::<L>()?;
                service::create_many_with::<L, C>(&mut *conn, &undo)?;
                Ok(())
            });
        }
        Ok(dismissed)
    }

    /// Keeps everything the steps did: the unit of work succeeded.
    pub fn complete(self) {}

    /// Undoes every step, the last one first. An undo that fails does not stop the others:
    /// each failure is reported, and its step's effect stays.
    pub fn compensate(self) -> Compensation {
        let mut compensation = Compensation::default();
        for (step, undo) in self.undo.into_iter().rev() {
            match undo(self.databases) {
                Ok(()) => compensation.undone.push(step),
                Err(error) => compensation.failures.push(UndoFailure { step, error }),
            }
        }
        compensation
    }
}

/// The rows of `L` for `pairs` (dismissed ones too when `with_deleted`), by pair, as
/// (pair and extra column values, whether live).
type RowsByPair<L> = HashMap<(String, String), (PairWith<L>, bool)>;

fn rows_of<'p, L, C>(
    conn: &mut C,
    pairs: impl Iterator<Item = (&'p Id<L::Left>, &'p Id<L::Right>)> + Clone,
    with_deleted: bool,
) -> Result<RowsByPair<L>>
where
    L: LinkDefinition,
    C: LinkConnection,
{
    let wanted: HashSet<(&str, &str)> = pairs
        .clone()
        .map(|(left, right)| (left.as_str(), right.as_str()))
        .collect();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let mut lefts: Vec<&Id<L::Left>> = pairs.clone().map(|(left, _)| left).collect();
    let mut rights: Vec<&Id<L::Right>> = pairs.map(|(_, right)| right).collect();
    lefts.sort_by_key(|id| id.as_str());
    lefts.dedup_by_key(|id| id.as_str());
    rights.sort_by_key(|id| id.as_str());
    rights.dedup_by_key(|id| id.as_str());
    let mut filter = ListFilter::<L>::new()
        .left(lefts.into_iter().cloned())
        .right(rights.into_iter().cloned());
    if with_deleted {
        filter = filter.with_deleted();
    }
    let mut found = HashMap::new();
    for row in service::list::<L, C>(conn, &filter)? {
        let parts = L::row_parts(&row);
        let key = (parts.0.as_str().to_owned(), parts.1.as_str().to_owned());
        if wanted.contains(&(key.0.as_str(), key.1.as_str())) {
            found.insert(key, (parts, L::row_is_live(&row)));
        }
    }
    Ok(found)
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

/// What undoing a unit of work did.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Compensation {
    /// The steps undone, in the order they were undone (the last step first).
    pub undone: Vec<String>,
    /// The steps that could not be undone: their effect stays.
    pub failures: Vec<UndoFailure>,
}

impl Compensation {
    /// Whether every step was undone.
    pub fn is_complete(&self) -> bool {
        self.failures.is_empty()
    }
}

/// A step whose undo failed.
#[derive(Debug)]
#[non_exhaustive]
pub struct UndoFailure {
    /// The step, as [`Compensation::undone`] names steps.
    pub step: String,
    /// Why it could not be undone: a link step's is a boxed [`Error`].
    pub error: ModuleError,
}

/// A unit of work that failed: its error, and what undoing its steps did.
#[derive(Debug)]
#[non_exhaustive]
pub struct Failed<E> {
    /// The error the work returned.
    pub error: E,
    /// What undoing the steps before it did.
    pub compensation: Compensation,
}

impl<E> fmt::Display for Failed<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Compensation { undone, failures } = &self.compensation;
        write!(f, "a step failed")?;
        if failures.is_empty() {
            return write!(f, "; the {} steps before it were undone", undone.len());
        }
        write!(
            f,
            "; {} of the {} steps before it could not be undone:",
            failures.len(),
            undone.len() + failures.len()
        )?;
        for failure in failures {
            write!(f, " `{}` ({})", failure.step, failure.error)?;
        }
        Ok(())
    }
}

impl<E: std::error::Error + 'static> std::error::Error for Failed<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}
