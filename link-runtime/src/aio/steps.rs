//! Link steps with compensation on async connections: [`steps::Steps`](crate::steps::Steps),
//! awaited.

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::connection::{Async, AsyncLinkConnection};
use super::databases::Databases;
use super::service::Modules;
use crate::definition::WritableLink;
use crate::error::Result;
use crate::id::Id;
use crate::linkable::Linkable;
use crate::service::{Created, Deletion, ModuleError, Pair, PairWith};
use crate::steps::journal::{self, Journal, LinkStep};
use crate::steps::{Compensation, Failed};

/// The work [`Steps::run`] runs: an async closure, whose future's type this names so that
/// `run` can ask it to be `Send` (an `AsyncFnOnce` bound alone cannot). Implemented for
/// every async closure; there is nothing to implement.
pub trait Work<A, R>: AsyncFnOnce(A) -> R + FnOnce(A) -> <Self as Work<A, R>>::Future {
    /// The closure's future.
    type Future: Future<Output = R>;
}

impl<F, A, R, Fut> Work<A, R> for F
where
    F: AsyncFnOnce(A) -> R + FnOnce(A) -> Fut,
    Fut: Future<Output = R>,
{
    type Future = Fut;
}

/// The future of an undo.
type UndoFuture<'d> =
    Pin<Box<dyn Future<Output = std::result::Result<(), ModuleError>> + Send + 'd>>;

/// How a step is undone: run once, on the same databases, by [`Steps::compensate`].
type UndoFn<'d, C> = Box<dyn FnOnce(&'d Databases<C>) -> UndoFuture<'d> + Send + 'd>;

/// A unit of work's steps so far, each with the step that undoes it:
/// [`steps::Steps`](crate::steps::Steps) on the async driver. The link steps are the
/// blocking ones' logic, run on async connections: the same statements, the same undo.
///
/// [`Steps::run`] is the usual way in. Used by hand, a `Steps` ends with
/// [`complete`](Self::complete) or [`compensate`](Self::compensate)`.await`; dropped without
/// either, it keeps everything.
///
/// ```
/// use diesel::SqliteConnection;
/// use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
/// use link_runtime::aio::{self, Database, Databases, Steps};
/// use link_runtime::service::ListFilter;
/// # use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
/// # mod product_brand { use super::*; define_link!(Product(is_list), Brand); }
///
/// type Conn = SyncConnectionWrapper<SqliteConnection>;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let main = Database::<Conn>::connect("main", "file:aio_steps?mode=memory&cache=shared");
/// # let _keep = main.checkout().await?; // the shared in-memory database lives while a connection does
/// let databases = Databases::new(&main);
/// databases.migrate().await?;
///
/// let outcome = Steps::run(&databases, async |steps| {
///     steps.create::<product_brand::Link>(Product::id("p1"), Brand::id("b1")).await?;
///     // A later step fails: the link is dismissed again.
///     Err::<(), Box<dyn std::error::Error + Send + Sync>>("payment refused".into())
/// })
/// .await;
///
/// let failed = outcome.unwrap_err();
/// assert_eq!(failed.compensation.undone, ["create product_product_brand_brand (p1, b1)"]);
/// let mut conn = databases.for_link::<product_brand::Link>().await?;
/// let filter = ListFilter::<product_brand::Link>::new();
/// assert!(aio::list(&mut *conn, &filter).await?.is_empty());
/// # Ok(())
/// # }
/// ```
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

impl<'d, C: AsyncLinkConnection + 'static> Steps<'d, C> {
    /// A unit of work on `databases`, with no step yet.
    pub fn new(databases: &'d Databases<C>) -> Self {
        Steps {
            databases,
            journal: Journal::new(),
        }
    }

    /// Runs `work` with a new `Steps`, as [`steps::Steps::run`](crate::steps::Steps::run)
    /// does: if `work` returns an error or panics, the steps it ran are undone, last first.
    ///
    /// `work` is an async closure, `async |steps| { .. }`, as diesel-async's transactions
    /// take theirs; its future must be `Send`, and the whole is then `Send`, for a web
    /// handler or `tokio::spawn`.
    ///
    /// # Errors
    ///
    /// [`Failed`], holding `work`'s error and the [`Compensation`].
    // Not an `async fn`: the `Send` promised in the signature is proven here, from the
    // closure's `Send` future, where a caller could not prove it.
    #[allow(clippy::manual_async_fn)]
    pub fn run<T, E, F>(
        databases: &'d Databases<C>,
        work: F,
    ) -> impl Future<Output = std::result::Result<T, Failed<E>>> + Send + 'd
    where
        for<'s, 'x> F: AsyncFnOnce(&'s mut Steps<'x, C>) -> std::result::Result<T, E>
            + Work<&'s mut Steps<'x, C>, std::result::Result<T, E>, Future: Send>
            + Send
            + 'd,
        T: Send + 'd,
        E: Send + 'd,
        C: Sync,
    {
        async move {
            let work = work;
            let mut steps: Steps<'d, C> = Steps::new(databases);
            let outcome = CatchUnwind(Box::pin(work(&mut steps))).await;
            match outcome {
                Ok(outcome) => steps.finish(outcome).await,
                Err(panic) => {
                    steps.compensate().await.report_after_panic();
                    panic::resume_unwind(panic)
                }
            }
        }
    }

    /// Ends the unit of work with its outcome: keeps the steps if it is a success, undoes
    /// them, last first, if not. For work written inline rather than through
    /// [`Steps::run`] (a panic in such work leaves the steps as they are).
    ///
    /// # Errors
    ///
    /// [`Failed`], holding the outcome's error and the [`Compensation`].
    ///
    /// ```
    /// # use diesel::SqliteConnection;
    /// # use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
    /// use link_runtime::aio::{Database, Databases, Steps};
    /// # type Conn = SyncConnectionWrapper<SqliteConnection>;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let main = Database::<Conn>::connect("main", ":memory:");
    /// # let databases = Databases::new(&main);
    /// let mut steps = Steps::new(&databases);
    /// steps.on_undo("reserve stock", |_databases| async { Ok(()) });
    /// let outcome: Result<(), &str> = Err("payment refused");
    /// let failed = steps.finish(outcome).await.unwrap_err();
    /// assert_eq!(failed.compensation.undone, ["reserve stock"]);
    /// # }
    /// ```
    pub async fn finish<T, E>(
        self,
        outcome: std::result::Result<T, E>,
    ) -> std::result::Result<T, Failed<E>> {
        match outcome {
            Ok(value) => {
                self.complete();
                Ok(value)
            }
            Err(error) => Err(Failed {
                error,
                compensation: self.compensate().await,
            }),
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

    /// Registers how to undo a step the application ran itself, to run if a later step
    /// fails: `undo` is given the databases and returns the future that undoes the step.
    ///
    /// ```
    /// # use diesel::SqliteConnection;
    /// # use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
    /// use link_runtime::aio::{Database, Databases, Steps};
    /// # type Conn = SyncConnectionWrapper<SqliteConnection>;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let main = Database::<Conn>::connect("main", ":memory:");
    /// # let databases = Databases::new(&main);
    /// let mut steps = Steps::new(&databases);
    /// steps.on_undo("reserve stock", |_databases| async { Ok(()) });
    /// let compensation = steps.compensate().await;
    /// assert_eq!(compensation.undone, ["reserve stock"]);
    /// # }
    /// ```
    pub fn on_undo<F, Fut>(&mut self, step: impl Into<String>, undo: F)
    where
        F: FnOnce(&'d Databases<C>) -> Fut + Send + 'd,
        Fut: Future<Output = std::result::Result<(), ModuleError>> + Send + 'd,
    {
        self.journal.push(
            step.into(),
            Box::new(move |databases| Box::pin(undo(databases))),
        );
    }

    /// [`steps::Steps::create`](crate::steps::Steps::create), awaited.
    ///
    /// # Errors
    ///
    /// As [`aio::create`](super::create), and [`Error::Connection`](crate::Error::Connection);
    /// nothing is written, and nothing is recorded to undo.
    pub async fn create<L>(&mut self, left: Id<L::Left>, right: Id<L::Right>) -> Result<Created>
    where
        L: WritableLink<Columns: Send + Sync>,
    {
        Ok(self.create_many::<L>(&[(left, right)]).await?[0])
    }

    /// [`steps::Steps::create_many`](crate::steps::Steps::create_many), awaited.
    ///
    /// # Errors
    ///
    /// As [`Steps::create`].
    pub async fn create_many<L>(&mut self, pairs: &[Pair<L>]) -> Result<Vec<Created>>
    where
        L: WritableLink<Columns: Send + Sync>,
    {
        let mut conn = self.databases.for_link::<L>().await?;
        let (created, step) = journal::create_many::<L, _>(&mut Async(&mut *conn), pairs).await?;
        drop(conn);
        self.record(step);
        Ok(created)
    }

    /// [`steps::Steps::create_with`](crate::steps::Steps::create_with), awaited.
    ///
    /// # Errors
    ///
    /// As [`Steps::create`].
    pub async fn create_with<L>(
        &mut self,
        left: Id<L::Left>,
        right: Id<L::Right>,
        columns: L::Columns,
    ) -> Result<Created>
    where
        L: WritableLink<Columns: Send + Sync>,
    {
        Ok(self
            .create_many_with::<L>(&[(left, right, columns)])
            .await?[0])
    }

    /// [`steps::Steps::create_many_with`](crate::steps::Steps::create_many_with), awaited.
    ///
    /// # Errors
    ///
    /// As [`Steps::create`].
    pub async fn create_many_with<L>(&mut self, rows: &[PairWith<L>]) -> Result<Vec<Created>>
    where
        L: WritableLink<Columns: Send + Sync>,
    {
        let mut conn = self.databases.for_link::<L>().await?;
        let (created, step) =
            journal::create_many_with::<L, _>(&mut Async(&mut *conn), rows).await?;
        drop(conn);
        self.record(Some(step));
        Ok(created)
    }

    /// [`steps::Steps::dismiss`](crate::steps::Steps::dismiss), awaited.
    ///
    /// # Errors
    ///
    /// As [`aio::dismiss`](super::dismiss), and [`Error::Connection`](crate::Error::Connection).
    pub async fn dismiss<L>(&mut self, left: Id<L::Left>, right: Id<L::Right>) -> Result<bool>
    where
        L: WritableLink<Columns: Send + Sync>,
    {
        Ok(self.dismiss_many::<L>(&[(left, right)]).await? > 0)
    }

    /// [`steps::Steps::dismiss_many`](crate::steps::Steps::dismiss_many), awaited.
    ///
    /// # Errors
    ///
    /// As [`Steps::dismiss`].
    pub async fn dismiss_many<L>(&mut self, pairs: &[Pair<L>]) -> Result<usize>
    where
        L: WritableLink<Columns: Send + Sync>,
    {
        let mut conn = self.databases.for_link::<L>().await?;
        let (dismissed, step) =
            journal::dismiss_many::<L, _>(&mut Async(&mut *conn), pairs).await?;
        drop(conn);
        self.record(step);
        Ok(dismissed)
    }

    /// [`steps::Steps::update`](crate::steps::Steps::update), awaited.
    ///
    /// # Errors
    ///
    /// As [`aio::update`](super::update), and [`Error::Connection`](crate::Error::Connection);
    /// nothing is written, and nothing is recorded to undo.
    pub async fn update<L>(
        &mut self,
        left: Id<L::Left>,
        right: Id<L::Right>,
        columns: L::Columns,
    ) -> Result<()>
    where
        L: WritableLink<Columns: Send + Sync>,
    {
        self.update_many::<L>(&[(left, right, columns)])
            .await
            .map(drop)
    }

    /// [`steps::Steps::update_many`](crate::steps::Steps::update_many), awaited.
    ///
    /// # Errors
    ///
    /// As [`Steps::update`].
    pub async fn update_many<L>(&mut self, rows: &[PairWith<L>]) -> Result<usize>
    where
        L: WritableLink<Columns: Send + Sync>,
    {
        let mut conn = self.databases.for_link::<L>().await?;
        let (updated, step) = journal::update_many::<L, _>(&mut Async(&mut *conn), rows).await?;
        drop(conn);
        self.record(step);
        Ok(updated)
    }

    /// [`steps::Steps::delete`](crate::steps::Steps::delete), awaited: undone by restoring
    /// what it deleted.
    ///
    /// # Errors
    ///
    /// As [`aio::Databases::delete`](super::Databases::delete); nothing is deleted, and
    /// nothing is recorded to undo.
    pub async fn delete<M: Linkable>(
        &mut self,
        modules: &Modules<C>,
        ids: &[Id<M>],
    ) -> Result<Deletion> {
        let deletion = self.databases.delete(modules, ids).await?;
        if !deletion.is_empty() {
            let (undo, modules) = (deletion.clone(), modules.clone());
            self.on_undo(Deletion::describe(ids), move |databases| async move {
                databases.restore(&modules, &undo).await?;
                Ok(())
            });
        }
        Ok(deletion)
    }

    /// Records a link step's undo: run on the link's connection, taken when it runs.
    fn record<L>(&mut self, step: Option<LinkStep<L>>)
    where
        L: WritableLink<Columns: Send + Sync>,
    {
        let Some(LinkStep { name, undo }) = step else {
            return;
        };
        self.on_undo(name, move |databases| async move {
            let mut conn = databases.for_link::<L>().await?;
            undo.run(&mut Async(&mut *conn)).await?;
            Ok(())
        });
    }

    /// Keeps everything the steps did: the unit of work succeeded.
    pub fn complete(self) {}

    /// Undoes every step, the last one first. An undo that fails does not stop the others:
    /// each failure is reported, and its step's effect stays.
    pub async fn compensate(self) -> Compensation {
        let mut compensation = Compensation::default();
        for (step, undo) in self.journal.into_undo_order() {
            compensation.record(step, undo(self.databases).await);
        }
        compensation
    }
}

/// A future's output, or the panic that polling it raised.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}
