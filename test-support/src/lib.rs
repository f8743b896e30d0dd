//! Test databases for the link-runtime suites.
//!
//! Every suite runs on both backends: on an in-memory SQLite database always, and on
//! PostgreSQL when `LINK_TEST_POSTGRES_URL` holds a connection URL (`.ci/run` always sets
//! it). Without it the PostgreSQL tests print that they were skipped and pass.
//!
//! Each PostgreSQL test gets a schema of its own, dropped when the test ends, so tests run
//! in parallel on one database. Tests that need several databases (a module per database)
//! get fresh databases from [`postgres_database`].
//!
//! [`backend_tests!`] writes a test once and runs it on both.

#![forbid(unsafe_code)]

mod folder;
mod mirror;
mod server;
mod statements;
pub mod via;

use std::ops::{Deref, DerefMut};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use link_runtime::ColumnValue;
use link_runtime::{Dialect, LinkConnection};

pub use folder::SqliteFolder;
pub use mirror::{instrument, postgres_mirrored, sqlite_mirrored, Driver, MirrorGuard};
pub use server::{pg_server, pg_server_with, PgServer};
pub use statements::Statements;

/// The environment variable that holds the PostgreSQL test server's URL.
pub const POSTGRES_URL: &str = "LINK_TEST_POSTGRES_URL";

/// Writes each test once and runs it on every backend: a `sqlite` module of tests on an
/// in-memory database, and a `postgres` module of the same tests, each in a fresh schema.
///
/// An optional `helpers { .. }` block is copied into both modules, where `Conn` names the
/// module's connection type: helpers that use diesel's query builder, which is typed by
/// backend, are written once there.
///
/// ```ignore
/// link_test_support::backend_tests! {
///     helpers {
///         fn count(conn: &mut Conn) -> i64 { /* diesel DSL */ }
///     }
///     fn creates_a_link(conn) {
///         link_runtime::migrate(conn).unwrap();
///         // `conn` is `&mut SqliteConnection` in one test, `&mut PgConnection` in the other.
///     }
/// }
/// ```
///
/// Written `backend_tests! { drivers; .. }`, it adds two rows, `async_sqlite` and
/// `async_postgres`, in which the operations a test calls through [`via`] (link writes,
/// lists, deletes, sync, graph queries) run on `link_runtime::aio`, on a second connection
/// to the test's database; the test's own connection is blocking in every row.
#[macro_export]
macro_rules! backend_tests {
    (
        drivers;
        $(helpers { $($helper:item)* })?
        $($(#[$attr:meta])* fn $name:ident($conn:ident) $body:block)*
    ) => {
        $crate::backend_tests! {
            $(helpers { $($helper)* })?
            $($(#[$attr])* fn $name($conn) $body)*
        }
        $crate::backend_tests! {
            @row async_sqlite, ::diesel::SqliteConnection, $crate::sqlite_mirrored,
            "The same tests with the operations they call through \
             [`via`](link_test_support::via) run by the async driver, on a second \
             connection to the same database: a shared in-memory SQLite database.";
            $(helpers { $($helper)* })?
            $($(#[$attr])* fn $name($conn) $body)*
        }
        $crate::backend_tests! {
            @row async_postgres, ::diesel::PgConnection, $crate::postgres_mirrored,
            "The same tests with the operations they call through \
             [`via`](link_test_support::via) run by the async driver, on a second \
             connection to the test's PostgreSQL schema.";
            $(helpers { $($helper)* })?
            $($(#[$attr])* fn $name($conn) $body)*
        }
    };
    (
        @row $module:ident, $connection:ty, $setup:path, $doc:literal;
        $(helpers { $($helper:item)* })?
        $($(#[$attr:meta])* fn $name:ident($conn:ident) $body:block)*
    ) => {
        #[doc = $doc]
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            #[allow(dead_code)]
            type Conn = $connection;
            $($($helper)*)?
            $(
                $(#[$attr])*
                #[test]
                fn $name() {
                    let Some((mut db, _guard)) = $setup(stringify!($name)) else {
                        return;
                    };
                    let $conn: &mut Conn = &mut *db;
                    $body
                }
            )*
        }
    };
    (
        $(helpers { $($helper:item)* })?
        $($(#[$attr:meta])* fn $name:ident($conn:ident) $body:block)*
    ) => {
        $crate::backend_tests! {
            @row sqlite, ::diesel::SqliteConnection, $crate::sqlite_row,
            "The tests on an in-memory SQLite database.";
            $(helpers { $($helper)* })?
            $($(#[$attr])* fn $name($conn) $body)*
        }
        $crate::backend_tests! {
            @row postgres, ::diesel::PgConnection, $crate::postgres_row,
            "The tests on PostgreSQL, each in a schema of its own.";
            $(helpers { $($helper)* })?
            $($(#[$attr])* fn $name($conn) $body)*
        }
    };
}

/// A connection a test owns, as `backend_tests!` hands it out.
#[doc(hidden)]
pub struct Owned<C>(C);

impl<C> Deref for Owned<C> {
    type Target = C;

    fn deref(&self) -> &C {
        &self.0
    }
}

impl<C> DerefMut for Owned<C> {
    fn deref_mut(&mut self) -> &mut C {
        &mut self.0
    }
}

/// `backend_tests!`'s SQLite row: a fresh in-memory database.
#[doc(hidden)]
pub fn sqlite_row(_test: &str) -> Option<(Owned<SqliteConnection>, ())> {
    Some((Owned(sqlite()), ()))
}

/// `backend_tests!`'s PostgreSQL row: a fresh schema, or `None` without a server.
#[doc(hidden)]
pub fn postgres_row(test: &str) -> Option<(PgSchema, ())> {
    postgres(test).map(|schema| (schema, ()))
}

/// A fresh in-memory SQLite database.
pub fn sqlite() -> SqliteConnection {
    SqliteConnection::establish(":memory:").expect("in-memory SQLite opens")
}

/// The PostgreSQL test server's URL, or `None` (and a line saying `test` was skipped) when
/// [`POSTGRES_URL`] is not set.
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var(POSTGRES_URL) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("skipped on PostgreSQL: {test} ({POSTGRES_URL} is not set)");
            None
        }
    }
}

/// A connection to the PostgreSQL test database whose `search_path` is a schema of its
/// own, created empty and dropped with the value.
pub struct PgSchema {
    conn: PgConnection,
    name: String,
}

/// A connection in a fresh schema, or `None` when [`POSTGRES_URL`] is not set.
///
/// # Panics
///
/// If the server cannot be reached: a URL that is set must work.
pub fn postgres(test: &str) -> Option<PgSchema> {
    let url = postgres_url(test)?;
    let mut conn = connect(&url);
    let name = unique_name("t");
    conn.batch_execute(&format!(
        "CREATE SCHEMA {name}; SET search_path TO {name}; SET TIME ZONE 'UTC';"
    ))
    .expect("a schema is created");
    Some(PgSchema { conn, name })
}

impl PgSchema {
    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Another connection to the same schema, as a second client of the database would
    /// have.
    pub fn connect_again(&self) -> PgConnection {
        let url = std::env::var(POSTGRES_URL).expect("the URL this schema was made with");
        let mut conn = connect(&url);
        conn.batch_execute(&format!("SET search_path TO {}", self.name))
            .expect("the search path is set");
        conn
    }
}

impl Deref for PgSchema {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        &self.conn
    }
}

impl DerefMut for PgSchema {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.conn
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        // A test that failed inside a transaction leaves it open: end it first.
        let _ = self.conn.batch_execute("ROLLBACK");
        let _ = self
            .conn
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}

/// A PostgreSQL database of its own on the test server, dropped with the value: for tests
/// that put modules in separate databases.
pub struct PgDatabase {
    admin_url: String,
    url: String,
    name: String,
}

/// A fresh, empty database, or `None` when [`POSTGRES_URL`] is not set.
///
/// # Panics
///
/// If the server cannot be reached or refuses to create it.
pub fn postgres_database(test: &str) -> Option<PgDatabase> {
    let admin_url = postgres_url(test)?;
    let name = unique_name("db");
    connect(&admin_url)
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("a database is created");
    let url = match admin_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("{POSTGRES_URL} does not end in a database name: {admin_url}"),
    };
    Some(PgDatabase {
        admin_url,
        url,
        name,
    })
}

impl PgDatabase {
    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new connection to it, in UTC.
    pub fn connect(&self) -> PgConnection {
        connect(&self.url)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// A connection to `url`, in UTC.
///
/// # Panics
///
/// If the server cannot be reached.
pub fn connect(url: &str) -> PgConnection {
    let mut conn = PgConnection::establish(url)
        .unwrap_or_else(|error| panic!("PostgreSQL at {url} cannot be reached: {error}"));
    conn.batch_execute("SET TIME ZONE 'UTC'")
        .expect("the time zone is set");
    conn
}

/// A lowercase name no other test uses: `prefix_` and a ULID.
fn unique_name(prefix: &str) -> String {
    format!("{prefix}_{}", ulid::Ulid::new()).to_lowercase()
}

/// SQL the tests write once for both backends: `?` placeholders, rewritten to `$1, $2, ..`
/// on PostgreSQL, and text values only.
pub trait TestSql: LinkConnection + SimpleConnection {
    /// Runs a statement; returns the affected row count.
    ///
    /// # Panics
    ///
    /// If the database refuses it.
    fn exec(&mut self, sql: &str, binds: &[&str]) -> usize {
        let binds: Vec<ColumnValue<'_>> = binds.iter().map(|b| ColumnValue::Text(b)).collect();
        link_runtime::__private::execute(self, &placeholders(Self::DIALECT, sql), &binds)
            .unwrap_or_else(|error| panic!("{sql}: {error}"))
    }

    /// The first column of a query's rows as text (a number or boolean as it prints;
    /// NULL as `NULL`).
    ///
    /// # Panics
    ///
    /// If the database refuses it.
    fn texts(&mut self, sql: &str, binds: &[&str]) -> Vec<String> {
        let binds: Vec<ColumnValue<'_>> = binds.iter().map(|b| ColumnValue::Text(b)).collect();
        let rows =
            link_runtime::__private::load_json(self, &placeholders(Self::DIALECT, sql), &binds)
                .unwrap_or_else(|error| panic!("{sql}: {error}"));
        rows.into_iter()
            .map(|row| {
                row.into_iter()
                    .next()
                    .map_or_else(|| "NULL".to_owned(), text)
            })
            .collect()
    }

    /// Every column of a query's rows as text, as [`texts`](Self::texts) gives the first.
    ///
    /// # Panics
    ///
    /// If the database refuses it.
    fn rows(&mut self, sql: &str, binds: &[&str]) -> Vec<Vec<String>> {
        let binds: Vec<ColumnValue<'_>> = binds.iter().map(|b| ColumnValue::Text(b)).collect();
        let rows =
            link_runtime::__private::load_json(self, &placeholders(Self::DIALECT, sql), &binds)
                .unwrap_or_else(|error| panic!("{sql}: {error}"));
        rows.into_iter()
            .map(|row| row.into_iter().map(text).collect())
            .collect()
    }

    /// The names of `table`'s columns, in table order.
    fn column_names(&mut self, table: &str) -> Vec<String> {
        match Self::DIALECT {
            Dialect::Sqlite => self.texts(
                "SELECT name FROM pragma_table_info(?) ORDER BY cid",
                &[table],
            ),
            _ => self.texts(
                "SELECT column_name FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = ? \
                 ORDER BY ordinal_position",
                &[table],
            ),
        }
    }

    /// `(name, type)` of each of `table`'s columns, in table order, the type as the
    /// database reports it: SQLite's declared type (`INTEGER`, `BIGINT`), PostgreSQL's
    /// `information_schema` name (`integer`, `bigint`, `timestamp with time zone`).
    fn column_types(&mut self, table: &str) -> Vec<(String, String)> {
        let sql = match Self::DIALECT {
            Dialect::Sqlite => "SELECT name, type FROM pragma_table_info(?) ORDER BY cid",
            _ => {
                "SELECT column_name, data_type FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = ? \
                 ORDER BY ordinal_position"
            }
        };
        self.rows(sql, &[table])
            .into_iter()
            .map(|row| {
                let mut row = row.into_iter();
                let name = row.next().unwrap_or_default();
                (name, row.next().unwrap_or_default())
            })
            .collect()
    }

    /// The names of `table`'s indexes that were created by name (not a primary key's
    /// automatic one), sorted.
    fn index_names(&mut self, table: &str) -> Vec<String> {
        match Self::DIALECT {
            Dialect::Sqlite => self.texts(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? \
                 AND sql IS NOT NULL ORDER BY name",
                &[table],
            ),
            _ => self.texts(
                "SELECT indexname FROM pg_indexes \
                 WHERE schemaname = current_schema() AND tablename = ? \
                 AND indexname NOT LIKE '%_pkey' ORDER BY indexname",
                &[table],
            ),
        }
    }

    /// Whether `table` exists.
    fn has_table(&mut self, table: &str) -> bool {
        let found = match Self::DIALECT {
            Dialect::Sqlite => self.texts(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
                &[table],
            ),
            _ => self.texts(
                "SELECT table_name FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = ?",
                &[table],
            ),
        };
        !found.is_empty()
    }
}

impl<C: LinkConnection + SimpleConnection> TestSql for C {}

/// A value as [`TestSql::texts`] and [`TestSql::rows`] give it: a number or boolean as it
/// prints, NULL as `NULL`.
fn text(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text,
        serde_json::Value::Null => "NULL".to_owned(),
        other => other.to_string(),
    }
}

/// `sql` with its `?` placeholders numbered for `dialect`. A `?` inside a quoted string is
/// left alone.
fn placeholders(dialect: Dialect, sql: &str) -> String {
    if dialect == Dialect::Sqlite {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let (mut n, mut quoted) = (0, false);
    for c in sql.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_outside_strings() {
        assert_eq!(
            placeholders(Dialect::Postgres, "a = ? AND b = '?' AND c IN (?, ?)"),
            "a = $1 AND b = '?' AND c IN ($2, $3)"
        );
        assert_eq!(placeholders(Dialect::Sqlite, "a = ?"), "a = ?");
    }
}
