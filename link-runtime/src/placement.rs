//! Where each module and link lives, and the operations across databases, whatever the
//! driver: `databases::Databases` places blocking connection sources, `aio::Databases`
//! async ones; both are a [`Placement`] of their driver's database handle.

use std::collections::HashMap;
use std::fmt;

use crate::backend::{Connections, Executor, Place};
use crate::definition::LinkSchema;
use crate::entity::registered_entities;
use crate::error::{Error, Result};
use crate::id::Id;
use crate::linkable::Linkable;
use crate::migrate::{apply_in, plan_for_in, Applied};
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
}

impl<H: Handle> Placement<H> {
    /// Everything in `default` until placed elsewhere.
    pub(crate) fn new(default: &H) -> Self {
        Placement {
            databases: vec![default.clone()],
            modules: HashMap::new(),
            links: HashMap::new(),
            links_default: 0,
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
    /// there: safe actions only. What was done, by database name.
    pub(crate) async fn migrate(&self) -> Result<Vec<(String, Applied)>> {
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
        let mut session = Session::new(self, true);
        let outcome = delete_in(&mut session, modules, ids).await;
        session.finish(outcome).await
    }

    /// `restore` across the databases, one transaction in each, committed together.
    pub(crate) async fn restore<'d, X>(&'d self, modules: &X, deletion: &Deletion) -> Result<usize>
    where
        X: Cascade<H::Conn<'d>>,
    {
        let mut session = Session::new(self, true);
        let outcome = restore_in(&mut session, modules, deletion).await;
        session.finish(outcome).await
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
    transactions: bool,
}

impl<'d, H: Reach> Session<'d, H> {
    /// A session whose every connection runs in a transaction (ended by
    /// [`finish`](Self::finish)) if `transactions`, or a session of reads.
    pub(crate) fn new(placement: &'d Placement<H>, transactions: bool) -> Self {
        Session {
            placement,
            open: Vec::new(),
            transactions,
        }
    }

    /// Commits every transaction if `outcome` is a success, rolls every one back if not.
    /// A commit that fails rolls back the ones not yet committed.
    pub(crate) async fn finish<T>(mut self, outcome: Result<T>) -> Result<T> {
        let mut outcome = outcome;
        for (_, conn) in &mut self.open {
            if outcome.is_ok() {
                if let Err(error) = conn.commit().await {
                    outcome = Err(error.into());
                }
            } else {
                // The error that ended the session is the one worth reporting.
                let _ = conn.rollback().await;
            }
        }
        self.transactions = false;
        outcome
    }
}

impl<'d, H: Reach> Connections for Session<'d, H> {
    type Conn = H::Conn<'d>;

    async fn conn(&mut self, place: Place<'_>) -> Result<&mut Self::Conn> {
        let index = self.placement.index(place);
        let slot = match self.open.iter().position(|(open, _)| *open == index) {
            Some(slot) => slot,
            None => {
                let mut conn = self.placement.databases[index].reach().await?;
                if self.transactions {
                    conn.begin().await?;
                }
                self.open.push((index, conn));
                self.open.len() - 1
            }
        };
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
