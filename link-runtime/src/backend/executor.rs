//! What the core asks of a connection: run a statement, read rows, delimit a transaction.

use diesel::connection::{TransactionManagerStatus, ValidTransactionManagerStatus};
use diesel::QueryResult;

use super::bind::{Key, Statement};
use super::row::{LoadRow, TextValue};
use crate::definition::ColumnValue;
use crate::dialect::Dialect;
use crate::trace::Timer;

/// A connection as the core sees it. The core's operations are `async fn`s over this trait
/// and do nothing else that could wait: every `.await` in them is a statement for the
/// executor. The blocking driver's futures are therefore ready at their first poll.
///
/// A driver implements how a statement is sent ([`send`](Self::send),
/// [`send_query`](Self::send_query), [`send_batch`](Self::send_batch)); the core calls
/// [`run`](Self::run), [`fetch`](Self::fetch) and [`batch_execute`](Self::batch_execute),
/// written here once for both drivers, through which every statement passes once: that is
/// where its `tracing` event is (see `crate::trace`).
///
/// Transactions nest as diesel's do: `begin` inside a transaction opens a savepoint.
pub(crate) trait Executor {
    /// The SQL dialect statements are written in.
    const DIALECT: Dialect;

    /// The driver's: runs one statement; returns the affected row count. The core calls
    /// [`run`](Self::run).
    async fn send<K: Key>(&mut self, statement: Statement<'_, K>) -> QueryResult<usize>;

    /// The driver's: runs a query and reads its rows. The core calls
    /// [`fetch`](Self::fetch).
    async fn send_query<K: Key, R: LoadRow>(
        &mut self,
        statement: Statement<'_, K>,
    ) -> QueryResult<Vec<R>>;

    /// The driver's: runs a query and hands its rows to `each` as they are read, until it
    /// returns `false`; returns how many rows it handed over. The core calls
    /// [`fetch_each`](Self::fetch_each).
    async fn send_query_each<K: Key, R: LoadRow>(
        &mut self,
        statement: Statement<'_, K>,
        each: &mut (dyn FnMut(R) -> bool + Send),
    ) -> QueryResult<usize>;

    /// The driver's: runs statements with no parameters, separated by `;`. The core calls
    /// [`batch_execute`](Self::batch_execute).
    async fn send_batch(&mut self, sql: &str) -> QueryResult<()>;

    /// Runs one statement; returns the affected row count.
    async fn run<K: Key>(&mut self, statement: Statement<'_, K>) -> QueryResult<usize> {
        let sql = statement.sql();
        let timer = Timer::start();
        let outcome = self.send(statement).await;
        timer.finish(sql, outcome.as_ref().map(|&rows| Some(rows)));
        outcome
    }

    /// Runs a query and reads its rows.
    async fn fetch<K: Key, R: LoadRow>(
        &mut self,
        statement: Statement<'_, K>,
    ) -> QueryResult<Vec<R>> {
        let sql = statement.sql();
        let timer = Timer::start();
        let outcome = self.send_query(statement).await;
        timer.finish(sql, outcome.as_ref().map(|rows| Some(rows.len())));
        outcome
    }

    /// Runs a query and hands its rows to `each` one at a time, as the database sends them,
    /// until it returns `false`: a result read this way is never held whole. Returns how
    /// many rows it handed over.
    async fn fetch_each<K: Key, R: LoadRow>(
        &mut self,
        statement: Statement<'_, K>,
        each: &mut (dyn FnMut(R) -> bool + Send),
    ) -> QueryResult<usize> {
        let sql = statement.sql();
        let timer = Timer::start();
        let outcome = self.send_query_each(statement, each).await;
        timer.finish(sql, outcome.as_ref().map(|&rows| Some(rows)));
        outcome
    }

    /// Runs one statement with `binds` as its parameters, prepared for this run only;
    /// returns the affected row count.
    async fn execute(&mut self, sql: &str, binds: &[ColumnValue<'_>]) -> QueryResult<usize> {
        self.run(Statement::once(sql, binds)).await
    }

    /// Runs a query with `binds` as its parameters, prepared for this run only, and reads
    /// its rows.
    async fn load<R: LoadRow>(
        &mut self,
        sql: &str,
        binds: &[ColumnValue<'_>],
    ) -> QueryResult<Vec<R>> {
        self.fetch(Statement::once(sql, binds)).await
    }

    /// Runs statements with no parameters, separated by `;`.
    async fn batch_execute(&mut self, sql: &str) -> QueryResult<()> {
        let timer = Timer::start();
        let outcome = self.send_batch(sql).await;
        timer.finish(sql, outcome.as_ref().map(|()| None));
        outcome
    }

    /// Whether a transaction is open on the connection, so that [`begin`](Self::begin)
    /// would open a savepoint. A transaction manager diesel marks as broken counts as
    /// one: `begin` fails on it anyway.
    fn in_transaction(&mut self) -> bool;

    /// Opens a transaction (a savepoint inside one).
    async fn begin(&mut self) -> QueryResult<()>;

    /// Commits the innermost transaction.
    async fn commit(&mut self) -> QueryResult<()>;

    /// Rolls the innermost transaction back.
    async fn rollback(&mut self) -> QueryResult<()>;

    /// Records that the server ended the connection's transaction by itself, as
    /// `PREPARE TRANSACTION` does: the connection is outside any transaction from now on,
    /// and nothing is sent.
    fn forget_transaction(&mut self);

    /// Leaves the transaction an operation opened when the operation ends without
    /// finishing it (a panic, a dropped future). The blocking driver rolls it back; an async
    /// connection cannot be awaited here, and goes back to its pool inside the transaction,
    /// where diesel-async's pools see that it is broken and drop it.
    fn abandon(&mut self);
}

/// Whether a connection whose transaction manager is in `status` is inside a transaction
/// (a broken one counts as inside): both drivers' [`Executor::in_transaction`].
pub(crate) fn in_transaction(status: &TransactionManagerStatus) -> bool {
    !matches!(status.transaction_depth(), Ok(None))
}

/// Marks a connection whose transaction manager is in `status` as outside any transaction,
/// unless the manager is broken: both drivers' [`Executor::forget_transaction`]. (diesel's
/// `PgConnection` notices by itself that the server left the transaction; a connection of
/// another make may not.)
pub(crate) fn forget_transaction(status: &mut TransactionManagerStatus) {
    if let TransactionManagerStatus::Valid(valid) = status {
        *valid = ValidTransactionManagerStatus::default();
    }
}

/// Runs a query whose one column, named `value`, is text; returns that column.
pub(crate) async fn load_text<E: Executor>(
    conn: &mut E,
    sql: &str,
    binds: &[ColumnValue<'_>],
) -> QueryResult<Vec<String>> {
    let rows: Vec<TextValue> = conn.load(sql, binds).await?;
    Ok(rows.into_iter().map(|row| row.value).collect())
}

/// Ends the transaction a [`begin`](Executor::begin) opened: commits it if `outcome` is a
/// success, rolls it back if not. A failed commit is the outcome then.
///
/// ```text
/// conn.begin().await?;
/// let outcome = work(conn).await;
/// finish(conn, outcome).await
/// ```
pub(crate) async fn finish<E, T, Err>(conn: &mut E, outcome: Result<T, Err>) -> Result<T, Err>
where
    E: Executor,
    Err: From<diesel::result::Error>,
{
    match outcome {
        Ok(value) => {
            conn.commit().await?;
            Ok(value)
        }
        Err(error) => {
            // The error that made us roll back is the one worth reporting.
            let _ = conn.rollback().await;
            Err(error)
        }
    }
}
