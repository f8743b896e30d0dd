//! Where each module and link lives, and the operations across databases, whatever the
//! driver: `databases::Databases` places blocking connection sources, `aio::Databases`
//! async ones; both are a [`Placement`] of their driver's database handle.
//!
//! A write across several PostgreSQL databases commits in two phases (`two_phase.rs`);
//! `recovery.rs` finishes the ones a crash cut off.

mod recovery;
mod two_phase;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

pub use self::recovery::{Recovery, Resolved};
use self::two_phase::Part;
use crate::backend::{Connections, Executor, Place};
use crate::definition::LinkSchema;
use crate::dialect::Dialect;
use crate::entity::registered_entities;
use crate::error::{Error, Result};
use crate::id::Id;
use crate::linkable::Linkable;
use crate::migrate::{apply_in, decisions, plan_for_in, Applied};
use crate::registry::registered_links;
use crate::service::{check_in, delete_in, restore_in, Cascade, Deletion, Integrity};
use crate::trace::operation;

/// A database: a named handle on a source of connections, of either driver.
pub(crate) trait Handle: Clone {
    /// Its name, for errors and results.
    fn name(&self) -> &str;

    /// Whether `other` is a handle on the same source.
    fn same_as(&self, other: &Self) -> bool;
}

/// A database as a driver reaches it.
pub(crate) trait Reach: Handle {
    /// A connection checked out of the source, as the core's executor.
    type Conn<'a>: Executor
    where
        Self: 'a;

    /// A connection to it.
    async fn reach(&self) -> Result<Self::Conn<'_>>;
}

/// Every distinct database, and where each module's tables and each link's pivot table are.
pub(crate) struct Placement<H> {
    /// Every distinct database, the default first.
    databases: Vec<H>,
    modules: HashMap<String, usize>,
    links: HashMap<&'static str, usize>,
    links_default: usize,
    /// Whether the links database's decision log is known to exist.
    decision_log: AtomicBool,
}

impl<H: Handle> Placement<H> {
    /// Everything in `default` until placed elsewhere.
    pub(crate) fn new(default: &H) -> Self {
        Placement {
            databases: vec![default.clone()],
            modules: HashMap::new(),
            links: HashMap::new(),
            links_default: 0,
            decision_log: AtomicBool::new(false),
        }
    }

    /// The module `module`'s tables are in `database`.
    pub(crate) fn module(&mut self, module: String, database: &H) {
        let index = self.index_of(database);
        self.modules.insert(module, index);
    }

    /// Link tables not placed one by one are in `database`.
    pub(crate) fn links(&mut self, database: &H) {
        self.links_default = self.index_of(database);
    }

    /// The pivot table `table` is in `database`.
    pub(crate) fn link(&mut self, table: &'static str, database: &H) {
        let index = self.index_of(database);
        self.links.insert(table, index);
    }

    fn index_of(&mut self, database: &H) -> usize {
        match self.databases.iter().position(|d| d.same_as(database)) {
            Some(index) => index,
            None => {
                self.databases.push(database.clone());
                self.databases.len() - 1
            }
        }
    }
}

impl<H: Handle> Placement<H> {
    /// The database `place` is in.
    pub(crate) fn database(&self, place: Place<'_>) -> &H {
        &self.databases[self.index(place)]
    }

    /// The database of the module `module`, which must be one that was placed or that a
    /// registered model or link belongs to: a misspelt name would otherwise reach the
    /// default database.
    pub(crate) fn module_database(&self, module: &str) -> Result<&H> {
        if !self.modules.contains_key(module) {
            let mut known: Vec<String> = registered_entities()
                .map(|entity| entity.module.to_owned())
                .chain(
                    registered_links()?
                        .iter()
                        .flat_map(|link| [link.left.module(), link.right.module()])
                        .map(str::to_owned),
                )
                .collect();
            if !known.iter().any(|known| known == module) {
                known.sort();
                known.dedup();
                return Err(Error::UnknownModule {
                    module: module.to_owned(),
                    known,
                });
            }
        }
        Ok(self.database(Place::Module(module)))
    }

    /// The database of the link tables not placed one by one.
    pub(crate) fn links_database(&self) -> &H {
        &self.databases[self.links_default]
    }

    fn index(&self, place: Place<'_>) -> usize {
        match place {
            Place::Module(module) => self.modules.get(module).copied().unwrap_or(0),
            Place::Link(table) => self.links.get(table).copied().unwrap_or(self.links_default),
        }
    }
}

impl<H: Reach> Placement<H> {
    /// Syncs the link tables of each database that holds links with the links placed
    /// there: safe actions only. What was done, by database name. On PostgreSQL across
    /// several databases, it creates the links database's decision log too.
    pub(crate) async fn migrate<'d>(&'d self) -> Result<Vec<(String, Applied)>> {
        operation!(
            "link_runtime.migrate",
            { databases = Empty, },
            |span| async {
                let links = registered_links()?;
                let mut done = Vec::new();
                for (index, database) in self.databases.iter().enumerate() {
                    let here: Vec<&LinkSchema> = links
                        .iter()
                        .copied()
                        .filter(|link| self.index(Place::Link(link.table)) == index)
                        .collect();
                    if here.is_empty() {
                        continue;
                    }
                    let mut conn = database.reach().await?;
                    let plan = plan_for_in(&mut conn, &here).await?;
                    let applied = apply_in(&mut conn, &plan, false).await?;
                    done.push((database.name().to_owned(), applied));
                }
                if self.spans_postgres_databases::<H::Conn<'d>>() {
                    self.create_decision_log().await?;
                }
                span.record("databases", done.len());
                Ok(done)
            }
        )
    }

    /// `delete` across the databases, one transaction in each, committed together.
    pub(crate) async fn delete<'d, M, X>(&'d self, modules: &X, ids: &[Id<M>]) -> Result<Deletion>
    where
        M: Linkable,
        X: Cascade<H::Conn<'d>>,
    {
        let mut session = self.writes(Turns::RecordsFirst).await?;
        let outcome = delete_in(&mut session, modules, ids).await;
        session.finish(outcome).await
    }

    /// `restore` across the databases, one transaction in each, committed together.
    pub(crate) async fn restore<'d, X>(&'d self, modules: &X, deletion: &Deletion) -> Result<usize>
    where
        X: Cascade<H::Conn<'d>>,
    {
        let mut session = self.writes(Turns::LinksFirst).await?;
        let outcome = restore_in(&mut session, modules, deletion).await;
        session.finish(outcome).await
    }

    /// A session of writes, committed in `turns` where its databases commit in turn. On
    /// PostgreSQL across several databases, the links database's decision log is created
    /// first if it is missing: a write across databases commits through it.
    async fn writes<'d>(&'d self, turns: Turns) -> Result<Session<'d, H>> {
        if self.spans_postgres_databases::<H::Conn<'d>>() {
            self.create_decision_log().await?;
        }
        let mut session = Session::new(self, true);
        session.turns = turns;
        Ok(session)
    }

    /// Whether a write may span several PostgreSQL databases, `E` being the executor of
    /// the placement's connections.
    fn spans_postgres_databases<E: Executor>(&self) -> bool {
        E::DIALECT == Dialect::Postgres && self.databases.len() > 1
    }

    /// Creates the decision log of the links database if it is missing, once per
    /// placement.
    async fn create_decision_log(&self) -> Result<()> {
        if !self.decision_log.load(Ordering::Acquire) {
            decisions::create(&mut self.links_database().reach().await?).await?;
            self.decision_log.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// `check` across the databases.
    pub(crate) async fn check(&self, prune: bool) -> Result<Integrity> {
        check_in(&mut Session::new(self, false), prune).await
    }
}

impl<H: Handle> fmt::Debug for Placement<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |index: usize| self.databases[index].name();
        let mut modules: Vec<(&str, &str)> = self
            .modules
            .iter()
            .map(|(module, &index)| (module.as_str(), name(index)))
            .collect();
        modules.sort_unstable();
        let mut links: Vec<(&str, &str)> = self
            .links
            .iter()
            .map(|(&table, &index)| (table, name(index)))
            .collect();
        links.sort_unstable();
        f.debug_struct("Databases")
            .field("default", &name(0))
            .field("links", &name(self.links_default))
            .field("modules", &modules)
            .field("link_tables", &links)
            .finish()
    }
}

/// The connections of one operation across a [`Placement`]: each database's checked out at
/// its first use and held to the end, in a transaction when asked for.
pub(crate) struct Session<'d, H: Reach> {
    placement: &'d Placement<H>,
    open: Vec<(usize, H::Conn<'d>)>,
    /// What each connection of `open` was asked for.
    used: Vec<Used>,
    transactions: bool,
    turns: Turns,
}

/// What an operation used a database of its session for.
#[derive(Debug, Clone, Copy, Default)]
struct Used {
    /// Link tables.
    links: bool,
    /// A module's tables.
    records: bool,
}

/// The order in which a write's databases commit when they commit in turn (SQLite files):
/// the one that makes a crash between two commits leave, at worst, live links to
/// soft-deleted records, which `Databases::check` finds and prunes.
#[derive(Debug, Clone, Copy)]
enum Turns {
    /// A delete: the databases where it soft-deleted records first, where it dismissed
    /// links last.
    RecordsFirst,
    /// A restore: the databases where it revived links first, where it restored records
    /// last.
    LinksFirst,
}

impl<'d, H: Reach> Session<'d, H> {
    /// A session whose every connection runs in a transaction (ended by
    /// [`finish`](Self::finish)) if `transactions`, or a session of reads.
    pub(crate) fn new(placement: &'d Placement<H>, transactions: bool) -> Self {
        Session {
            placement,
            open: Vec::new(),
            used: Vec::new(),
            transactions,
            turns: Turns::RecordsFirst,
        }
    }

    /// Commits every transaction if `outcome` is a success, rolls every one back if not.
    ///
    /// Transactions in several PostgreSQL databases commit in two phases, all or none
    /// ([`two_phase`]). Otherwise (one database, or SQLite files) they commit in turn, in
    /// [`Turns`], and a commit that fails rolls back the ones not yet committed; a crash
    /// between two commits leaves the first committed.
    pub(crate) async fn finish<T>(mut self, outcome: Result<T>) -> Result<T> {
        let outcome = match outcome {
            Ok(value) => self.commit().await.map(|()| value),
            Err(error) => {
                // The error that ended the session is the one worth reporting.
                self.roll_back().await;
                Err(error)
            }
        };
        self.transactions = false;
        outcome
    }

    /// Commits every transaction, in two phases if more than one PostgreSQL database
    /// wrote.
    async fn commit(&mut self) -> Result<()> {
        // Which transactions wrote, by slot: on SQLite, or in one database, all of them.
        let mut wrote = vec![true; self.open.len()];
        if <H::Conn<'d> as Executor>::DIALECT == Dialect::Postgres && self.open.len() > 1 {
            for (slot, (_, conn)) in self.open.iter_mut().enumerate() {
                match two_phase::wrote(conn).await {
                    Ok(changed) => wrote[slot] = changed,
                    Err(error) => {
                        self.roll_back().await;
                        return Err(error);
                    }
                }
            }
            if wrote.iter().filter(|&&changed| changed).count() > 1 {
                return self.commit_in_two_phases(&wrote).await;
            }
        }
        // The transactions that only read commit first, so that the one that wrote (if one
        // did, alone) is not committed when another then fails.
        let mut slots: Vec<usize> = (0..wrote.len()).collect();
        slots.sort_by_key(|&slot| (wrote[slot], self.turn(slot)));
        let mut outcome = Ok(());
        for slot in slots {
            let conn = &mut self.open[slot].1;
            if outcome.is_ok() {
                outcome = conn.commit().await;
                if outcome.is_err() {
                    // SQLite keeps the transaction of a commit it refused (a busy file).
                    let _ = conn.rollback().await;
                }
            } else {
                let _ = conn.rollback().await;
            }
        }
        Ok(outcome?)
    }

    /// Commits the transactions that wrote, `wrote` by slot, in several PostgreSQL
    /// databases all or none, the links database coordinating (it joins the session if
    /// the write did not reach it). The ones that only read commit first, on their own.
    async fn commit_in_two_phases(&mut self, wrote: &[bool]) -> Result<()> {
        let placement = self.placement;
        let coordinator = match self.open(placement.links_default).await {
            Ok(slot) => slot,
            Err(error) => {
                self.roll_back().await;
                return Err(error);
            }
        };
        let mut parts = Vec::with_capacity(self.open.len() - 1);
        let mut coordinating = None;
        for (slot, (index, conn)) in self.open.iter_mut().enumerate() {
            let part = Part {
                database: placement.databases[*index].name(),
                conn,
            };
            if slot == coordinator {
                coordinating = Some(part);
            } else if wrote[slot] {
                parts.push(part);
            } else if let Err(error) = part.conn.commit().await {
                // Nothing is prepared yet: everything goes back.
                self.roll_back().await;
                return Err(error.into());
            }
        }
        let coordinating = coordinating.expect("the coordinator joined the session");
        two_phase::commit(coordinating, parts).await
    }

    /// When the transaction of `slot` commits, among transactions that commit in turn: 0
    /// first, 2 last.
    fn turn(&self, slot: usize) -> u8 {
        let Used { links, records } = self.used[slot];
        let (first, last) = match self.turns {
            Turns::RecordsFirst => (records && !links, links && !records),
            Turns::LinksFirst => (links && !records, records && !links),
        };
        u8::from(!first) + u8::from(last)
    }

    /// Rolls every transaction back, whatever fails.
    async fn roll_back(&mut self) {
        for (_, conn) in &mut self.open {
            let _ = conn.rollback().await;
        }
    }

    /// The slot of the connection to the database `index`, checked out (and its
    /// transaction begun) at its first use.
    async fn open(&mut self, index: usize) -> Result<usize> {
        if let Some(slot) = self.open.iter().position(|(open, _)| *open == index) {
            return Ok(slot);
        }
        let mut conn = self.placement.databases[index].reach().await?;
        if self.transactions {
            conn.begin().await?;
        }
        self.open.push((index, conn));
        self.used.push(Used::default());
        Ok(self.open.len() - 1)
    }
}

impl<'d, H: Reach> Connections for Session<'d, H> {
    type Conn = H::Conn<'d>;

    async fn conn(&mut self, place: Place<'_>) -> Result<&mut Self::Conn> {
        let slot = self.open(self.placement.index(place)).await?;
        match place {
            Place::Link(_) => self.used[slot].links = true,
            Place::Module(_) => self.used[slot].records = true,
        }
        Ok(&mut self.open[slot].1)
    }

    fn together(&self, a: Place<'_>, b: Place<'_>) -> bool {
        self.placement.index(a) == self.placement.index(b)
    }
}

impl<H: Reach> Drop for Session<'_, H> {
    fn drop(&mut self) {
        // Only a panic or a dropped future gets here with transactions open.
        if self.transactions {
            for (_, conn) in &mut self.open {
                conn.abandon();
            }
        }
    }
}

/// The public face of a driver's databases, written once for both drivers: its checkout of
/// a connection (`Checkout`), its named handle on a source of connections (`Database`) and
/// its placement of modules and links (`Databases`). The invoking module brings the
/// source trait (`ConnectionSource`), how a database hands out a connection
/// (`Database::checkout`), and the operations across the databases.
macro_rules! databases_face {
    (
        checkout_bounds: [$($bound:tt)*],
        reach: $executor:ident<Checkout> for $connection:path, checkout [$($wait:tt)*],
        $(#[$checkout_doc:meta])*
        checkout,
        $(#[$database_doc:meta])*
        database,
        $(#[$databases_doc:meta])*
        databases,
    ) => {
        $(#[$checkout_doc])*
        pub struct Checkout<'a, C>(
            ::std::boxed::Box<dyn ::std::ops::DerefMut<Target = C> $($bound)* + 'a>,
        );

        impl<'a, C> Checkout<'a, C> {
            /// A checkout of `conn`: a connection, or a handle on one (a pool's).
            pub fn new(conn: impl ::std::ops::DerefMut<Target = C> $($bound)* + 'a) -> Self {
                Checkout(::std::boxed::Box::new(conn))
            }
        }

        impl<C> ::std::ops::Deref for Checkout<'_, C> {
            type Target = C;

            fn deref(&self) -> &C {
                &self.0
            }
        }

        impl<C> ::std::ops::DerefMut for Checkout<'_, C> {
            fn deref_mut(&mut self) -> &mut C {
                &mut self.0
            }
        }

        impl<C> ::std::fmt::Debug for Checkout<'_, C> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str("Checkout")
            }
        }

        $(#[$database_doc])*
        pub struct Database<C> {
            name: ::std::sync::Arc<str>,
            source: ::std::sync::Arc<dyn ConnectionSource<C>>,
        }

        impl<C: 'static> Database<C> {
            /// The database `name` (used in errors), reached through `source`.
            pub fn new(name: impl Into<String>, source: impl ConnectionSource<C> + 'static) -> Self {
                Database {
                    name: ::std::sync::Arc::from(name.into()),
                    source: ::std::sync::Arc::new(source),
                }
            }

            /// The same database under the name `name` (used in errors and in the result
            /// of `Databases::migrate`).
            #[must_use]
            pub fn named(mut self, name: impl Into<String>) -> Self {
                self.name = ::std::sync::Arc::from(name.into());
                self
            }
        }

        impl<C> Database<C> {
            /// Its name.
            pub fn name(&self) -> &str {
                &self.name
            }

            /// Whether `other` is a clone of this database.
            pub fn same_as(&self, other: &Database<C>) -> bool {
                ::std::sync::Arc::ptr_eq(&self.source, &other.source)
            }
        }

        impl<C> ::std::clone::Clone for Database<C> {
            fn clone(&self) -> Self {
                Database {
                    name: ::std::sync::Arc::clone(&self.name),
                    source: ::std::sync::Arc::clone(&self.source),
                }
            }
        }

        impl<C> ::std::fmt::Debug for Database<C> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_tuple("Database").field(&self.name).finish()
            }
        }

        impl<C> $crate::placement::Handle for Database<C> {
            fn name(&self) -> &str {
                &self.name
            }

            fn same_as(&self, other: &Self) -> bool {
                Database::same_as(self, other)
            }
        }

        impl<C: $connection> $crate::placement::Reach for Database<C> {
            type Conn<'a>
                = $executor<Checkout<'a, C>>
            where
                C: 'a;

            async fn reach(&self) -> $crate::Result<Self::Conn<'_>> {
                self.checkout()$($wait)*.map($executor)
            }
        }

        $(#[$databases_doc])*
        pub struct Databases<C> {
            placement: $crate::placement::Placement<Database<C>>,
        }

        impl<C> Databases<C> {
            /// Everything in `default` until placed elsewhere.
            pub fn new(default: &Database<C>) -> Self {
                Databases {
                    placement: $crate::placement::Placement::new(default),
                }
            }

            /// The module `module`'s tables are in `database`.
            #[must_use]
            pub fn module(mut self, module: impl Into<String>, database: &Database<C>) -> Self {
                self.placement.module(module.into(), database);
                self
            }

            /// The pivot tables of links not placed with [`link`](Self::link) are in
            /// `database`.
            #[must_use]
            pub fn links(mut self, database: &Database<C>) -> Self {
                self.placement.links(database);
                self
            }

            /// The pivot table of the link `L` is in `database`.
            #[must_use]
            pub fn link<L: $crate::LinkDefinition>(mut self, database: &Database<C>) -> Self {
                self.placement.link(L::SCHEMA.table, database);
                self
            }

            /// The placement, for operations and graph queries across the databases.
            pub(crate) fn placement(&self) -> &$crate::placement::Placement<Database<C>> {
                &self.placement
            }
        }

        impl<C> ::std::fmt::Debug for Databases<C> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.placement.fmt(f)
            }
        }
    };
}

pub(crate) use databases_face;
