//! The settings a SQLite connection needs when several connections write one database: a
//! busy timeout and write-ahead logging. One type for both drivers and every pool.

use std::time::Duration;

use diesel::sqlite::Sqlite;
use diesel::{Connection, ConnectionError, ConnectionResult, QueryResult, SqliteConnection};

/// The settings each connection to a SQLite database should get when more than one
/// connection uses the database at a time (a pool, a web service): how long a statement
/// waits for another connection's write to end, and the journal mode.
///
/// SQLite lets one connection write at a time. Without a busy timeout, a statement that
/// finds the database locked fails at once with `database is locked`
/// ([`ErrorKind::Unavailable`](crate::ErrorKind::Unavailable)); with one, it waits for the
/// lock up to that long. Write-ahead logging (WAL) lets readers go on while a writer
/// writes, and makes a commit cheaper.
///
/// [`SqliteSettings::new`] (also the [`Default`]) is:
///
/// - `PRAGMA busy_timeout = 5000`: wait up to 5 s for a lock.
/// - `PRAGMA journal_mode = WAL`: write-ahead logging. The mode is the database file's and
///   stays set; an in-memory database keeps its `memory` journal.
/// - `PRAGMA synchronous = NORMAL`: under WAL, a commit is not synced to disk by itself but
///   at the next checkpoint. The database cannot be corrupted by a crash or a power loss;
///   a power loss (not a crash of the process) may undo the last commits. This is SQLite's
///   advice for WAL; [`full_sync`](Self::full_sync) keeps `FULL`, an fsync per commit.
///
/// The runtime applies them to every SQLite connection it opens itself
/// (`aio::Database::connect`, feature `async`). For connections a program opens, they plug
/// into each kind of source:
///
/// - a connection of its own, or a function that connects:
///   [`establish`](Self::establish), or [`apply`](Self::apply) on an open connection;
/// - a diesel r2d2 pool (feature `r2d2`): the settings are a `CustomizeConnection`, given
///   to `Pool::builder().connection_customizer(..)`;
/// - a diesel-async pool (feature `deadpool`): `async_manager` or `manager_config`;
/// - anything else: the statements, [`sql`](Self::sql).
///
/// **In-memory databases shared between connections** (`file:name?mode=memory&cache=shared`)
/// lock tables rather than the database, and a statement that meets another connection's
/// table lock fails at once with `database table is locked`: the busy timeout does not
/// wait for those locks. Give such a database one connection (a pool of `max_size(1)`, or
/// [`Database::from_connection`](crate::databases::Database::from_connection)), or use a
/// file.
///
/// ```
/// use std::time::Duration;
/// use diesel::{Connection, RunQueryDsl, SqliteConnection};
/// use link_runtime::databases::SqliteSettings;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = std::env::temp_dir().join(format!("sqlite-settings-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let url = dir.join("app.db");
/// let settings = SqliteSettings::new().busy_timeout(Duration::from_secs(2));
/// let mut conn = settings.establish(url.to_str().unwrap())?;
///
/// #[derive(diesel::QueryableByName)]
/// struct Mode {
///     #[diesel(sql_type = diesel::sql_types::Text)]
///     journal_mode: String,
/// }
/// let mode: Mode = diesel::sql_query("PRAGMA journal_mode").get_result(&mut conn)?;
/// assert_eq!(mode.journal_mode, "wal");
/// assert_eq!(
///     settings.sql(),
///     "PRAGMA busy_timeout = 2000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
/// );
/// # drop(conn);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqliteSettings {
    busy_timeout: Duration,
    wal: bool,
    full_sync: bool,
}

impl SqliteSettings {
    /// A busy timeout of 5 s, WAL, and `synchronous = NORMAL`.
    pub const fn new() -> Self {
        SqliteSettings {
            busy_timeout: Duration::from_secs(5),
            wal: true,
            full_sync: false,
        }
    }

    /// How long a statement waits for another connection's lock before it fails with
    /// `database is locked` (counted in whole milliseconds; zero does not wait).
    #[must_use]
    pub const fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Whether to switch the database to write-ahead logging (and `synchronous = NORMAL`,
    /// unless [`full_sync`](Self::full_sync)). Without, the journal mode and `synchronous`
    /// are left as they are.
    #[must_use]
    pub const fn wal(mut self, wal: bool) -> Self {
        self.wal = wal;
        self
    }

    /// Whether a commit under WAL is synced to disk by itself (`synchronous = FULL`), so
    /// that not even a power loss undoes it, at the cost of an fsync per commit.
    #[must_use]
    pub const fn full_sync(mut self, full_sync: bool) -> Self {
        self.full_sync = full_sync;
        self
    }

    /// The statements that apply the settings to a connection, for a source of
    /// connections of a program's own.
    ///
    /// ```
    /// use link_runtime::databases::SqliteSettings;
    ///
    /// assert_eq!(
    ///     SqliteSettings::new().wal(false).sql(),
    ///     "PRAGMA busy_timeout = 5000;"
    /// );
    /// ```
    pub fn sql(&self) -> String {
        let millis = self.busy_timeout.as_millis().min(i32::MAX as u128);
        let mut sql = format!("PRAGMA busy_timeout = {millis};");
        if self.wal {
            let synchronous = if self.full_sync { "FULL" } else { "NORMAL" };
            // The timeout first: switching to WAL waits for other connections' locks.
            sql.push_str(" PRAGMA journal_mode = WAL;");
            sql.push_str(&format!(" PRAGMA synchronous = {synchronous};"));
        }
        sql
    }

    /// Applies the settings to `conn`.
    ///
    /// # Errors
    ///
    /// The database's, if it refuses a statement (switching to WAL needs to write the
    /// file: a read-only database refuses it).
    pub fn apply<C>(&self, conn: &mut C) -> QueryResult<()>
    where
        C: Connection<Backend = Sqlite>,
    {
        conn.batch_execute(&self.sql())
    }

    /// Connects to the SQLite database at `url` and applies the settings: a function for
    /// [`Database::connect`](crate::databases::Database::connect).
    ///
    /// ```
    /// use link_runtime::databases::{Database, SqliteSettings};
    ///
    /// # let dir = std::env::temp_dir().join(format!("sqlite-establish-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let url = dir.join("catalog.db").to_str().unwrap().to_owned();
    /// let catalog = Database::connect("catalog", move || SqliteSettings::new().establish(&url));
    /// assert!(catalog.checkout().is_ok());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// As [`SqliteConnection::establish`]; a statement the database refuses is
    /// [`ConnectionError::CouldntSetupConfiguration`].
    pub fn establish(&self, url: &str) -> ConnectionResult<SqliteConnection> {
        let mut conn = SqliteConnection::establish(url)?;
        self.apply(&mut conn)
            .map_err(ConnectionError::CouldntSetupConfiguration)?;
        Ok(conn)
    }

    /// [`establish`](Self::establish) on the async driver: connects to the SQLite database
    /// at `url` as diesel-async's `SyncConnectionWrapper` does, and applies the settings
    /// (feature `async`).
    ///
    /// ```
    /// use link_runtime::databases::SqliteSettings;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut conn = SqliteSettings::new().establish_async(":memory:").await?;
    /// link_runtime::aio::migrate(&mut conn).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`establish`](Self::establish).
    #[cfg(feature = "async")]
    pub async fn establish_async(
        &self,
        url: &str,
    ) -> ConnectionResult<
        diesel_async::sync_connection_wrapper::SyncConnectionWrapper<SqliteConnection>,
    > {
        use diesel_async::{AsyncConnection, SimpleAsyncConnection};

        let mut conn = diesel_async::sync_connection_wrapper::SyncConnectionWrapper::<
            SqliteConnection,
        >::establish(url)
        .await?;
        conn.batch_execute(&self.sql())
            .await
            .map_err(ConnectionError::CouldntSetupConfiguration)?;
        Ok(conn)
    }
}

impl Default for SqliteSettings {
    fn default() -> Self {
        SqliteSettings::new()
    }
}

/// A diesel r2d2 pool's connections get the settings when the pool opens them (feature
/// `r2d2`).
///
/// ```
/// use diesel::r2d2::{ConnectionManager, Pool};
/// use diesel::SqliteConnection;
/// use link_runtime::databases::{Database, SqliteSettings};
///
/// # let dir = std::env::temp_dir().join(format!("sqlite-r2d2-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let url = dir.join("catalog.db");
/// let pool = Pool::builder()
///     .max_size(8)
///     .connection_customizer(Box::new(SqliteSettings::new()))
///     .build(ConnectionManager::<SqliteConnection>::new(url.to_str().unwrap()))
///     .unwrap();
/// let catalog = Database::pool("catalog", pool);
/// link_runtime::migrate(&mut *catalog.checkout().unwrap()).unwrap();
/// # drop(catalog);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[cfg(feature = "r2d2")]
impl<C> diesel::r2d2::CustomizeConnection<C, diesel::r2d2::Error> for SqliteSettings
where
    C: Connection<Backend = Sqlite>,
{
    fn on_acquire(&self, conn: &mut C) -> Result<(), diesel::r2d2::Error> {
        self.apply(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The async SQLite connection diesel-async's pools hand out.
#[cfg(feature = "deadpool")]
type AsyncSqlite = diesel_async::sync_connection_wrapper::SyncConnectionWrapper<SqliteConnection>;

#[cfg(feature = "deadpool")]
impl SqliteSettings {
    /// A diesel-async connection manager for the SQLite database at `url` whose
    /// connections get the settings when it opens them (feature `deadpool`): for a
    /// deadpool pool (`Pool::builder(manager)`), or bb8's or mobc's.
    ///
    /// ```
    /// use diesel_async::pooled_connection::deadpool::Pool;
    /// use link_runtime::aio::Database;
    /// use link_runtime::databases::SqliteSettings;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = std::env::temp_dir().join(format!("sqlite-deadpool-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let url = dir.join("catalog.db");
    /// let manager = SqliteSettings::new().async_manager(url.to_str().unwrap());
    /// let pool = Pool::builder(manager).max_size(8).build()?;
    /// let catalog = Database::pool("catalog", pool);
    /// link_runtime::aio::migrate(&mut *catalog.checkout().await?).await?;
    /// # drop(catalog);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn async_manager(
        self,
        url: impl Into<String>,
    ) -> diesel_async::pooled_connection::AsyncDieselConnectionManager<AsyncSqlite> {
        diesel_async::pooled_connection::AsyncDieselConnectionManager::new_with_config(
            url,
            self.manager_config(),
        )
    }

    /// A diesel-async manager configuration whose set-up connects with
    /// [`establish_async`](Self::establish_async), to change further (its
    /// `recycling_method`) before
    /// `AsyncDieselConnectionManager::new_with_config(url, config)`.
    ///
    /// ```
    /// use diesel_async::pooled_connection::{AsyncDieselConnectionManager, RecyclingMethod};
    /// use link_runtime::databases::SqliteSettings;
    ///
    /// let mut config = SqliteSettings::new().manager_config();
    /// config.recycling_method = RecyclingMethod::Verified;
    /// let manager = AsyncDieselConnectionManager::new_with_config("app.db", config);
    /// # drop(manager);
    /// ```
    pub fn manager_config(self) -> diesel_async::pooled_connection::ManagerConfig<AsyncSqlite> {
        let mut config = diesel_async::pooled_connection::ManagerConfig::default();
        config.custom_setup = Box::new(move |url| {
            let url = url.to_owned();
            Box::pin(async move { self.establish_async(&url).await })
        });
        config
    }
}
