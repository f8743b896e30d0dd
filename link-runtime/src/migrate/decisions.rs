//! The decision log (`link_runtime_decisions`): where a write across PostgreSQL databases
//! records, in the same transaction as its own part, that it commits.
//!
//! One row per write (its id and when it was decided), kept until every database of the
//! write has committed its part, then deleted. The table lives in the links database of a
//! placement, the writes' coordinator. It is created by the placement's sync, or by the
//! first write across databases, with `CREATE TABLE IF NOT EXISTS` under the sync's
//! advisory lock, so that processes starting together take turns, as syncs do.
//!
//! Every statement here names only this table; the ids are the runtime's own (ULIDs),
//! bound as parameters.

use crate::backend::{load_text, Executor};
use crate::definition::ColumnValue;
use crate::dialect::{json_list, Dialect};
use crate::error::Result;
use crate::migrate::introspect::table_exists;
use crate::migrate::sql::ident;
use crate::migrate::{SYNC_LOCK, SYNC_UNLOCK};

/// The decision log's name.
pub(crate) const TABLE: &str = "link_runtime_decisions";

/// The statement that creates the decision log.
fn create_table_sql() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n    \"id\" TEXT PRIMARY KEY,\n    \
         \"decided_at\" TIMESTAMPTZ NOT NULL DEFAULT now()\n)",
        ident(TABLE)
    )
}

/// Whether the decision log exists in the connection's database (in its current schema).
pub(crate) async fn exists<E: Executor>(conn: &mut E) -> Result<bool> {
    table_exists(conn, TABLE).await
}

/// Creates the decision log if it is missing, under the sync's lock. The connection must
/// not be inside a transaction: the table is committed at once, for every write to see.
pub(crate) async fn create<E: Executor>(conn: &mut E) -> Result<()> {
    if exists(conn).await? {
        return Ok(());
    }
    conn.batch_execute(SYNC_LOCK).await?;
    let created = conn.batch_execute(&create_table_sql()).await;
    let unlocked = conn.batch_execute(SYNC_UNLOCK).await;
    created?;
    unlocked?;
    Ok(())
}

/// Records that the write `id` commits: run inside the coordinator's transaction, whose
/// commit makes the decision.
pub(crate) async fn record<E: Executor>(conn: &mut E, id: &str) -> Result<()> {
    let sql = format!("INSERT INTO {} (\"id\") VALUES ($1)", ident(TABLE));
    conn.execute(&sql, &[ColumnValue::Text(id)]).await?;
    Ok(())
}

/// The ids of every write the log holds a decision for.
pub(crate) async fn load<E: Executor>(conn: &mut E) -> Result<Vec<String>> {
    let sql = format!("SELECT \"id\" AS value FROM {}", ident(TABLE));
    Ok(load_text(conn, &sql, &[]).await?)
}

/// Deletes the decisions of the writes `ids`, whose every part has committed.
pub(crate) async fn forget<E: Executor>(conn: &mut E, ids: &[&str]) -> Result<()> {
    let sql = format!(
        "DELETE FROM {} WHERE {}",
        ident(TABLE),
        Dialect::Postgres.in_json("\"id\"", "$1")
    );
    let ids = json_list(ids);
    conn.execute(&sql, &[ColumnValue::Text(&ids)]).await?;
    Ok(())
}
