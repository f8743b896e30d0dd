//! Modules in databases of their own: where each module's tables and each link's pivot
//! table live, and how the runtime reaches them.
//!
//! Medusa keeps each module isolated so that it can live in a database of its own; so does
//! this crate. A [`Database`] is a source of connections to one database (a diesel r2d2
//! pool, a function that connects, or one connection shared behind a lock). [`Databases`]
//! places every module and every link in one of them: links, and the modules not placed
//! elsewhere, go to the default database.
//!
//! No SQL statement ever spans two databases. A graph query
//! ([`Query::across`](crate::graph::Query::across)) runs each
//! statement where its table is and joins in the application, a fixed number of batched
//! statements per level as on one database; a filter through a link whose tables are
//! elsewhere is resolved first, into one bound list of ids. [`Databases::delete`] and
//! [`Databases::restore`] write each database in a transaction of its own and commit them
//! together once everything succeeded; an error rolls every one of them back.
//!
//! # Writes across databases, and crashes
//!
//! On PostgreSQL, a delete or restore that writes several databases commits in two phases,
//! so that a crash cannot leave it committed in some and not in others:
//!
//! 1. every database it changed, but the links database, prepares its transaction
//!    (`PREPARE TRANSACTION`): its part is on disk, and survives a crash;
//! 2. the links database records the write in its decision log, the table
//!    `link_runtime_decisions`, and commits: that commit is the decision;
//! 3. every prepared transaction is committed (`COMMIT PREPARED`), and the decision is
//!    deleted.
//!
//! A crash before the decision leaves nothing written anywhere once recovered; a crash after
//! it, everything. Until then, a prepared part holds its locks: run
//! [`Databases::recover`] at start-up, before serving, to commit or roll back what a
//! crash left prepared. A write cut off midway returns [`Error::InDoubt`], after which
//! `recover` finishes it.
//!
//! - The servers must allow prepared transactions: PostgreSQL's `max_prepared_transactions`
//!   is 0 by default, and a write across databases then fails with
//!   [`Error::PreparedTransactionsDisabled`] and writes nothing. Set it at least to the
//!   number of such writes that may run at once (and restart the server).
//! - The decision log is created in the links database by [`Databases::migrate`], or by
//!   the first write across databases, with `CREATE TABLE IF NOT EXISTS` under the sync's
//!   lock. To create it with migrations of your own:
//!   `CREATE TABLE link_runtime_decisions (id TEXT PRIMARY KEY, decided_at TIMESTAMPTZ NOT NULL DEFAULT now())`.
//! - Every `Databases` that writes to a database should have the same links database, the
//!   one whose decision log `recover` reads.
//! - A database a write only read takes no part, and a write that changed one database
//!   commits as usual, in one transaction.
//!
//! SQLite files have no prepared transactions: a write across them commits each file in
//! turn, and a crash between two commits leaves the first committed. A delete commits the
//! files where it soft-deleted records first and the ones where it dismissed links last; a
//! restore, the files where it revived links first and the ones where it restored records
//! last. Cut off between two commits, either leaves live links to soft-deleted records:
//! the same delete or restore run again finishes it, and [`Databases::check`] finds such
//! links and, with `prune`, dismisses them.
//!
//! ```
//! use diesel::{Connection, RunQueryDsl, SqliteConnection};
//! use link_runtime::databases::{Database, Databases};
//! use link_runtime::graph::{Graph, Query};
//! use link_runtime::prelude::*;
//! use serde_json::json;
//!
//! #[derive(Linkable)]
//! #[linkable(module = "product", table = "product")]
//! pub struct Product { pub id: String, pub title: String }
//!
//! #[derive(Linkable)]
//! #[linkable(module = "brand", table = "brand")]
//! pub struct Brand { pub id: String, pub name: String }
//!
//! mod product_brand {
//!     use super::{Brand, Product};
//!     link_runtime::define_link!(Product(is_list), Brand);
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Three databases: the links', the product module's and the brand module's.
//! let links = Database::from_connection(SqliteConnection::establish(":memory:")?);
//! let products = Database::from_connection(SqliteConnection::establish(":memory:")?);
//! let brands = Database::from_connection(SqliteConnection::establish(":memory:")?);
//! let databases = Databases::new(&links)
//!     .module("product", &products)
//!     .module("brand", &brands);
//!
//! diesel::sql_query("CREATE TABLE product (id TEXT PRIMARY KEY, title TEXT NOT NULL)")
//!     .execute(&mut *databases.for_module("product")?)?;
//! diesel::sql_query("INSERT INTO product VALUES ('p1', 'Chair')")
//!     .execute(&mut *databases.for_module("product")?)?;
//! diesel::sql_query("CREATE TABLE brand (id TEXT PRIMARY KEY, name TEXT NOT NULL)")
//!     .execute(&mut *databases.for_module("brand")?)?;
//! diesel::sql_query("INSERT INTO brand VALUES ('b1', 'Acme')")
//!     .execute(&mut *databases.for_module("brand")?)?;
//!
//! databases.migrate()?; // the pivot table, in the links' database
//! product_brand::Link::create(
//!     &mut *databases.for_link::<product_brand::Link>()?,
//!     Product::id("p1"),
//!     Brand::id("b1"),
//! )?;
//!
//! let products = Query::across(&databases)
//!     .graph(Graph::entity("product").fields(["title", "brand.name"]))?;
//! assert_eq!(products.data, [json!({ "title": "Chair", "brand": { "name": "Acme" } })]);
//! # Ok(())
//! # }
//! ```

use std::sync::{Mutex, TryLockError};

#[cfg(feature = "sqlite")]
pub use crate::backend::SqliteSettings;
use crate::backend::{block_on, Blocking, LinkConnection, Place};
use crate::definition::LinkDefinition;
use crate::error::{Error, Result};
use crate::id::Id;
use crate::linkable::Linkable;
use crate::migrate::Applied;
use crate::placement::databases_face;
pub use crate::placement::{Recovery, Resolved};
use crate::service::{Deletion, Modules};

/// The error a [`ConnectionSource`] returns when it cannot hand out a connection.
pub type SourceError = Box<dyn std::error::Error + Send + Sync>;

/// Hands out connections to one database.
///
/// Implemented for a function that connects (`Fn() -> ConnectionResult<C>`, a new
/// connection per checkout), for a diesel r2d2 pool (feature `r2d2`), and used by
/// [`Database::from_connection`] for one shared connection. Another pool implements it in
/// a few lines:
///
/// ```
/// use std::sync::Mutex;
/// use diesel::{Connection, SqliteConnection};
/// use link_runtime::databases::{Checkout, ConnectionSource, Database, SourceError};
///
/// /// Connections kept for reuse: a checkout takes one, or opens one.
/// struct Spare(Mutex<Vec<SqliteConnection>>);
///
/// impl ConnectionSource<SqliteConnection> for Spare {
///     fn checkout(&self) -> Result<Checkout<'_, SqliteConnection>, SourceError> {
///         let spare = self.0.lock().map_err(|_| "poisoned")?.pop();
///         let conn = match spare {
///             Some(conn) => conn,
///             None => SqliteConnection::establish(":memory:")?,
///         };
///         Ok(Checkout::new(Box::new(conn)))
///     }
/// }
///
/// let database = Database::new("spare", Spare(Mutex::new(Vec::new())));
/// assert!(database.checkout().is_ok());
/// ```
pub trait ConnectionSource<C>: Send + Sync {
    /// A connection to the database.
    ///
    /// # Errors
    ///
    /// Whatever keeps the source from connecting.
    fn checkout(&self) -> std::result::Result<Checkout<'_, C>, SourceError>;
}

impl<C, F> ConnectionSource<C> for F
where
    C: diesel::Connection + 'static,
    F: Fn() -> diesel::ConnectionResult<C> + Send + Sync,
{
    fn checkout(&self) -> std::result::Result<Checkout<'_, C>, SourceError> {
        Ok(Checkout::new(Box::new(self()?)))
    }
}

#[cfg(feature = "r2d2")]
impl<C> ConnectionSource<C> for diesel::r2d2::Pool<diesel::r2d2::ConnectionManager<C>>
where
    C: diesel::r2d2::R2D2Connection + 'static,
{
    fn checkout(&self) -> std::result::Result<Checkout<'_, C>, SourceError> {
        Ok(Checkout::new(self.get()?))
    }
}

/// One connection, shared: a checkout holds it until dropped.
struct Shared<C>(Mutex<C>);

impl<C: Send> ConnectionSource<C> for Shared<C> {
    fn checkout(&self) -> std::result::Result<Checkout<'_, C>, SourceError> {
        match self.0.try_lock() {
            Ok(conn) => Ok(Checkout::new(conn)),
            // A panic while it was checked out: the connection itself is still usable.
            Err(TryLockError::Poisoned(poisoned)) => Ok(Checkout::new(poisoned.into_inner())),
            Err(TryLockError::WouldBlock) => {
                Err("its only connection is checked out already".into())
            }
        }
    }
}

databases_face! {
    checkout_bounds: [],
    reach: Blocking<Checkout> for LinkConnection, checkout [],
    /// A connection checked out of a [`Database`]: use it as `&mut C` with `&mut *checkout`.
    /// It goes back to its source when dropped.
    checkout,
    /// A database: a named, cloneable handle on a [`ConnectionSource`]. Clones are the same
    /// database, which is how [`Databases`] knows that two modules share one (and that SQL may
    /// join their tables).
    ///
    /// ```
    /// use diesel::{Connection, SqliteConnection};
    /// use link_runtime::databases::Database;
    ///
    /// // A new connection per checkout...
    /// let file = Database::connect("catalog", || SqliteConnection::establish("file:catalog?mode=memory"));
    /// // ... or one connection, shared.
    /// let memory = Database::from_connection(SqliteConnection::establish(":memory:").unwrap());
    /// assert_eq!(file.name(), "catalog");
    /// assert!(file.same_as(&file.clone()) && !file.same_as(&memory));
    /// ```
    database,
    /// Where each module's tables and each link's pivot table live.
    ///
    /// Links, and modules not placed with [`module`](Self::module), are in the default
    /// database; [`links`](Self::links) and [`link`](Self::link) move links elsewhere.
    ///
    /// ```
    /// use diesel::{Connection, SqliteConnection};
    /// use link_runtime::databases::{Database, Databases};
    /// # use link_runtime::prelude::*;
    /// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
    /// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
    /// # mod product_brand { use super::*; define_link!(Product, Brand); }
    /// # fn main() {
    /// let main = Database::from_connection(SqliteConnection::establish(":memory:").unwrap()).named("main");
    /// let brands = Database::from_connection(SqliteConnection::establish(":memory:").unwrap()).named("brands");
    /// let databases = Databases::new(&main).module("brand", &brands);
    ///
    /// // The link table is created where links are: in `main`.
    /// let synced = databases.migrate().unwrap();
    /// assert_eq!(synced[0].0, "main");
    /// let mut conn = databases.for_link::<product_brand::Link>().unwrap();
    /// product_brand::Link::create(&mut *conn, Product::id("p1"), Brand::id("b1")).unwrap();
    /// # }
    /// ```
    databases,
}

impl<C: 'static> Database<C> {
    /// The database `name`, a new connection from `connect` per checkout.
    pub fn connect<F>(name: impl Into<String>, connect: F) -> Self
    where
        C: diesel::Connection,
        F: Fn() -> diesel::ConnectionResult<C> + Send + Sync + 'static,
    {
        Self::new(name, connect)
    }

    /// The database of one connection, shared: an in-memory SQLite database, say. One
    /// checkout at a time. Its name is `connection` until [`named`](Self::named).
    pub fn from_connection(conn: C) -> Self
    where
        C: Send,
    {
        Self::new("connection", Shared(Mutex::new(conn)))
    }

    /// The database behind a diesel r2d2 pool (feature `r2d2`).
    ///
    /// ```
    /// use diesel::r2d2::{ConnectionManager, Pool};
    /// use diesel::SqliteConnection;
    /// use link_runtime::databases::Database;
    ///
    /// let pool = Pool::builder()
    ///     .max_size(2)
    ///     .build(ConnectionManager::<SqliteConnection>::new(":memory:"))
    ///     .unwrap();
    /// let database = Database::pool("catalog", pool);
    /// let (first, second) = (database.checkout().unwrap(), database.checkout().unwrap());
    /// # drop((first, second));
    /// ```
    #[cfg(feature = "r2d2")]
    pub fn pool(
        name: impl Into<String>,
        pool: diesel::r2d2::Pool<diesel::r2d2::ConnectionManager<C>>,
    ) -> Self
    where
        C: diesel::r2d2::R2D2Connection,
    {
        Self::new(name, pool)
    }
}

impl<C> Database<C> {
    /// A connection to it.
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] if the source cannot hand one out.
    pub fn checkout(&self) -> Result<Checkout<'_, C>> {
        self.source.checkout().map_err(|source| Error::Connection {
            database: self.name.to_string(),
            source,
        })
    }
}

impl<C> Databases<C> {
    /// A connection to the database of the module `module`.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownModule`] if no database was given for `module` and no registered
    /// model belongs to it (a misspelt name would otherwise reach the default database),
    /// and [`Error::Connection`] if the source cannot hand out a connection.
    pub fn for_module(&self, module: &str) -> Result<Checkout<'_, C>> {
        self.placement.module_database(module)?.checkout()
    }

    /// A connection to the database of the link tables not placed with
    /// [`link`](Self::link): for the `links` command, or a sync of one database.
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] if its source cannot hand one out.
    pub fn for_links(&self) -> Result<Checkout<'_, C>> {
        self.placement.links_database().checkout()
    }

    /// A connection to the database of the link `L`'s pivot table, for the link service:
    /// `L::create(&mut *databases.for_link::<L>()?, left, right)`.
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] if its source cannot hand one out.
    pub fn for_link<L: LinkDefinition>(&self) -> Result<Checkout<'_, C>> {
        self.placement
            .database(Place::Link(L::SCHEMA.table))
            .checkout()
    }
}

impl<C: LinkConnection> Databases<C> {
    /// Syncs the link tables of each database that holds links with the links placed
    /// there, as [`migrate`](crate::migrate()) does on one: safe actions only. Returns what
    /// was done, by database name.
    ///
    /// On PostgreSQL with more than one database, it also creates the decision log that
    /// writes across databases commit through (`link_runtime_decisions`, in the links
    /// database) if it is missing; see [writes across databases](self#writes-across-databases-and-crashes).
    ///
    /// # Errors
    ///
    /// As [`migrate`](crate::migrate()), and [`Error::Connection`].
    pub fn migrate(&self) -> Result<Vec<(String, Applied)>> {
        block_on(self.placement.migrate())
    }

    /// [`delete`](crate::delete()) across databases: the pivot rows are soft-deleted where
    /// each link lives, and cascades run in each module's database. Each database touched
    /// gets a transaction, committed once everything succeeded; on an error every one is
    /// rolled back and nothing is deleted. Several PostgreSQL databases commit in two
    /// phases, all or none even through a crash; SQLite files commit in turn (see
    /// [writes across databases](self#writes-across-databases-and-crashes)).
    ///
    /// # Errors
    ///
    /// As [`delete`](crate::delete()), and [`Error::Connection`]. Across PostgreSQL
    /// databases, [`Error::PreparedTransactionsDisabled`] (nothing is deleted), and
    /// [`Error::InDoubt`] when the write was cut off after its databases prepared:
    /// [`recover`](Self::recover) finishes it.
    pub fn delete<M: Linkable>(&self, modules: &Modules<C>, ids: &[Id<M>]) -> Result<Deletion> {
        block_on(self.placement.delete(modules, ids))
    }

    /// [`restore`](crate::restore()) across databases, in one transaction per database as
    /// [`delete`](Self::delete), committed as it does.
    ///
    /// # Errors
    ///
    /// As [`restore`](crate::restore()), and [`Error::Connection`]; across PostgreSQL
    /// databases, as [`delete`](Self::delete).
    pub fn restore(&self, modules: &Modules<C>, deletion: &Deletion) -> Result<usize> {
        block_on(self.placement.restore(modules, deletion))
    }

    /// [`service::check`](crate::service::check) across the databases: each link's rows
    /// read where its table is, each record looked up in its module's database. With
    /// `prune`, each link table's dangling links are soft-deleted in a transaction of
    /// their own.
    ///
    /// # Errors
    ///
    /// As [`service::check`](crate::service::check), and [`Error::Connection`].
    pub fn check(&self, prune: bool) -> Result<crate::service::Integrity> {
        block_on(self.placement.check(prune))
    }

    /// Finishes the writes across PostgreSQL databases that a crash (of the process, a
    /// server or a connection) cut off after their databases prepared their parts: each
    /// part is committed if its write's decision is in the links database's decision log,
    /// and rolled back if not, so that every write ends committed everywhere or nowhere.
    /// Then it deletes the decisions no prepared part waits on any more. Nothing to do on
    /// SQLite, or when nothing is in doubt.
    ///
    /// Run it at start-up, before serving: a prepared part holds the locks of the rows it
    /// wrote until it is ended. It waits for the writes across databases under way (it
    /// takes their advisory lock exclusively on the links database), and they wait for it,
    /// so it is safe while other processes write. It ends only the runtime's own prepared
    /// transactions (`link_runtime_<write>_<n>`), in the databases of this `Databases`.
    ///
    /// ```
    /// use diesel::{Connection, SqliteConnection};
    /// use link_runtime::databases::{Database, Databases};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let links = Database::from_connection(SqliteConnection::establish(":memory:")?);
    /// let brands = Database::from_connection(SqliteConnection::establish(":memory:")?);
    /// let databases = Databases::new(&links).module("brand", &brands);
    ///
    /// let recovery = databases.recover()?; // at start-up, before serving
    /// for part in &recovery.committed {
    ///     println!("committed {} in {}", part.gid, part.database);
    /// }
    /// assert!(recovery.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] if a database cannot be reached, and [`Error::Database`] if
    /// one refuses a statement. What was ended before stays ended; running it again
    /// finishes the rest.
    pub fn recover(&self) -> Result<Recovery> {
        block_on(self.placement.recover())
    }
}
