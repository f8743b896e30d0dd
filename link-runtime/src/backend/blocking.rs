//! The blocking driver: any diesel connection of a supported backend runs the core.

use std::future::Future;
use std::ops::DerefMut;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use diesel::connection::{LoadConnection, TransactionManager};
use diesel::{Connection, QueryResult};

use super::bind::{Key, LinkBackend, Statement};
use super::executor::Executor;
use super::row::LoadRow;
use super::{forget_transaction, in_transaction};
use crate::dialect::Dialect;

/// A diesel connection that links can be stored in: any [`Connection`] whose backend is
/// SQLite (feature `sqlite`, on by default) or PostgreSQL (feature `postgres`).
///
/// That is `SqliteConnection` and `PgConnection`, and as well diesel-async's
/// `AsyncConnectionWrapper` or a wrapper of a user's own that instruments a connection.
/// Implemented automatically.
///
/// ```
/// use diesel::{Connection, SqliteConnection};
/// use link_runtime::{Dialect, LinkConnection};
///
/// fn dialect_of<C: LinkConnection>(_: &C) -> Dialect {
///     C::DIALECT
/// }
///
/// let conn = SqliteConnection::establish(":memory:").unwrap();
/// assert_eq!(dialect_of(&conn), Dialect::Sqlite);
/// ```
pub trait LinkConnection: Connection<Backend: LinkBackend> + LoadConnection {
    /// The connection's SQL dialect.
    const DIALECT: Dialect = <Self::Backend as LinkBackend>::DIALECT;
}

impl<C> LinkConnection for C where C: Connection<Backend: LinkBackend> + LoadConnection {}

/// A blocking connection, or a handle on one (a pool's checkout), as the core's
/// [`Executor`].
pub(crate) struct Blocking<H>(pub(crate) H);

impl<H, C> Executor for Blocking<H>
where
    H: DerefMut<Target = C>,
    C: LinkConnection,
{
    const DIALECT: Dialect = C::DIALECT;

    async fn send<K: Key>(&mut self, statement: Statement<'_, K>) -> QueryResult<usize> {
        C::Backend::execute(&mut *self.0, statement)
    }

    async fn send_query<K: Key, R: LoadRow>(
        &mut self,
        statement: Statement<'_, K>,
    ) -> QueryResult<Vec<R>> {
        C::Backend::load(&mut *self.0, statement)
    }

    async fn send_query_each<K: Key, R: LoadRow>(
        &mut self,
        statement: Statement<'_, K>,
        each: &mut (dyn FnMut(R) -> bool + Send),
    ) -> QueryResult<usize> {
        C::Backend::load_each(&mut *self.0, statement, each)
    }

    async fn send_batch(&mut self, sql: &str) -> QueryResult<()> {
        self.0.batch_execute(sql)
    }

    async fn begin(&mut self) -> QueryResult<()> {
        C::TransactionManager::begin_transaction(&mut *self.0)
    }

    async fn commit(&mut self) -> QueryResult<()> {
        C::TransactionManager::commit_transaction(&mut *self.0)
    }

    async fn rollback(&mut self) -> QueryResult<()> {
        C::TransactionManager::rollback_transaction(&mut *self.0)
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

    fn abandon(&mut self) {
        let _ = C::TransactionManager::rollback_transaction(&mut *self.0);
    }
}

/// Runs a core operation on a [`Blocking`] executor to its end: its statements are answered
/// as they are asked, so it is ready at its first poll.
pub(crate) fn block_on<F: Future>(operation: F) -> F::Output {
    let mut operation = pin!(operation);
    match operation
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => unreachable!("a core operation on a blocking connection waited"),
    }
}
