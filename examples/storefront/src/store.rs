//! Where the shop's data lives: an in-memory SQLite database (the default), a SQLite file,
//! or PostgreSQL, reached through diesel-async pools.

use diesel::SqliteConnection;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use link_runtime::aio::{self, Database};
use link_runtime::databases::SqliteSettings;

/// SQLite on the async driver: diesel's connection, run on tokio's blocking threads.
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// The shop's database, on one backend or the other.
pub enum Store {
    /// SQLite, in memory or in a file.
    Sqlite {
        /// The connections.
        database: Database<SqliteConn>,
        /// For an in-memory database, a connection held open for the life of the store: the
        /// database lives as long as a connection to it does.
        _memory: Option<std::sync::Mutex<SqliteConn>>,
    },
    /// PostgreSQL.
    Postgres {
        /// The connections.
        database: Database<AsyncPgConnection>,
    },
}

/// Runs `$body` with `$conn` bound to a connection checked out of `$store`, whichever its
/// backend: the body is written once and compiled for each backend's connection type.
macro_rules! with_conn {
    ($store:expr, |$conn:ident| $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite { database, .. } => {
                let mut checkout = database.checkout().await?;
                let $conn = &mut *checkout;
                $body
            }
            $crate::store::Store::Postgres { database } => {
                let mut checkout = database.checkout().await?;
                let $conn = &mut *checkout;
                $body
            }
        }
    };
}
pub(crate) use with_conn;

impl Store {
    /// The connections of [`sqlite_file`](Self::sqlite_file)'s pool.
    pub const SQLITE_POOL: usize = 8;

    /// The connections of [`postgres`](Self::postgres)'s pool.
    pub const POSTGRES_POOL: usize = 16;

    /// A fresh in-memory SQLite database, served by one connection at a time: SQLite's
    /// shared in-memory databases lock whole tables, which a busy timeout does not wait on,
    /// so concurrent requests take turns instead.
    ///
    /// # Errors
    ///
    /// If SQLite cannot open it, or the tables cannot be created.
    pub async fn memory() -> link_runtime::Result<Store> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let url = format!(
            "file:storefront_{}_{n}?mode=memory&cache=shared",
            std::process::id()
        );
        let memory = SqliteConn::establish(&url)
            .await
            .map_err(|source| connection("memory", source))?;
        let pool = Pool::builder(AsyncDieselConnectionManager::<SqliteConn>::new(url))
            .max_size(1)
            .build()
            .map_err(|source| connection("memory", source))?;
        Store::ready(Store::Sqlite {
            database: Database::pool("memory", pool),
            _memory: Some(std::sync::Mutex::new(memory)),
        })
        .await
    }

    /// The SQLite database in the file at `path` (created if missing), with a pool of
    /// [`SQLITE_POOL`](Self::SQLITE_POOL) connections in WAL mode that wait for each other's
    /// writes ([`SqliteSettings`]).
    ///
    /// # Errors
    ///
    /// If SQLite cannot open it, or the tables cannot be created.
    pub async fn sqlite_file(path: &str) -> link_runtime::Result<Store> {
        Store::sqlite_file_pool(path, Store::SQLITE_POOL).await
    }

    /// [`sqlite_file`](Self::sqlite_file) with a pool of `size` connections.
    ///
    /// # Errors
    ///
    /// As [`sqlite_file`](Self::sqlite_file).
    pub async fn sqlite_file_pool(path: &str, size: usize) -> link_runtime::Result<Store> {
        let pool = Pool::builder(SqliteSettings::new().async_manager(path))
            .max_size(size)
            .build()
            .map_err(|source| connection(path, source))?;
        Store::ready(Store::Sqlite {
            database: Database::pool(path.to_owned(), pool),
            _memory: None,
        })
        .await
    }

    /// The PostgreSQL database at `url`, with a pool of
    /// [`POSTGRES_POOL`](Self::POSTGRES_POOL) connections.
    ///
    /// # Errors
    ///
    /// If it cannot be reached, or the tables cannot be created.
    pub async fn postgres(url: &str) -> link_runtime::Result<Store> {
        Store::postgres_pool(url, Store::POSTGRES_POOL).await
    }

    /// [`postgres`](Self::postgres) with a pool of `size` connections.
    ///
    /// # Errors
    ///
    /// As [`postgres`](Self::postgres).
    pub async fn postgres_pool(url: &str, size: usize) -> link_runtime::Result<Store> {
        let pool = Pool::builder(AsyncDieselConnectionManager::<AsyncPgConnection>::new(url))
            .max_size(size)
            .build()
            .map_err(|source| connection("postgres", source))?;
        Store::ready(Store::Postgres {
            database: Database::pool("postgres", pool),
        })
        .await
    }

    /// Creates the modules' tables and syncs the link tables.
    async fn ready(self) -> link_runtime::Result<Store> {
        with_conn!(&self, |conn| {
            conn.batch_execute(crate::modules::TABLES).await?;
            aio::migrate(conn).await?;
        });
        Ok(self)
    }
}

pub(crate) fn connection(
    database: &str,
    source: impl std::error::Error + Send + Sync + 'static,
) -> link_runtime::Error {
    link_runtime::Error::Connection {
        database: database.to_owned(),
        source: Box::new(source),
    }
}
