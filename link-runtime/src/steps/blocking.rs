//! The steps on the blocking driver.

use std::panic::{self, AssertUnwindSafe};

use super::compensation::{Compensation, Failed};
use super::journal::{self, Journal, LinkStep};
use crate::backend::{block_on, Blocking, LinkConnection};
use crate::databases::Databases;
use crate::definition::{LinkDefinition, WritableLink};
use crate::error::Result;
use crate::id::Id;
use crate::linkable::Linkable;
use crate::service::{Created, Deletion, ModuleError, Modules, Pair, PairWith};

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
    journal: Journal<UndoFn<'d, C>>,
}

impl<C> std::fmt::Debug for Steps<'_, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Steps")
            .field("undo", &self.journal)
            .finish_non_exhaustive()
    }
}

impl<'d, C: LinkConnection> Steps<'d, C> {
    /// A unit of work on `databases`, with no step yet.
    pub fn new(databases: &'d Databases<C>) -> Self {
        Steps {
            databases,
            journal: Journal::new(),
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
                steps.compensate().report_after_panic();
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
        self.journal.len()
    }

    /// Whether no step has anything to undo.
    pub fn is_empty(&self) -> bool {
        self.journal.len() == 0
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
        self.journal.push(step.into(), Box::new(undo));
    }

    /// Links `left` to `right` with `L` (see [`service::create`](crate::service::create)); undone by dismissing
    /// the link, unless it was live already.
    ///
    /// # Errors
    ///
    /// As [`service::create`](crate::service::create), and [`Error::Connection`](crate::Error::Connection); nothing is written, and nothing
    /// is recorded to undo.
    pub fn create<L: WritableLink>(
        &mut self,
        left: Id<L::Left>,
        right: Id<L::Right>,
    ) -> Result<Created> {
        Ok(self.create_many::<L>(&[(left, right)])?[0])
    }

    /// Links many pairs with `L` in one transaction (see [`service::create_many`](crate::service::create_many)); undone
    /// by dismissing the pairs that were not live already.
    ///
    /// # Errors
    ///
    /// As [`Steps::create`].
    pub fn create_many<L: WritableLink>(&mut self, pairs: &[Pair<L>]) -> Result<Vec<Created>> {
        let mut conn = self.databases.for_link::<L>()?;
        let (created, step) = block_on(journal::create_many::<L, _>(
            &mut Blocking(&mut *conn),
            pairs,
        ))?;
        drop(conn);
        self.record(step);
        Ok(created)
    }

    /// Links `left` to `right` with `L` and extra column values (see
    /// [`service::create_with`](crate::service::create_with)); undone by dismissing a new link, and by giving a link
    /// that existed its previous values (and, if it was dismissed, dismissing it again).
    ///
    /// # Errors
    ///
    /// As [`Steps::create`].
    pub fn create_with<L: WritableLink>(
        &mut self,
        left: Id<L::Left>,
        right: Id<L::Right>,
        columns: L::Columns,
    ) -> Result<Created> {
        Ok(self.create_many_with::<L>(&[(left, right, columns)])?[0])
    }

    /// Links many pairs with `L` and extra column values in one transaction (see
    /// [`service::create_many_with`](crate::service::create_many_with)); each pair is undone as by [`Steps::create_with`].
    ///
    /// # Errors
    ///
    /// As [`Steps::create`].
    pub fn create_many_with<L: WritableLink>(
        &mut self,
        rows: &[PairWith<L>],
    ) -> Result<Vec<Created>> {
        let mut conn = self.databases.for_link::<L>()?;
        let (created, step) = block_on(journal::create_many_with::<L, _>(
            &mut Blocking(&mut *conn),
            rows,
        ))?;
        drop(conn);
        self.record(Some(step));
        Ok(created)
    }

    /// Dismisses the live link between `left` and `right` (see [`service::dismiss`](crate::service::dismiss));
    /// undone by creating it again with the extra column values it had.
    ///
    /// # Errors
    ///
    /// As [`service::dismiss`](crate::service::dismiss), and [`Error::Connection`](crate::Error::Connection).
    pub fn dismiss<L: WritableLink>(
        &mut self,
        left: Id<L::Left>,
        right: Id<L::Right>,
    ) -> Result<bool> {
        Ok(self.dismiss_many::<L>(&[(left, right)])? > 0)
    }

    /// Dismisses the live links of many pairs in one transaction (see
    /// [`service::dismiss_many`](crate::service::dismiss_many)); each is undone as by [`Steps::dismiss`].
    ///
    /// # Errors
    ///
    /// As [`Steps::dismiss`].
    pub fn dismiss_many<L: WritableLink>(&mut self, pairs: &[Pair<L>]) -> Result<usize> {
        let mut conn = self.databases.for_link::<L>()?;
        let (dismissed, step) = block_on(journal::dismiss_many::<L, _>(
            &mut Blocking(&mut *conn),
            pairs,
        ))?;
        drop(conn);
        self.record(step);
        Ok(dismissed)
    }

    /// Sets the extra column values of the live link between `left` and `right` (see
    /// [`service::update`](crate::service::update)); undone by writing back the values it
    /// had.
    ///
    /// # Errors
    ///
    /// As [`service::update`](crate::service::update) ([`Error::LinkNotFound`](crate::Error::LinkNotFound)
    /// for a pair that is not linked), and [`Error::Connection`](crate::Error::Connection);
    /// nothing is written, and nothing is recorded to undo.
    pub fn update<L: WritableLink>(
        &mut self,
        left: Id<L::Left>,
        right: Id<L::Right>,
        columns: L::Columns,
    ) -> Result<()> {
        self.update_many::<L>(&[(left, right, columns)]).map(drop)
    }

    /// Sets the extra column values of the live links of many pairs in one transaction (see
    /// [`service::update_many`](crate::service::update_many)); undone by writing back the
    /// values each had. Returns how many links were updated.
    ///
    /// # Errors
    ///
    /// As [`Steps::update`], for any pair: then nothing of the batch is written.
    pub fn update_many<L: WritableLink>(&mut self, rows: &[PairWith<L>]) -> Result<usize> {
        let mut conn = self.databases.for_link::<L>()?;
        let (updated, step) = block_on(journal::update_many::<L, _>(
            &mut Blocking(&mut *conn),
            rows,
        ))?;
        drop(conn);
        self.record(step);
        Ok(updated)
    }

    /// Deletes the links of the records `ids` of `M` across the databases, following
    /// `delete_cascade` (see [`Databases::delete`]); undone by restoring what it deleted
    /// ([`Databases::restore`]). `modules` soft-deletes the cascaded records, and a copy of
    /// it restores them if the step is undone.
    ///
    /// ```
    /// # use diesel::{Connection, SqliteConnection};
    /// # use link_runtime::databases::{Database, Databases};
    /// # use link_runtime::prelude::*;
    /// # use link_runtime::service::{ListFilter, Modules};
    /// # use link_runtime::steps::Steps;
    /// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
    /// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
    /// # mod product_brand { use super::*; define_link!(Product(is_list), Brand); }
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let main = Database::from_connection(SqliteConnection::establish(":memory:")?);
    /// # let databases = Databases::new(&main);
    /// # databases.migrate()?;
    /// # product_brand::Link::create(&mut *databases.for_links()?, Product::id("p1"), Brand::id("b1"))?;
    /// let modules = Modules::new();
    /// let outcome = Steps::run(&databases, |steps| {
    ///     let deletion = steps.delete(&modules, &[Product::id("p1")])?;
    ///     assert_eq!(deletion.link_count(), 1);
    ///     Err::<(), Box<dyn std::error::Error + Send + Sync>>("payment refused".into())
    /// });
    /// assert_eq!(outcome.unwrap_err().compensation.undone, ["delete product (p1)"]);
    /// // The link is live again.
    /// let links = product_brand::Link::list(&mut *databases.for_links()?, &ListFilter::new())?;
    /// assert_eq!(links.len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Databases::delete`]; nothing is deleted, and nothing is recorded to undo.
    pub fn delete<M: Linkable>(&mut self, modules: &Modules<C>, ids: &[Id<M>]) -> Result<Deletion> {
        let deletion = self.databases.delete(modules, ids)?;
        if !deletion.is_empty() {
            let (undo, modules) = (deletion.clone(), modules.clone());
            self.on_undo(Deletion::describe(ids), move |databases| {
                databases.restore(&modules, &undo)?;
                Ok(())
            });
        }
        Ok(deletion)
    }

    /// Records a link step's undo: run on the link's connection, taken when it runs.
    fn record<L: LinkDefinition>(&mut self, step: Option<LinkStep<L>>) {
        let Some(LinkStep { name, undo }) = step else {
            return;
        };
        self.on_undo(name, move |databases| {
            let mut conn = databases.for_link::<L>()?;
            block_on(undo.run(&mut Blocking(&mut *conn)))?;
            Ok(())
        });
    }

    /// Keeps everything the steps did: the unit of work succeeded.
    pub fn complete(self) {}

    /// Undoes every step, the last one first. An undo that fails does not stop the others:
    /// each failure is reported, and its step's effect stays.
    pub fn compensate(self) -> Compensation {
        let mut compensation = Compensation::default();
        for (step, undo) in self.journal.into_undo_order() {
            compensation.record(step, undo(self.databases));
        }
        compensation
    }
}
