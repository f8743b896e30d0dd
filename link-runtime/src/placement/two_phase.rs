//! Committing a write across several PostgreSQL databases all or none: a two-phase commit
//! whose coordinator is the links database, and whose decision is a row of its decision
//! log (`migrate/decisions.rs`).
//!
//! Only the databases the write changed take part ([`wrote`]): a transaction that only
//! read commits on its own, and a write that changed one database commits as usual.
//!
//! 1. The coordinator's transaction takes the lock of writes across databases, shared:
//!    [recovery](super::recovery) takes it exclusively, so it waits for every write that
//!    may still decide, and a write that has not prepared yet waits for recovery.
//! 2. Each other database (a participant) prepares its transaction:
//!    `PREPARE TRANSACTION 'link_runtime_<id>_<n>'`. Its part is then on disk, holding its
//!    locks, and survives a crash; only `COMMIT PREPARED` or `ROLLBACK PREPARED` ends it.
//! 3. The coordinator records the write's id in the decision log and commits: that commit
//!    is the decision. Before it, a crash rolls everything back; after it, everything
//!    commits.
//! 4. Each participant's prepared transaction is committed, then the decision is deleted
//!    (best effort: recovery deletes what is left).
//!
//! A failure before the decision rolls every part back. A coordinator's commit cut off
//! with its connection leaves the decision unknown, and a participant that cannot commit
//! after the decision leaves its part prepared: both are [`Error::InDoubt`], and
//! `Databases::recover` finishes the write as the decision log says.
//!
//! The identifiers of the prepared transactions are the runtime's own (a prefix, a ULID
//! and the participant's position), never a caller's text; recovery reads back only those
//! it can parse.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{Bool, Text};
use diesel::{QueryResult, QueryableByName};
use ulid::Ulid;

use crate::backend::{load_text, Executor};
use crate::definition::ColumnValue;
use crate::error::{Error, Result};
use crate::migrate::decisions;
use crate::migrate::sql::literal;

/// The prefix of the identifiers of the runtime's prepared transactions.
const PREFIX: &str = "link_runtime_";

/// The advisory lock of writes across databases, taken on the coordinator: the bytes of
/// `linkxact` as a 64-bit integer.
const LOCK: i64 = 7_811_896_436_511_040_372;

/// A database's part in a write across databases: its name, for errors, and its
/// connection, inside the transaction the write ran in.
pub(crate) struct Part<'a, E> {
    pub(crate) database: &'a str,
    pub(crate) conn: &'a mut E,
}

/// Commits the coordinator's and the participants' transactions all or none (see the
/// module's documentation). Every transaction is ended when it returns, committed,
/// rolled back or prepared for recovery.
///
/// Each participant's [`wrote`] must have answered, last, in its transaction.
pub(crate) async fn commit<E: Executor>(
    coordinator: Part<'_, E>,
    mut participants: Vec<Part<'_, E>>,
) -> Result<()> {
    let write = Ulid::new().to_string();

    // Phase one: the lock, then every participant prepared.
    let locked = coordinator
        .conn
        .batch_execute(&format!("SELECT pg_advisory_xact_lock_shared({LOCK})"))
        .await;
    if let Err(error) = locked {
        let _ = coordinator.conn.rollback().await;
        for part in &mut participants {
            let _ = part.conn.rollback().await;
        }
        return Err(error.into());
    }
    let mut refused = None;
    for (n, part) in participants.iter_mut().enumerate() {
        if let Err(error) = prepare(part, &gid(&write, n)).await {
            refused = Some((n, error));
            break;
        }
    }
    if let Some((prepared, error)) = refused {
        let _ = coordinator.conn.rollback().await;
        // The participant that refused has ended its transaction already.
        for part in &mut participants[prepared + 1..] {
            let _ = part.conn.rollback().await;
        }
        roll_back_prepared(&mut participants[..prepared], &write).await;
        return Err(error);
    }

    // The decision: the coordinator's commit.
    if let Err(error) = decisions::record(coordinator.conn, &write).await {
        let _ = coordinator.conn.rollback().await;
        roll_back_prepared(&mut participants, &write).await;
        return Err(error);
    }
    if let Err(source) = coordinator.conn.commit().await {
        if connection_lost(&source) {
            return Err(Error::InDoubt {
                id: write,
                database: coordinator.database.to_owned(),
                decided: false,
                source,
            });
        }
        // The server answered: it did not commit.
        roll_back_prepared(&mut participants, &write).await;
        return Err(source.into());
    }

    // Phase two: every part committed, then the decision forgotten.
    let mut unfinished = None;
    for (n, part) in participants.iter_mut().enumerate() {
        if let Err(source) = commit_prepared(part.conn, &gid(&write, n)).await {
            unfinished.get_or_insert((part.database, source));
        }
    }
    match unfinished {
        None => {
            // Recovery deletes the decision if this does not.
            let _ = decisions::forget(coordinator.conn, &[&write]).await;
            Ok(())
        }
        Some((database, source)) => Err(Error::InDoubt {
            id: write,
            database: database.to_owned(),
            decided: true,
            source,
        }),
    }
}

/// The identifier of the prepared transaction of the `n`th participant of the write
/// `write`.
fn gid(write: &str, n: usize) -> String {
    format!("{PREFIX}{write}_{n}")
}

/// The id of the write whose part `gid` is, if it is the identifier of one of the
/// runtime's prepared transactions.
pub(super) fn write_of(gid: &str) -> Option<&str> {
    let (write, n) = gid.strip_prefix(PREFIX)?.split_once('_')?;
    Ulid::from_string(write).ok()?;
    n.parse::<usize>().ok()?;
    Some(write)
}

/// A row of one boolean column named `value`.
#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    value: bool,
}

/// Whether the connection's transaction changed anything: PostgreSQL gives a transaction an
/// id at its first write (or row lock). One that only read needs no second phase.
///
/// In a transaction a statement failed in, `PREPARE TRANSACTION` rolls back and reports no
/// error, as if it had prepared; this query fails there instead. Run last before
/// [`commit`], it keeps such a transaction from passing for prepared.
pub(crate) async fn wrote<E: Executor>(conn: &mut E) -> Result<bool> {
    // `pg_current_xact_id_if_assigned` from PostgreSQL 13 on; this one from 10 on.
    let sql = "SELECT txid_current_if_assigned() IS NOT NULL AS value";
    let rows: Vec<Flag> = conn.load(sql, &[]).await?;
    Ok(rows.first().is_some_and(|row| row.value))
}

/// Prepares the participant's transaction as `gid`. The transaction has ended when this
/// returns, prepared or rolled back.
async fn prepare<E: Executor>(part: &mut Part<'_, E>, gid: &str) -> Result<()> {
    let sql = format!("PREPARE TRANSACTION {}", literal(gid));
    match part.conn.batch_execute(&sql).await {
        Ok(()) => {
            part.conn.forget_transaction();
            Ok(())
        }
        Err(error) => {
            let _ = part.conn.rollback().await;
            if answered(&error, "55000") && disabled(part.conn).await {
                return Err(Error::PreparedTransactionsDisabled {
                    database: part.database.to_owned(),
                });
            }
            Err(error.into())
        }
    }
}

/// Whether the server does not allow prepared transactions: `max_prepared_transactions`
/// is 0, as it is by default.
async fn disabled<E: Executor>(conn: &mut E) -> bool {
    let setting = load_text(
        conn,
        "SELECT current_setting('max_prepared_transactions') AS value",
        &[],
    )
    .await;
    matches!(setting.as_deref(), Ok([value]) if value == "0")
}

/// Rolls back the prepared transactions of `parts`, the first participants of `write`.
/// One that cannot be rolled back now stays prepared, with no decision: recovery rolls it
/// back.
async fn roll_back_prepared<E: Executor>(parts: &mut [Part<'_, E>], write: &str) {
    for (n, part) in parts.iter_mut().enumerate() {
        let _ = rollback_prepared(part.conn, &gid(write, n)).await;
    }
}

/// Commits the prepared transaction `gid`, on a connection to its database. Returns
/// whether this call committed it: one that is gone was committed already (by recovery,
/// or by the write itself), since a transaction whose write decided to commit is never
/// rolled back.
pub(super) async fn commit_prepared<E: Executor>(conn: &mut E, gid: &str) -> QueryResult<bool> {
    end_prepared(conn, "COMMIT PREPARED", gid).await
}

/// Rolls back the prepared transaction `gid`, on a connection to its database. Returns
/// whether this call rolled it back.
pub(super) async fn rollback_prepared<E: Executor>(conn: &mut E, gid: &str) -> QueryResult<bool> {
    end_prepared(conn, "ROLLBACK PREPARED", gid).await
}

async fn end_prepared<E: Executor>(conn: &mut E, command: &str, gid: &str) -> QueryResult<bool> {
    match conn
        .batch_execute(&format!("{command} {}", literal(gid)))
        .await
    {
        Ok(()) => Ok(true),
        // "prepared transaction with identifier ... does not exist"
        Err(error) if answered(&error, "42704") => Ok(false),
        Err(error) => Err(error),
    }
}

/// A prepared transaction of the runtime's, as `pg_prepared_xacts` lists it.
#[derive(QueryableByName)]
pub(super) struct Prepared {
    /// Its identifier.
    #[diesel(sql_type = Text)]
    pub(super) gid: String,
    /// Whether it belongs to the connection's database: only a connection to its own
    /// database can end it.
    #[diesel(sql_type = Bool)]
    pub(super) here: bool,
}

/// The runtime's prepared transactions on the connection's server, in every database.
pub(super) async fn list_prepared<E: Executor>(conn: &mut E) -> Result<Vec<Prepared>> {
    let sql = "SELECT gid, database = current_database() AS here FROM pg_prepared_xacts \
               WHERE left(gid, length($1)) = $1 ORDER BY prepared";
    Ok(conn.load(sql, &[ColumnValue::Text(PREFIX)]).await?)
}

/// Takes the lock of writes across databases exclusively, first thing in a transaction
/// of the coordinator's, until it ends: recovery waits for the writes that hold it, and
/// keeps new ones from preparing. The transaction reads committed rows, so that each
/// statement after the lock sees every decision made before it (a snapshot taken as the
/// lock was awaited would miss them).
pub(super) async fn lock<E: Executor>(conn: &mut E) -> Result<()> {
    Ok(conn
        .batch_execute(&format!(
            "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock({LOCK})"
        ))
        .await?)
}

/// Whether `error` leaves unknown if the statement took effect: the connection was lost
/// before the server's answer came.
fn connection_lost(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        DieselError::DatabaseError(_, information) => match information.sqlstate() {
            Some(code) => code.class().as_str() == "08" || code.as_str().starts_with("57P"),
            // No SQLSTATE: the server did not answer.
            None => true,
        },
        DieselError::RollbackErrorOnCommit { commit_error, .. } => connection_lost(commit_error),
        _ => true,
    }
}

/// Whether the server answered with the SQLSTATE `code`.
fn answered(error: &DieselError, code: &str) -> bool {
    match error {
        DieselError::DatabaseError(_, information) => information
            .sqlstate()
            .is_some_and(|answered| answered.as_str() == code),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_runtime_s_identifiers_are_read_back() {
        let write = Ulid::new().to_string();
        assert_eq!(write_of(&gid(&write, 2)), Some(write.as_str()));
        assert_eq!(write_of("link_runtime_not-a-ulid_0"), None);
        assert_eq!(write_of(&format!("{PREFIX}{write}")), None);
        assert_eq!(write_of(&format!("{PREFIX}{write}_x")), None);
        assert_eq!(write_of(&format!("other_{write}_0")), None);
    }

    #[test]
    fn the_lock_is_the_bytes_of_its_name() {
        assert_eq!(LOCK, i64::from_be_bytes(*b"linkxact"));
    }
}
