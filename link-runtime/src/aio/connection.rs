//! diesel-async's connections as the core's executor.

use std::ops::DerefMut;

use diesel::QueryResult;
use diesel_async::{AsyncConnection, SimpleAsyncConnection, TransactionManager};

use crate::backend::{
    forget_transaction, in_transaction, Executor, Key, LinkBackend, LoadRow, Statement,
};
use crate::dialect::Dialect;

/// A diesel-async connection that links can be stored in: any
/// [`AsyncConnection`](diesel_async::AsyncConnection) whose backend is SQLite or
/// PostgreSQL (its dialect is its backend's [`LinkBackend::DIALECT`]). Implemented
/// automatically; code generic over the connection names it as its bound.
///
/// ```
/// use link_runtime::aio::{self, AsyncLinkConnection};
///
/// /// A service's start-up, whatever its database.
/// async fn start<C: AsyncLinkConnection>(conn: &mut C) -> link_runtime::Result<()> {
///     let synced = aio::migrate(conn).await?;
///     for table in synced.tables_created() {
///         println!("created {table}");
///     }
///     Ok(())
/// }
/// # let _ = start::<diesel_async::sync_connection_wrapper::SyncConnectionWrapper<diesel::SqliteConnection>>;
/// ```
pub trait AsyncLinkConnection: AsyncConnection<Backend: LinkBackend> + Send {}

impl<C> AsyncLinkConnection for C where C: AsyncConnection<Backend: LinkBackend> + Send {}

/// An async connection, or a handle on one (a pool's), as the core's [`Executor`].
pub(crate) struct Async<H>(pub(crate) H);

impl<H, C> Executor for Async<H>
where
    H: DerefMut<Target = C> + Send,
    C: AsyncLinkConnection,
{
    const DIALECT: Dialect = <C::Backend as LinkBackend>::DIALECT;

    async fn send<K: Key>(&mut self, statement: Statement<'_, K>) -> QueryResult<usize> {
        C::Backend::execute_async(&mut *self.0, statement).await
    }

    async fn send_query<K: Key, R: LoadRow>(
        &mut self,
        statement: Statement<'_, K>,
    ) -> QueryResult<Vec<R>> {
        C::Backend::load_async(&mut *self.0, statement).await
    }

    async fn send_query_each<K: Key, R: LoadRow>(
        &mut self,
        statement: Statement<'_, K>,
        each: &mut (dyn FnMut(R) -> bool + Send),
    ) -> QueryResult<usize> {
        C::Backend::load_each_async(&mut *self.0, statement, each).await
    }

    async fn send_batch(&mut self, sql: &str) -> QueryResult<()> {
        self.0.batch_execute(sql).await
    }

    async fn begin(&mut self) -> QueryResult<()> {
        C::TransactionManager::begin_transaction(&mut *self.0).await
    }

    async fn commit(&mut self) -> QueryResult<()> {
        C::TransactionManager::commit_transaction(&mut *self.0).await
    }

    async fn rollback(&mut self) -> QueryResult<()> {
        C::TransactionManager::rollback_transaction(&mut *self.0).await
    }

    fn in_transaction(&mut self) -> bool {
        in_transaction(C::TransactionManager::transaction_manager_status_mut(
            &mut *self.0,
        ))
    }

    fn forget_transaction(&mut self) {
        forget_transaction(C::TransactionManager::transaction_manager_status_mut(
            &mut *self.0,
        ));
    }

    fn abandon(&mut self) {}
}
