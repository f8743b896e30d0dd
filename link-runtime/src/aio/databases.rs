//! Modules in databases of their own, on async connections: [`Databases`] places modules
//! and links in [`Database`]s whose connections come from diesel-async's pools or from a
//! URL, as [`databases::Databases`](crate::databases::Databases) does for blocking ones.

use std::future::Future;
use std::pin::Pin;

use super::connection::{Async, AsyncLinkConnection};
use super::service::Modules;
use crate::backend::Place;
#[cfg(feature = "sqlite")]
use crate::backend::{Executor, LinkBackend};
use crate::databases::{Recovery, SourceError};
use crate::definition::LinkDefinition;
#[cfg(feature = "sqlite")]
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::id::Id;
use crate::linkable::Linkable;
use crate::migrate::Applied;
use crate::placement::databases_face;
use crate::service::{Deletion, Integrity};

/// What [`ConnectionSource::checkout`] returns: a future of a connection.
pub type CheckoutFuture<'a, C> =
    Pin<Box<dyn Future<Output = std::result::Result<Checkout<'a, C>, SourceError>> + Send + 'a>>;

/// Hands out async connections to one database: implemented for diesel-async's deadpool
/// pool (feature `deadpool`) and, through [`Database::connect`], for a URL that each
/// checkout connects to.
pub trait ConnectionSource<C>: Send + Sync {
    /// A connection to the database.
    fn checkout(&self) -> CheckoutFuture<'_, C>;
}

/// A diesel-async deadpool pool of async connections.
#[cfg(feature = "deadpool")]
impl<C> ConnectionSource<C> for diesel_async::pooled_connection::deadpool::Pool<C>
where
    C: Send + Sync + 'static,
    diesel_async::pooled_connection::AsyncDieselConnectionManager<C>:
        deadpool::managed::Manager<Type = C, Error = diesel_async::pooled_connection::PoolError>,
{
    fn checkout(&self) -> CheckoutFuture<'_, C> {
        Box::pin(async move { Ok(Checkout::new(self.get().await?)) })
    }
}

/// A new connection per checkout, to a URL. A SQLite connection gets
/// [`SqliteSettings::new`](crate::databases::SqliteSettings::new) before it is handed out.
struct Connect(String);

impl<C: AsyncLinkConnection + Sync + 'static> ConnectionSource<C> for Connect {
    fn checkout(&self) -> CheckoutFuture<'_, C> {
        Box::pin(async move {
            #[cfg_attr(not(feature = "sqlite"), allow(unused_mut))]
            let mut conn = C::establish(&self.0).await?;
            #[cfg(feature = "sqlite")]
            if <C::Backend as LinkBackend>::DIALECT == Dialect::Sqlite {
                let settings = crate::backend::SqliteSettings::new().sql();
                Async(&mut conn).batch_execute(&settings).await?;
            }
            Ok(Checkout::new(Box::new(conn)))
        })
    }
}

databases_face! {
    checkout_bounds: [+ Send + Sync],
    reach: Async<Checkout> for AsyncLinkConnection, checkout [.await],
    /// A connection checked out of a [`Database`]: use it as `&mut C` with `&mut *checkout`.
    /// It goes back to its source when dropped.
    checkout,
    /// A database reached through async connections: a named, cloneable handle on a
    /// [`ConnectionSource`]. Clones are the same database.
    ///
    /// ```
    /// use diesel::SqliteConnection;
    /// use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
    /// use link_runtime::aio::Database;
    ///
    /// type Conn = SyncConnectionWrapper<SqliteConnection>;
    /// let catalog = Database::<Conn>::connect("catalog", "file:catalog?mode=memory&cache=shared");
    /// assert_eq!(catalog.name(), "catalog");
    /// assert!(catalog.same_as(&catalog.clone()));
    /// ```
    database,
    /// Where each module's tables and each link's pivot table live, on async connections:
    /// [`databases::Databases`](crate::databases::Databases), awaited.
    ///
    /// ```
    /// use diesel::SqliteConnection;
    /// use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
    /// use link_runtime::aio::{Database, Databases};
    /// # use link_runtime::prelude::*;
    /// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
    /// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
    /// # mod product_brand { use super::*; define_link!(Product, Brand); }
    ///
    /// type Conn = SyncConnectionWrapper<SqliteConnection>;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = std::env::temp_dir().join(format!("aio-databases-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let main = Database::<Conn>::connect("main", dir.join("main.db").to_str().unwrap());
    /// let brands = Database::<Conn>::connect("brands", dir.join("brands.db").to_str().unwrap());
    /// let databases = Databases::new(&main).module("brand", &brands);
    ///
    /// let synced = databases.migrate().await?;
    /// assert_eq!(synced[0].0, "main");
    /// let mut conn = databases.for_link::<product_brand::Link>().await?;
    /// link_runtime::aio::create(&mut *conn, Product::id("p1"), Brand::id("b1")).await?;
    /// # drop(conn);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(())
    /// # }
    /// ```
    databases,
}

impl<C: 'static> Database<C> {
    /// The database `name` behind a diesel-async deadpool pool (feature `deadpool`).
    #[cfg(feature = "deadpool")]
    pub fn pool(
        name: impl Into<String>,
        pool: diesel_async::pooled_connection::deadpool::Pool<C>,
    ) -> Self
    where
        C: Send + Sync,
        diesel_async::pooled_connection::AsyncDieselConnectionManager<C>:
            deadpool::managed::Manager<
                Type = C,
                Error = diesel_async::pooled_connection::PoolError,
            >,
    {
        Self::new(name, pool)
    }

    /// The database `name`, a new connection to `url` per checkout.
    ///
    /// A SQLite connection gets [`SqliteSettings::new`](crate::databases::SqliteSettings)
    /// before it is handed out: a busy timeout of 5 s, so that concurrent checkouts wait
    /// for each other's writes rather than fail with `database is locked`, and write-ahead
    /// logging for a file. For other settings, use a pool
    /// ([`SqliteSettings::async_manager`](crate::databases::SqliteSettings::async_manager)).
    ///
    /// ```
    /// use diesel::SqliteConnection;
    /// use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
    /// use link_runtime::aio::Database;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = std::env::temp_dir().join(format!("aio-connect-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let url = dir.join("catalog.db");
    /// let catalog = Database::<SyncConnectionWrapper<SqliteConnection>>::connect(
    ///     "catalog",
    ///     url.to_str().unwrap(),
    /// );
    /// link_runtime::aio::migrate(&mut *catalog.checkout().await?).await?;
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn connect(name: impl Into<String>, url: impl Into<String>) -> Self
    where
        C: AsyncLinkConnection + Sync,
    {
        Self::new(name, Connect(url.into()))
    }
}

impl<C> Database<C> {
    /// A connection to it.
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] if the source cannot hand one out.
    pub async fn checkout(&self) -> Result<Checkout<'_, C>> {
        self.source
            .checkout()
            .await
            .map_err(|source| Error::Connection {
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
    /// As [`databases::Databases::for_module`](crate::databases::Databases::for_module).
    pub async fn for_module(&self, module: &str) -> Result<Checkout<'_, C>> {
        self.placement.module_database(module)?.checkout().await
    }

    /// A connection to the database of the link tables not placed with
    /// [`link`](Self::link).
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] if its source cannot hand one out.
    pub async fn for_links(&self) -> Result<Checkout<'_, C>> {
        self.placement.links_database().checkout().await
    }

    /// A connection to the database of the link `L`'s pivot table, for the link service.
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] if its source cannot hand one out.
    pub async fn for_link<L: LinkDefinition>(&self) -> Result<Checkout<'_, C>> {
        self.placement
            .database(Place::Link(L::SCHEMA.table))
            .checkout()
            .await
    }
}

impl<C: AsyncLinkConnection> Databases<C> {
    /// [`databases::Databases::migrate`](crate::databases::Databases::migrate), awaited.
    ///
    /// # Errors
    ///
    /// As [`aio::migrate`](super::migrate()), and [`Error::Connection`].
    pub async fn migrate(&self) -> Result<Vec<(String, Applied)>> {
        self.placement.migrate().await
    }

    /// [`databases::Databases::delete`](crate::databases::Databases::delete), awaited: one
    /// transaction per database touched, committed once everything succeeded; several
    /// PostgreSQL databases commit in two phases, all or none even through a crash.
    ///
    /// # Errors
    ///
    /// As [`aio::delete`](super::delete()), and [`Error::Connection`]; across PostgreSQL
    /// databases, [`Error::PreparedTransactionsDisabled`] and [`Error::InDoubt`], as
    /// [`databases::Databases::delete`](crate::databases::Databases::delete).
    pub async fn delete<M: Linkable>(
        &self,
        modules: &Modules<C>,
        ids: &[Id<M>],
    ) -> Result<Deletion> {
        self.placement.delete(modules, ids).await
    }

    /// [`databases::Databases::restore`](crate::databases::Databases::restore), awaited.
    ///
    /// # Errors
    ///
    /// As [`aio::restore`](super::restore()), and [`Error::Connection`].
    pub async fn restore(&self, modules: &Modules<C>, deletion: &Deletion) -> Result<usize> {
        self.placement.restore(modules, deletion).await
    }

    /// [`databases::Databases::check`](crate::databases::Databases::check), awaited.
    ///
    /// # Errors
    ///
    /// As [`service::check`](crate::service::check), and [`Error::Connection`].
    pub async fn check(&self, prune: bool) -> Result<Integrity> {
        self.placement.check(prune).await
    }

    /// [`databases::Databases::recover`](crate::databases::Databases::recover), awaited:
    /// finishes the writes across PostgreSQL databases that a crash cut off, as the links
    /// database's decision log says. Run it at start-up, before serving.
    ///
    /// ```
    /// use diesel::SqliteConnection;
    /// use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
    /// use link_runtime::aio::{Database, Databases};
    ///
    /// type Conn = SyncConnectionWrapper<SqliteConnection>;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let links = Database::<Conn>::connect("links", "file:recover_links?mode=memory&cache=shared");
    /// let brands = Database::<Conn>::connect("brands", "file:recover_brands?mode=memory&cache=shared");
    /// let databases = Databases::new(&links).module("brand", &brands);
    /// // SQLite has no prepared transactions: nothing to do.
    /// assert!(databases.recover().await?.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`databases::Databases::recover`](crate::databases::Databases::recover).
    pub async fn recover(&self) -> Result<Recovery> {
        self.placement.recover().await
    }
}
