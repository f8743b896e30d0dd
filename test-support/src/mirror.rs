//! The async rows of `backend_tests! { drivers; .. }`: a second connection to the test's
//! database, on diesel-async, that [`via`](crate::via) runs the link operations on.
//!
//! A test keeps its own blocking connection for what the modules do (their tables, their
//! rows, diesel's query builder); the link operations it calls through `via` run on this
//! thread's mirror connection, through `link_runtime::aio`, when there is one.

use std::cell::RefCell;
use std::future::Future;

use diesel::connection::Instrumentation;
use diesel::{Connection, SqliteConnection};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use tokio::runtime::Runtime;

use crate::{postgres, unique_name, Owned, PgSchema, POSTGRES_URL};

/// This thread's async connection to the test's database.
pub(crate) enum Mirror {
    Sqlite(SyncConnectionWrapper<SqliteConnection>),
    Postgres(Box<AsyncPgConnection>),
}

thread_local! {
    static MIRROR: RefCell<Option<(Runtime, Mirror)>> = const { RefCell::new(None) };
}

/// While alive, this thread's [`via`](crate::via) operations run on the async driver.
pub struct MirrorGuard(());

impl Drop for MirrorGuard {
    fn drop(&mut self) {
        MIRROR.with(|mirror| mirror.borrow_mut().take());
    }
}

fn mirror(connect: impl Future<Output = Mirror>) -> MirrorGuard {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let conn = runtime.block_on(connect);
    MIRROR.with(|mirror| *mirror.borrow_mut() = Some((runtime, conn)));
    MirrorGuard(())
}

/// Runs `f` on this thread's mirror connection, or returns `None` when the test runs
/// without one (a blocking row).
///
/// # Panics
///
/// If called again from inside `f`.
pub(crate) fn on_mirror<T>(f: impl FnOnce(&Runtime, &mut Mirror) -> T) -> Option<T> {
    MIRROR.with(|mirror| {
        let mut mirror = mirror.borrow_mut();
        let (runtime, conn) = mirror.as_mut()?;
        Some(f(runtime, conn))
    })
}

/// Sets `instrumentation` on `conn`, and on this thread's mirror connection if there is
/// one: a test that records statements sees those of both drivers.
pub fn instrument<C, I>(conn: &mut C, instrumentation: I)
where
    C: Connection,
    I: Instrumentation + Clone,
{
    conn.set_instrumentation(instrumentation.clone());
    on_mirror(|_, mirror| match mirror {
        Mirror::Sqlite(conn) => conn.set_instrumentation(instrumentation),
        Mirror::Postgres(conn) => conn.set_instrumentation(instrumentation),
    });
}

/// The driver a test runs the operations it calls through [`via`](crate::via) on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    /// The blocking API, on the test's own connection.
    Blocking,
    /// `link_runtime::aio`, on a second connection to the same database that
    /// [`Driver::mirror_sqlite`] or [`Driver::mirror_postgres`] opens for this thread.
    Async,
}

impl Driver {
    /// For the async driver, opens this thread's mirror connection to the SQLite database
    /// at `url` (a file, or a shared in-memory database); nothing for the blocking one.
    pub fn mirror_sqlite(self, url: &str) -> Option<MirrorGuard> {
        (self == Driver::Async).then(|| {
            mirror(async {
                Mirror::Sqlite(
                    SyncConnectionWrapper::<SqliteConnection>::establish(url)
                        .await
                        .unwrap_or_else(|error| panic!("SQLite at {url}: {error}")),
                )
            })
        })
    }

    /// For the async driver, opens this thread's mirror connection to the PostgreSQL
    /// database at `url`, in `schema` if given, in UTC; nothing for the blocking one.
    pub fn mirror_postgres(self, url: &str, schema: Option<&str>) -> Option<MirrorGuard> {
        let mut setup = String::from("SET TIME ZONE 'UTC';");
        if let Some(schema) = schema {
            setup.push_str(&format!("SET search_path TO {schema};"));
        }
        (self == Driver::Async).then(|| {
            mirror(async move {
                let mut conn = AsyncPgConnection::establish(url)
                    .await
                    .unwrap_or_else(|error| panic!("PostgreSQL at {url}: {error}"));
                conn.batch_execute(&setup)
                    .await
                    .expect("the session is set");
                Mirror::Postgres(Box::new(conn))
            })
        })
    }
}

/// Writes each test once and runs it through both drivers: a `blocking` module of tests and
/// an `async_driver` module of the same tests, where `$driver` names the [`Driver`]. The
/// test opens its databases and, through the driver, the mirror connections the async
/// driver runs on.
#[macro_export]
macro_rules! driver_tests {
    ($($(#[$attr:meta])* fn $name:ident($driver:ident) $body:block)*) => {
        /// The tests through the blocking driver.
        mod blocking {
            #[allow(unused_imports)]
            use super::*;
            $(
                $(#[$attr])*
                #[test]
                fn $name() {
                    let $driver = $crate::Driver::Blocking;
                    $body
                }
            )*
        }
        /// The same tests through the async driver.
        mod async_driver {
            #[allow(unused_imports)]
            use super::*;
            $(
                $(#[$attr])*
                #[test]
                fn $name() {
                    let $driver = $crate::Driver::Async;
                    $body
                }
            )*
        }
    };
}

/// A fresh shared in-memory SQLite database, and an async connection to it for
/// [`via`](crate::via).
pub fn sqlite_mirrored(test: &str) -> Option<(Owned<SqliteConnection>, MirrorGuard)> {
    let url = format!("file:{}?mode=memory&cache=shared", unique_name(test));
    // The test's thread runs one statement at a time, on one connection or the other, and
    // holds no transaction open across them: the two never wait for each other's locks.
    let conn = SqliteConnection::establish(&url).expect("a shared in-memory database");
    let guard = Driver::Async.mirror_sqlite(&url)?;
    Some((Owned(conn), guard))
}

/// A connection in a fresh schema, and an async connection to it for
/// [`via`](crate::via); `None` when [`POSTGRES_URL`] is not set.
pub fn postgres_mirrored(test: &str) -> Option<(PgSchema, MirrorGuard)> {
    let schema = postgres(test)?;
    let guard = schema.mirror()?;
    Some((schema, guard))
}

impl PgSchema {
    /// Opens this thread's mirror connection to the schema, for the async driver.
    pub fn mirror(&self) -> Option<MirrorGuard> {
        let url = std::env::var(POSTGRES_URL).expect("the URL this schema was made with");
        Driver::Async.mirror_postgres(&url, Some(self.name()))
    }
}
