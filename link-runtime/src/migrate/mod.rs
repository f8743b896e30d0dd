//! Migration sync: bringing a database's link tables in line with the links a program
//! defines.
//!
//! - [`plan`] compares the registered links with the database and with what the last sync
//!   recorded in the `link_metadata` table, and returns typed [`Action`]s: create the
//!   metadata table, create a link table, add, change or drop an extra column, change the
//!   variants of an enum column, create or drop an index, record a link, drop the table of
//!   a link that is gone, forget a link whose table is gone. Each action is
//!   [`Safety::Safe`] or [`Safety::Unsafe`]: dropping a table or a column that holds rows,
//!   or converting a column's values, is unsafe, and so is a unique index that rows already
//!   there break (a table adopted from Medusa, where a product may hold two live brands on
//!   a link that gives it one), or an enum's check that refuses values rows hold (a variant
//!   removed): the plan asks the table before it calls such a change safe, and says which
//!   records or values stand in the way.
//! - A [`Plan`] prints as the SQL it runs, each action headed by a comment that says what
//!   it does and whether it is safe.
//! - [`apply`] runs the safe actions, and the unsafe ones only when allowed, each in its own
//!   transaction; a second run plans nothing. It never prompts and never drops data by
//!   default: what it skipped, and why, is in its result.
//! - [`export_migrations`] writes the same actions as a diesel migration folder.
//! - [`migrate`] is [`plan`] + [`apply`] of the safe part.
//!
//! The embeddable command (`links plan`, `links migrate`, ...) is `link_runtime::cli`, behind
//! the `cli` feature.

mod apply;
mod check;
pub(crate) mod decisions;
mod export;
pub(crate) mod introspect;
mod metadata;
mod plan;
mod replace;
pub(crate) mod sql;
pub(crate) mod unique;
mod variants;

pub(crate) use apply::apply_in;
pub use apply::{apply, Applied};
pub use export::export_migrations;
pub use plan::{plan, plan_for, Action, ActionKind, Plan, Safety, SkipReason, Skipped};
pub(crate) use plan::{plan_for_in, plan_in};

use crate::backend::retry::retrying;
use crate::backend::{block_on, Blocking, Executor, LinkConnection};
use crate::dialect::Dialect;
use crate::error::{gave_up_for_concurrency, Error, Result};
use crate::trace::operation;

/// Syncs the link tables with the registered links, running only safe actions: creates
/// the tables and indexes that are missing, adds extra columns, and records every link in
/// `link_metadata`. Unsafe actions (dropping a table that holds rows, ...) are returned as
/// skipped; run them with [`apply`] and `allow_unsafe`.
///
/// # Errors
///
/// As [`plan`] and [`apply`]: [`Error::DuplicateTable`] if two
/// registered links claim one table (nothing is changed), [`Error::Sync`]
/// if an action fails (the ones before it stay applied).
///
/// ```
/// # use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
/// # mod product_brand { use super::*; define_link!(Product, Brand); }
/// use diesel::{Connection, SqliteConnection};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// let applied = link_runtime::migrate(&mut conn)?;
/// assert!(applied.tables_created().any(|table| table == "product_product_brand_brand"));
///
/// let again = link_runtime::migrate(&mut conn)?;
/// assert!(again.applied.is_empty());
/// # Ok(())
/// # }
/// ```
pub fn migrate<C: LinkConnection>(conn: &mut C) -> Result<Applied> {
    block_on(migrate_in(&mut Blocking(conn)))
}

/// [`migrate`] on any executor.
///
/// One sync at a time: on PostgreSQL the sync holds an advisory lock (the session's, for
/// its plan and each of its actions' transactions), so that services starting together take
/// turns, and the one that comes second plans again after the first and finds nothing left
/// to do. On SQLite, a sync that meets another one's write (the database is busy) is planned
/// and applied again, up to a few times: its actions create what is missing only if it is
/// missing, so they all end with the same schema.
pub(crate) async fn migrate_in<E: Executor>(conn: &mut E) -> Result<Applied> {
    operation!("link_runtime.migrate", { databases = 1, }, |span| async {
        match E::DIALECT {
            Dialect::Postgres => {
                conn.batch_execute(SYNC_LOCK).await?;
                let outcome = async {
                    let plan = plan_in(conn).await?;
                    apply_in(conn, &plan, false).await
                }
                .await;
                let unlocked = conn.batch_execute(SYNC_UNLOCK).await;
                let applied = outcome?;
                unlocked?;
                Ok(applied)
            }
            Dialect::Sqlite => retrying!(conn, {
                async {
                    let plan = plan_in(conn).await?;
                    apply_in(conn, &plan, false).await
                }
                .await
                .map_err(|error| match error {
                    // A busy database is retried as the write's error, not the sync's.
                    Error::Sync { source, .. } if gave_up_for_concurrency(&source) => {
                        Error::Database(source)
                    }
                    other => other,
                })
            }),
        }
    })
}

/// The advisory lock key of link syncs: the bytes of `linksync` as a 64-bit integer.
const SYNC_LOCK: &str = "SELECT pg_advisory_lock(7811896436428729955)";
const SYNC_UNLOCK: &str = "SELECT pg_advisory_unlock(7811896436428729955)";
