//! The transactions a graph query runs in: [`Timed`], the query's connections, each in a
//! transaction of the query's own, so that its statements on one database (the page and its
//! count, each link's statements) read one snapshot of it; on PostgreSQL the transaction is
//! `REPEATABLE READ, READ ONLY` without JIT, and its `statement_timeout` is set with
//! `SET LOCAL`, so that the settings end with the query.

use std::time::Duration;

use crate::backend::{load_text, Connections, Executor, Place};
use crate::definition::ColumnValue;
use crate::dialect::Dialect;
use crate::error::{Error, Result};

/// `connections` as a graph query uses them under `timeout`: the first statement on each
/// database opens a transaction (a savepoint inside a caller's, whose snapshot the query
/// then shares), makes it read one snapshot on PostgreSQL (`REPEATABLE READ`; SQLite's
/// transactions do), and sets the timeout in it (PostgreSQL only: SQLite has no such
/// setting); [`finish`](Self::finish) ends them.
pub(super) struct Timed<'x, X> {
    conns: &'x mut X,
    timeout: Option<Duration>,
    /// A place in each database the query has run a statement in, and the setting to
    /// put back there when the query's transaction is a savepoint (a caller's transaction
    /// would keep the query's setting past its release).
    started: Vec<(Owned, Option<String>)>,
}

/// A [`Place`] kept past the call that named it.
enum Owned {
    Module(String),
    Link(String),
}

impl Owned {
    fn of(place: Place<'_>) -> Self {
        match place {
            Place::Module(module) => Owned::Module(module.to_owned()),
            Place::Link(table) => Owned::Link(table.to_owned()),
        }
    }

    fn place(&self) -> Place<'_> {
        match self {
            Owned::Module(module) => Place::Module(module),
            Owned::Link(table) => Place::Link(table),
        }
    }
}

/// PostgreSQL's setting, read and set by name.
const SETTING: &str = "statement_timeout";

impl<'x, X: Connections> Timed<'x, X> {
    pub(super) fn new(conns: &'x mut X, timeout: Option<Duration>) -> Self {
        let timeout = timeout.filter(|_| <X::Conn as Executor>::DIALECT == Dialect::Postgres);
        Timed {
            conns,
            timeout,
            started: Vec::new(),
        }
    }

    /// Ends the query's transactions: on success, puts each savepoint's setting back and
    /// commits; on failure, rolls back (which ends the setting too). A statement the
    /// timeout cancelled is [`Error::QueryTimeout`].
    pub(super) async fn finish<T>(self, outcome: Result<T>) -> Result<T> {
        let mut outcome = outcome;
        for (place, restore) in &self.started {
            // The connection is open already: this finds it again.
            let conn = match self.conns.conn(place.place()).await {
                Ok(conn) => conn,
                Err(error) => {
                    outcome = outcome.and(Err(error));
                    continue;
                }
            };
            if outcome.is_ok() {
                let restored = match restore {
                    Some(setting) => set(conn, setting).await,
                    None => Ok(()),
                };
                let ended = match restored {
                    Ok(()) => conn.commit().await.map_err(Error::from),
                    Err(error) => {
                        let _ = conn.rollback().await;
                        Err(error)
                    }
                };
                if let Err(error) = ended {
                    outcome = Err(error);
                }
            } else {
                // The error that ended the query is the one worth reporting.
                let _ = conn.rollback().await;
            }
        }
        match (outcome, self.timeout) {
            (Err(error), Some(timeout)) if error.is_statement_timeout() => {
                Err(Error::QueryTimeout { timeout })
            }
            (outcome, _) => outcome,
        }
    }
}

impl<X: Connections> Connections for Timed<'_, X> {
    type Conn = X::Conn;

    async fn conn(&mut self, place: Place<'_>) -> Result<&mut X::Conn> {
        let conns = &*self.conns;
        if !self
            .started
            .iter()
            .any(|(started, _)| conns.together(started.place(), place))
        {
            let conn = self.conns.conn(place).await?;
            let restore = start(conn, self.timeout).await?;
            self.started.push((Owned::of(place), restore));
        }
        self.conns.conn(place).await
    }

    fn together(&self, a: Place<'_>, b: Place<'_>) -> bool {
        self.conns.together(a, b)
    }
}

/// The first statement of a graph query's own transaction on PostgreSQL: every statement
/// after it reads the snapshot the first one takes, and none writes.
const ONE_SNAPSHOT: &str = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";

/// PostgreSQL's JIT, off for a graph query's own transaction: a graph query's subqueries
/// (a count, a filter through a link) make PostgreSQL estimate plans as costly enough for
/// JIT, which then compiles them again on every run: 134 ms of a 550 ms count over 1,000
/// brands (BENCHMARKS.md, "Counts of linked records").
const NO_JIT: (&str, &str) = ("jit", "off");

/// Opens the query's transaction on `conn`, one snapshot, and sets its timeout there, if
/// any; the setting to put back before the transaction ends, if it is a savepoint.
async fn start<E: Executor>(conn: &mut E, timeout: Option<Duration>) -> Result<Option<String>> {
    let nested = conn.in_transaction();
    conn.begin().await?;
    let started = async {
        if E::DIALECT != Dialect::Postgres {
            return Ok(None);
        }
        // A caller's transaction keeps its own snapshot and settings (but the timeout).
        let mut settings = Vec::with_capacity(2);
        if !nested {
            conn.execute(ONE_SNAPSHOT, &[]).await?;
            settings.push(NO_JIT);
        }
        let restore = match (timeout, nested) {
            (Some(_), true) => {
                let sql = "SELECT current_setting($1) AS value";
                let mut now = load_text(conn, sql, &[ColumnValue::Text(SETTING)]).await?;
                now.pop()
            }
            _ => None,
        };
        // In milliseconds, and at least one: PostgreSQL reads 0 as no timeout at all.
        let millis =
            timeout.map(|timeout| timeout.as_millis().clamp(1, i32::MAX as u128).to_string());
        if let Some(millis) = &millis {
            settings.push((SETTING, millis));
        }
        set_local(conn, &settings).await?;
        Ok(restore)
    }
    .await;
    if started.is_err() {
        let _ = conn.rollback().await;
    }
    started
}

/// Sets the timeout to `value` until the end of the transaction (`SET LOCAL`).
async fn set<E: Executor>(conn: &mut E, value: &str) -> Result<()> {
    set_local(conn, &[(SETTING, value)]).await
}

/// Sets each of `settings` (one of the runtime's names, a value) until the end of the
/// transaction, in one simple-protocol message: `SET LOCAL jit = 'off'; SET LOCAL
/// statement_timeout = '1000'`. Nothing for no setting.
///
/// Not `SELECT set_config(..)` through the extended protocol: a timeout set there starts
/// counting at that statement's `Sync`, and a timeout that fires there (a short one, on a
/// busy server) aborts the transaction with an error an async client does not read (its
/// statement has answered), so that the next statement fails as "current transaction is
/// aborted" rather than as the timeout. A `SET` in a simple query takes effect from the
/// next message on.
async fn set_local<E: Executor>(conn: &mut E, settings: &[(&str, &str)]) -> Result<()> {
    if settings.is_empty() {
        return Ok(());
    }
    let sql: Vec<String> = settings
        .iter()
        .map(|(name, value)| format!("SET LOCAL {name} = {}", literal(value)))
        .collect();
    conn.batch_execute(&sql.join("; ")).await?;
    Ok(())
}

/// `value` as an SQL string literal. The values set are the runtime's own (`off`, a number
/// of milliseconds) or read back from the server (a savepoint's earlier timeout).
fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}
