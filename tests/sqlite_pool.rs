//! SQLite under a pool: a burst of concurrent link writes on one database file, through a
//! pool of 8 connections, waits for the writer ahead of it when the connections have
//! `SqliteSettings` (busy timeout, WAL), on both drivers (an r2d2 pool for the blocking
//! one, a deadpool pool for the async one). Every call answers with its result or a typed
//! cardinality error. The same burst on a pool without the settings meets
//! "database is locked", which is what the settings are for.

use std::sync::{Arc, Barrier};
use std::thread;

use diesel::r2d2::{ConnectionManager, Pool};
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use link_runtime::aio;
use link_runtime::databases::SqliteSettings;
use link_runtime::{Error, ErrorKind, Id, Result};
use link_tests::links::product_brand;
use link_tests::modules::{brand::Brand, product::Product};

const POOL_SIZE: u32 = 8;
const CLIENTS: usize = 16;
const ROUNDS: usize = 25;

/// Creates the link tables in the database at `url`.
fn migrate(url: &str) {
    let mut conn = SqliteConnection::establish(url).expect("the database file");
    link_runtime::migrate(&mut conn).expect("the link tables");
}

/// One call of the burst, as client `client` makes it in round `round`: products are shared
/// between clients and each client links them to a brand of its own, so that some calls
/// give a product a second brand and are refused.
enum Call {
    Create(Id<Product>, Id<Brand>),
    CreateMany(Vec<(Id<Product>, Id<Brand>)>),
    Dismiss(Id<Product>, Id<Brand>),
}

fn calls(client: usize, round: usize) -> [Call; 3] {
    let product = |n: usize| Product::id(format!("prod_{}", n % 12));
    let brand = Brand::id(format!("brand_{}", client % 4));
    let n = client * 7 + round;
    [
        Call::Create(product(n), brand.clone()),
        Call::CreateMany(vec![
            (product(n + 1), brand.clone()),
            (product(n + 2), brand.clone()),
        ]),
        Call::Dismiss(product(n), brand),
    ]
}

/// What the burst's calls answered that was neither a result nor a cardinality error.
#[derive(Debug, Default)]
struct Outcomes {
    answered: usize,
    refused: usize,
    failed: Vec<String>,
}

impl Outcomes {
    fn add<T>(&mut self, outcome: Result<T>) {
        match outcome {
            Ok(_) => self.answered += 1,
            Err(Error::Cardinality { .. }) => self.refused += 1,
            Err(error) => self.failed.push(describe(&error)),
        }
    }

    fn merge(&mut self, other: Outcomes) {
        self.answered += other.answered;
        self.refused += other.refused;
        self.failed.extend(other.failed);
    }

    /// How many calls failed because SQLite said "database is locked", whether at once or
    /// after the runtime's retries (`Error::Contention`, whose source says it).
    fn locked(&self) -> usize {
        self.failed
            .iter()
            .filter(|failure| failure.contains("database is locked"))
            .count()
    }
}

/// An error's kind, message and the messages of its sources, one line.
fn describe(error: &Error) -> String {
    let mut line = format!("{:?}: {error}", error.kind());
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        line.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    line
}

/// The burst through the blocking driver: `CLIENTS` threads, each checking a connection
/// out of `pool` for every call, as a web handler would.
fn blocking_burst(pool: &Pool<ConnectionManager<SqliteConnection>>) -> Outcomes {
    let start = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (pool, start) = (pool.clone(), Arc::clone(&start));
            thread::spawn(move || {
                let mut outcomes = Outcomes::default();
                start.wait();
                for round in 0..ROUNDS {
                    for call in calls(client, round) {
                        let mut conn = pool.get().expect("a connection from the pool");
                        match call {
                            Call::Create(product, brand) => outcomes
                                .add(product_brand::Link::create(&mut *conn, product, brand)),
                            Call::CreateMany(pairs) => {
                                outcomes.add(product_brand::Link::create_many(&mut *conn, &pairs))
                            }
                            Call::Dismiss(product, brand) => outcomes
                                .add(product_brand::Link::dismiss(&mut *conn, product, brand)),
                        }
                    }
                }
                outcomes
            })
        })
        .collect();
    let mut all = Outcomes::default();
    for client in clients {
        all.merge(client.join().expect("a client does not panic"));
    }
    all
}

type AsyncSqlite = SyncConnectionWrapper<SqliteConnection>;
type AsyncPool = diesel_async::pooled_connection::deadpool::Pool<AsyncSqlite>;

/// The burst through the async driver: `CLIENTS` tasks on a multi-threaded runtime, each
/// checking a connection out of `pool` for every call.
async fn async_burst(pool: &AsyncPool) -> Outcomes {
    let start = Arc::new(tokio::sync::Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (pool, start) = (pool.clone(), Arc::clone(&start));
            tokio::spawn(async move {
                let mut outcomes = Outcomes::default();
                start.wait().await;
                for round in 0..ROUNDS {
                    for call in calls(client, round) {
                        let mut conn = pool.get().await.expect("a connection from the pool");
                        match call {
                            Call::Create(product, brand) => {
                                outcomes.add(aio::create(&mut *conn, product, brand).await)
                            }
                            Call::CreateMany(pairs) => {
                                outcomes.add(aio::create_many(&mut *conn, &pairs).await)
                            }
                            Call::Dismiss(product, brand) => {
                                outcomes.add(aio::dismiss(&mut *conn, product, brand).await)
                            }
                        }
                    }
                }
                outcomes
            })
        })
        .collect();
    let mut all = Outcomes::default();
    for client in clients {
        all.merge(client.await.expect("a client does not panic"));
    }
    all
}

fn assert_all_answered(outcomes: &Outcomes) {
    assert!(
        outcomes.failed.is_empty(),
        "{} of {} calls failed ({} with `database is locked`): {:?}",
        outcomes.failed.len(),
        outcomes.answered + outcomes.refused + outcomes.failed.len(),
        outcomes.locked(),
        outcomes.failed
    );
    assert_eq!(outcomes.answered + outcomes.refused, CLIENTS * ROUNDS * 3);
    // The burst is one that races: clients do give products a second brand.
    assert!(outcomes.refused > 0, "{outcomes:?}");
}

/// The settings a connection has, read back from SQLite.
#[derive(Debug, PartialEq, QueryableByName)]
struct Pragmas {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    timeout: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    journal_mode: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    synchronous: i32,
}

const PRAGMAS: &str = "SELECT t.timeout, j.journal_mode, s.synchronous \
     FROM pragma_busy_timeout AS t, pragma_journal_mode AS j, pragma_synchronous AS s";

/// What `SqliteSettings::new()` sets: 5 s, WAL, `synchronous = NORMAL` (1).
fn default_pragmas() -> Pragmas {
    Pragmas {
        timeout: 5000,
        journal_mode: "wal".to_owned(),
        synchronous: 1,
    }
}

fn settings_pool(url: &str) -> Pool<ConnectionManager<SqliteConnection>> {
    Pool::builder()
        .max_size(POOL_SIZE)
        .connection_customizer(Box::new(SqliteSettings::new()))
        .build(ConnectionManager::new(url))
        .expect("a pool")
}

#[test]
fn a_blocking_pool_with_the_settings_waits_instead_of_failing() {
    let dir = link_test_support::SqliteFolder::new("sqlite-pool-blocking");
    let url = dir.file("links");
    migrate(&url);
    let pool = settings_pool(&url);
    let pragmas: Pragmas = diesel::sql_query(PRAGMAS)
        .get_result(&mut *pool.get().unwrap())
        .unwrap();
    assert_eq!(pragmas, default_pragmas());

    let outcomes = blocking_burst(&pool);
    assert_all_answered(&outcomes);
}

#[test]
fn an_async_pool_with_the_settings_waits_instead_of_failing() {
    let dir = link_test_support::SqliteFolder::new("sqlite-pool-async");
    let url = dir.file("links");
    migrate(&url);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let pool = AsyncPool::builder(SqliteSettings::new().async_manager(url.as_str()))
            .max_size(POOL_SIZE as usize)
            .build()
            .expect("a pool");
        let pragmas: Pragmas = diesel_async::RunQueryDsl::get_result(
            diesel::sql_query(PRAGMAS),
            &mut *pool.get().await.unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(pragmas, default_pragmas());

        let outcomes = async_burst(&pool).await;
        assert_all_answered(&outcomes);
    });
}

#[test]
fn a_database_connected_per_checkout_gets_the_settings() {
    let dir = link_test_support::SqliteFolder::new("sqlite-pool-connect");
    let url = dir.file("links");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let database = aio::Database::<AsyncSqlite>::connect("links", url.as_str());
        let mut conn = database.checkout().await.unwrap();
        let pragmas: Pragmas =
            diesel_async::RunQueryDsl::get_result(diesel::sql_query(PRAGMAS), &mut *conn)
                .await
                .unwrap();
        assert_eq!(pragmas, default_pragmas());
    });
}

/// The control: the same burst on a pool whose connections have SQLite's defaults (no
/// busy timeout, a rollback journal) fails calls with "database is locked", the
/// `Unavailable` kind. A burst is a race, so it is run up to five times to meet one.
#[test]
fn without_the_settings_the_same_burst_meets_database_is_locked() {
    let dir = link_test_support::SqliteFolder::new("sqlite-pool-control");
    let url = dir.file("links");
    migrate(&url);
    let pool = Pool::builder()
        .max_size(POOL_SIZE)
        .build(ConnectionManager::<SqliteConnection>::new(url.as_str()))
        .expect("a pool");
    let pragmas: Pragmas = diesel::sql_query(PRAGMAS)
        .get_result(&mut *pool.get().unwrap())
        .unwrap();
    assert_eq!(
        (pragmas.timeout, pragmas.journal_mode.as_str()),
        (0, "delete")
    );

    let mut bursts = Vec::new();
    for _ in 0..5 {
        let outcomes = blocking_burst(&pool);
        let locked = outcomes.locked();
        bursts.push((locked, outcomes.failed.len()));
        if locked > 0 {
            assert!(outcomes
                .failed
                .iter()
                .filter(|failure| failure.contains("database is locked"))
                .all(|failure| failure.starts_with(&format!("{:?}", ErrorKind::Unavailable))));
            return;
        }
    }
    panic!("five bursts without the settings never met `database is locked`: {bursts:?}");
}
