//! Finishing the writes across PostgreSQL databases that a crash cut off: each prepared
//! transaction of the runtime's is committed if its write's decision is in the decision
//! log, and rolled back if not.

use std::collections::HashSet;

use serde::Serialize;

use super::two_phase::{commit_prepared, list_prepared, lock, rollback_prepared, write_of};
use super::{Placement, Reach};
use crate::backend::{finish, Executor};
use crate::dialect::Dialect;
use crate::error::Result;
use crate::migrate::decisions;
use crate::trace::operation;

/// What [`Databases::recover`](crate::databases::Databases::recover) (or
/// `aio::Databases::recover`) found and did: the parts of
/// writes across databases that a crash left prepared, each committed or rolled back as
/// its write had decided.
///
/// It serializes as an object of its two lists, for a start-up log:
///
/// ```
/// use link_runtime::databases::Recovery;
/// use serde_json::json;
///
/// let nothing = Recovery::default();
/// assert!(nothing.is_empty());
/// assert_eq!(
///     serde_json::to_value(&nothing).unwrap(),
///     json!({ "committed": [], "rolled_back": [] })
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Recovery {
    /// The parts of writes that had decided to commit, committed now.
    pub committed: Vec<Resolved>,
    /// The parts of writes that had not decided when they were cut off, rolled back: such
    /// a write is undone in every database.
    pub rolled_back: Vec<Resolved>,
}

impl Recovery {
    /// Whether nothing was in doubt.
    pub fn is_empty(&self) -> bool {
        self.committed.is_empty() && self.rolled_back.is_empty()
    }
}

/// A prepared transaction that recovery ended: one database's part of a write across
/// databases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Resolved {
    /// The name of the database it was in.
    pub database: String,
    /// Its identifier, as PostgreSQL's `pg_prepared_xacts` lists it:
    /// `link_runtime_<write>_<n>`, where `<write>` is the id an
    /// [`Error::InDoubt`](crate::Error::InDoubt) names.
    pub gid: String,
}

impl<H: Reach> Placement<H> {
    /// Ends the prepared transactions of cut-off writes in every database of the
    /// placement, as the decision log of its links database says, then deletes the
    /// decisions no database waits on any more. Nothing to do on SQLite.
    pub(crate) async fn recover<'d>(&'d self) -> Result<Recovery> {
        operation!(
            "link_runtime.recover",
            { databases = self.databases.len(), committed = Empty, rolled_back = Empty, },
            |span| async {
                if <H::Conn<'d> as Executor>::DIALECT != Dialect::Postgres {
                    return Ok(Recovery::default());
                }
                // The lock is the transaction's: a recovery cut short (a dropped future)
                // leaves its connection inside it, which a pool drops, so the lock does
                // not outlive it.
                let mut coordinator = self.links_database().reach().await?;
                coordinator.begin().await?;
                let recovered = async {
                    lock(&mut coordinator).await?;
                    self.resolve(&mut coordinator).await
                }
                .await;
                let recovered = finish(&mut coordinator, recovered).await?;
                span.record("committed", recovered.committed.len());
                span.record("rolled_back", recovered.rolled_back.len());
                Ok(recovered)
            }
        )
    }

    /// [`recover`](Self::recover) under the lock of writes across databases, which
    /// `coordinator`'s transaction holds: no write decides meanwhile, and every write
    /// that had prepared has decided, or never will. The decisions are deleted in that
    /// transaction.
    async fn resolve<'d>(&'d self, coordinator: &mut H::Conn<'d>) -> Result<Recovery> {
        let decided: HashSet<String> = if decisions::exists(coordinator).await? {
            decisions::load(coordinator).await?.into_iter().collect()
        } else {
            HashSet::new()
        };
        let mut recovery = Recovery::default();
        let mut ended = HashSet::new();
        // Parts in databases of the same servers, which their own connections end if the
        // placement reaches them.
        let mut elsewhere = HashSet::new();
        for (index, database) in self.databases.iter().enumerate() {
            // A prepared transaction is ended by a connection to its database outside
            // any transaction. The coordinator's is inside one, and its database holds no
            // part of the writes it coordinates: it is reached again only if some other
            // coordinator left parts there.
            let mut outside = None;
            let listed = if index == self.links_default {
                list_prepared(&mut *coordinator).await?
            } else {
                list_prepared(outside.insert(database.reach().await?)).await?
            };
            for prepared in listed {
                let Some(write) = write_of(&prepared.gid) else {
                    continue;
                };
                if !prepared.here {
                    elsewhere.insert(prepared.gid);
                    continue;
                }
                if outside.is_none() {
                    outside = Some(database.reach().await?);
                }
                let conn = outside.as_mut().expect("reached above");
                let resolved = Resolved {
                    database: database.name().to_owned(),
                    gid: prepared.gid.clone(),
                };
                if decided.contains(write) {
                    if commit_prepared(conn, &prepared.gid).await? {
                        recovery.committed.push(resolved);
                    }
                } else if rollback_prepared(conn, &prepared.gid).await? {
                    recovery.rolled_back.push(resolved);
                }
                ended.insert(prepared.gid);
            }
        }
        let waiting: HashSet<&str> = elsewhere
            .difference(&ended)
            .filter_map(|gid| write_of(gid))
            .collect();
        let done: Vec<&str> = decided
            .iter()
            .map(String::as_str)
            .filter(|write| !waiting.contains(write))
            .collect();
        if !done.is_empty() {
            decisions::forget(coordinator, &done).await?;
        }
        Ok(recovery)
    }
}
