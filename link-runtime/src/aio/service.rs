//! The link service, awaited: writing, listing, deleting and restoring links.

use std::future::Future;
use std::pin::Pin;

use super::connection::{Async, AsyncLinkConnection};
use crate::backend::OneConnection;
use crate::definition::{LinkedFrom, PairWith, WritableLink};
use crate::error::Result;
use crate::id::Id;
use crate::linkable::Linkable;
use crate::service::{
    self as core, modules_face, typed, Created, Deletion, Integrity, ListFilter, ModuleError,
};

/// [`link_runtime::create`](crate::create()), awaited: links `left` to `right` with the
/// link defined from `A` to `B`, found from the id types, in the order it was declared.
///
/// # Errors
///
/// As [`link_runtime::create`](crate::create()).
pub async fn create<C, A, B, L>(conn: &mut C, left: Id<A>, right: Id<B>) -> Result<Created>
where
    C: AsyncLinkConnection,
    A: Linkable,
    B: LinkedFrom<A, L>,
    L: WritableLink<Left = A, Right = B>,
{
    core::create_in::<L, _>(&mut Async(conn), &left, &right).await
}

/// [`service::create_with`](crate::service::create_with), awaited: links `left` to `right`
/// with values for the link's extra columns.
///
/// # Errors
///
/// As [`link_runtime::create`](crate::create()).
pub async fn create_with<C, A, B, L>(
    conn: &mut C,
    left: Id<A>,
    right: Id<B>,
    columns: L::Columns,
) -> Result<Created>
where
    C: AsyncLinkConnection,
    A: Linkable,
    B: LinkedFrom<A, L>,
    L: WritableLink<Left = A, Right = B>,
{
    core::create_with_in::<L, _>(&mut Async(conn), &left, &right, &columns).await
}

/// [`service::create_many`](crate::service::create_many), awaited: links many pairs in one
/// transaction, all or nothing.
///
/// # Errors
///
/// As [`link_runtime::create`](crate::create()).
pub async fn create_many<C, A, B, L>(conn: &mut C, pairs: &[(Id<A>, Id<B>)]) -> Result<Vec<Created>>
where
    C: AsyncLinkConnection,
    A: Linkable,
    B: LinkedFrom<A, L>,
    L: WritableLink<Left = A, Right = B>,
{
    core::create_many_in::<L, _>(&mut Async(conn), pairs).await
}

/// [`service::create_many_with`](crate::service::create_many_with), awaited.
///
/// # Errors
///
/// As [`link_runtime::create`](crate::create()).
pub async fn create_many_with<C, L>(conn: &mut C, rows: &[PairWith<L>]) -> Result<Vec<Created>>
where
    C: AsyncLinkConnection,
    L: WritableLink,
{
    core::create_many_with_in::<L, _>(&mut Async(conn), rows).await
}

/// [`link_runtime::dismiss`](crate::dismiss()), awaited: dismisses the live link between
/// `left` and `right`; returns whether there was one.
///
/// # Errors
///
/// As [`link_runtime::dismiss`](crate::dismiss()).
pub async fn dismiss<C, A, B, L>(conn: &mut C, left: Id<A>, right: Id<B>) -> Result<bool>
where
    C: AsyncLinkConnection,
    A: Linkable,
    B: LinkedFrom<A, L>,
    L: WritableLink<Left = A, Right = B>,
{
    core::dismiss_in::<L, _>(&mut Async(conn), &left, &right).await
}

/// [`service::dismiss_many`](crate::service::dismiss_many), awaited: dismisses the live
/// links of many pairs in one transaction; returns how many were live.
///
/// # Errors
///
/// As [`service::dismiss_many`](crate::service::dismiss_many).
pub async fn dismiss_many<C, A, B, L>(conn: &mut C, pairs: &[(Id<A>, Id<B>)]) -> Result<usize>
where
    C: AsyncLinkConnection,
    A: Linkable,
    B: LinkedFrom<A, L>,
    L: WritableLink<Left = A, Right = B>,
{
    core::dismiss_many_in::<L, _>(&mut Async(conn), pairs).await
}

/// [`service::update`](crate::service::update), awaited: sets the extra column values of
/// the live link between `left` and `right`.
///
/// # Errors
///
/// As [`service::update`](crate::service::update).
pub async fn update<C, L>(
    conn: &mut C,
    left: Id<L::Left>,
    right: Id<L::Right>,
    columns: L::Columns,
) -> Result<()>
where
    C: AsyncLinkConnection,
    L: WritableLink,
{
    let row = [(left, right, columns)];
    core::update_many_in::<L, _>(&mut Async(conn), &row)
        .await
        .map(drop)
}

/// [`service::update_many`](crate::service::update_many), awaited: sets the extra column
/// values of the live links of many pairs in one transaction; returns how many were
/// updated.
///
/// # Errors
///
/// As [`service::update_many`](crate::service::update_many).
pub async fn update_many<C, L>(conn: &mut C, rows: &[PairWith<L>]) -> Result<usize>
where
    C: AsyncLinkConnection,
    L: WritableLink,
{
    core::update_many_in::<L, _>(&mut Async(conn), rows)
        .await
        .map(|before| before.len())
}

/// [`service::list`](crate::service::list), awaited: the pivot rows of `L` that `filter`
/// selects.
///
/// # Errors
///
/// As [`service::list`](crate::service::list).
pub async fn list<C, L>(conn: &mut C, filter: &ListFilter<L>) -> Result<Vec<L::Row>>
where
    C: AsyncLinkConnection,
    L: WritableLink,
{
    core::list_in(&mut Async(conn), filter).await
}

/// [`service::delete`](crate::service::delete), awaited: soft-deletes every link of the
/// records `ids`, following `delete_cascade` through `modules`, in one transaction.
///
/// # Errors
///
/// As [`service::delete`](crate::service::delete).
pub async fn delete<M, C>(conn: &mut C, modules: &Modules<C>, ids: &[Id<M>]) -> Result<Deletion>
where
    M: Linkable,
    C: AsyncLinkConnection,
{
    core::delete_alone(&mut OneConnection(Async(conn)), modules, ids).await
}

/// [`service::restore`](crate::service::restore), awaited: undoes a [`delete`], in one
/// transaction.
///
/// # Errors
///
/// As [`service::restore`](crate::service::restore).
pub async fn restore<C>(conn: &mut C, modules: &Modules<C>, deletion: &Deletion) -> Result<usize>
where
    C: AsyncLinkConnection,
{
    core::restore_alone(&mut OneConnection(Async(conn)), modules, deletion).await
}

/// [`service::check`](crate::service::check), awaited: the live links whose records are
/// missing or soft-deleted, soft-deleted too with `prune`.
///
/// # Errors
///
/// As [`service::check`](crate::service::check).
pub async fn check<C: AsyncLinkConnection>(conn: &mut C, prune: bool) -> Result<Integrity> {
    core::check_in(&mut OneConnection(Async(conn)), prune).await
}

/// [`service::SoftDelete`](crate::service::SoftDelete) on an async connection: how a module
/// soft-deletes and restores its records when a `delete_cascade` link asks for it.
///
/// ```
/// use diesel::SqliteConnection;
/// use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
/// use diesel_async::RunQueryDsl;
/// use link_runtime::aio::{Modules, SoftDelete};
/// use link_runtime::prelude::*;
/// use link_runtime::service::ModuleError;
///
/// #[derive(Linkable)]
/// #[linkable(module = "brand")]
/// pub struct Brand { pub id: String }
///
/// type Conn = SyncConnectionWrapper<SqliteConnection>;
///
/// impl SoftDelete<Conn> for Brand {
///     async fn soft_delete(conn: &mut Conn, ids: &[Id<Brand>]) -> Result<(), ModuleError> {
///         for id in ids {
///             diesel::sql_query("UPDATE brand SET deleted_at = CURRENT_TIMESTAMP WHERE id = ?")
///                 .bind::<diesel::sql_types::Text, _>(id.as_str())
///                 .execute(conn)
///                 .await?;
///         }
///         Ok(())
///     }
///
///     async fn restore(conn: &mut Conn, ids: &[Id<Brand>]) -> Result<(), ModuleError> {
///         for id in ids {
///             diesel::sql_query("UPDATE brand SET deleted_at = NULL WHERE id = ?")
///                 .bind::<diesel::sql_types::Text, _>(id.as_str())
///                 .execute(conn)
///                 .await?;
///         }
///         Ok(())
///     }
/// }
///
/// let modules = Modules::<Conn>::new().with::<Brand>();
/// assert!(modules.handles("brand", "brand"));
/// ```
pub trait SoftDelete<C>: Linkable {
    /// Soft-deletes the records `ids`.
    ///
    /// # Errors
    ///
    /// Whatever keeps the module from doing it; the whole [`delete`] is then undone.
    fn soft_delete(
        conn: &mut C,
        ids: &[Id<Self>],
    ) -> impl Future<Output = Result<(), ModuleError>> + Send;

    /// Restores the soft-deleted records `ids`.
    ///
    /// # Errors
    ///
    /// Whatever keeps the module from doing it; the whole [`restore`] is then undone.
    fn restore(
        conn: &mut C,
        ids: &[Id<Self>],
    ) -> impl Future<Output = Result<(), ModuleError>> + Send;
}

type Handled<'a> = Pin<Box<dyn Future<Output = Result<(), ModuleError>> + Send + 'a>>;
type Handler<C> = for<'a> fn(&'a mut C, &'a [String]) -> Handled<'a>;

modules_face! {
    handler: Handler<C>,
    cascade: Async<H: [+ Send]> for AsyncLinkConnection, run [.await],
    /// The modules [`delete`] may cascade into, each with its [`SoftDelete`]: as
    /// [`service::Modules`](crate::service::Modules), for async connections.
}

impl<C: Send> Modules<C> {
    /// Adds the model `T`, whose records [`delete`] may soft-delete through
    /// [`SoftDelete`].
    #[must_use]
    pub fn with<T: SoftDelete<C>>(mut self) -> Self {
        self.handlers.insert::<T>(
            |conn, ids| Box::pin(async move { T::soft_delete(conn, &typed(ids)).await }),
            |conn, ids| Box::pin(async move { T::restore(conn, &typed(ids)).await }),
        );
        self
    }
}
