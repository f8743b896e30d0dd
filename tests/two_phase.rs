//! Deletes and restores across PostgreSQL databases commit in two phases: all or none, even
//! when the server dies between the phases, once `recover` has run.
//!
//! Each test has a server of its own (`pg_server`), with three databases: `links` (the
//! coordinator: product → brand pivot rows and the decision log), `pivots` (the product →
//! supplier link's pivot table) and `brands` (the supplier module). Deleting `prod_1`
//! writes all three. To kill the server at an exact statement, the blocking driver runs on
//! [`Tripwire`], a `PgConnection` that kills the server when it is about to send a given
//! statement.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use diesel_async::AsyncPgConnection;
use link_runtime::databases::{Database, Databases, Recovery};
use link_runtime::service::Modules;
use link_runtime::{aio, Error, ErrorKind};
use link_test_support::{pg_server, pg_server_with, PgServer, TestSql};
use link_tests::links::{product_brand, product_supplier};
use link_tests::modules::supplier::{Store, Supplier};
use link_tests::modules::{brand::Brand, product::Product};
use tripwire::{Trap, Tripwire};

link_tests::store_on!(Tripwire);

/// The three databases of a test's server.
const DATABASES: [&str; 3] = ["links", "pivots", "brands"];

/// Creates the databases, syncs the links, and writes the suppliers and links: `prod_1`
/// has brand `brand_1` and supplier `sup_1` (which no other product has), `prod_2` has
/// `brand_1` and `sup_2`, `prod_3` only `brand_2`.
fn setup(server: &PgServer) {
    let mut admin = server.connect();
    for name in DATABASES {
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
    }
    let databases = place(|name| {
        let url = server.database_url(name);
        Database::connect(name, move || PgConnection::establish(&url))
    });
    let synced = databases.migrate().unwrap();
    assert_eq!(synced.len(), 2, "links and pivots hold links");

    let mut brands = server.connect_to("brands");
    brands.migrate_suppliers().unwrap();
    brands.add_supplier("sup_1", "Alder").unwrap();
    brands.add_supplier("sup_2", "Birch").unwrap();
    let mut links = databases.for_link::<product_brand::Link>().unwrap();
    for (product, brand) in [
        ("prod_1", "brand_1"),
        ("prod_2", "brand_1"),
        ("prod_3", "brand_2"),
    ] {
        product_brand::Link::create(&mut *links, Product::id(product), Brand::id(brand)).unwrap();
    }
    let mut pivots = databases.for_link::<product_supplier::Link>().unwrap();
    product_supplier::Link::create_many(
        &mut *pivots,
        &[
            (Product::id("prod_1"), Supplier::id("sup_1")),
            (Product::id("prod_2"), Supplier::id("sup_2")),
        ],
    )
    .unwrap();
}

/// The three databases as a placement, each reached through `database(name)`.
fn place<D: Placeable>(database: impl Fn(&str) -> D) -> D::Placement {
    D::place(&database("links"), &database("pivots"), &database("brands"))
}

/// A database handle of either driver, placed the same way.
trait Placeable {
    type Placement;

    fn place(links: &Self, pivots: &Self, brands: &Self) -> Self::Placement;
}

impl<C: 'static> Placeable for Database<C> {
    type Placement = Databases<C>;

    fn place(links: &Self, pivots: &Self, brands: &Self) -> Databases<C> {
        Databases::new(links)
            .link::<product_supplier::Link>(pivots)
            .module("brand", brands)
            .module("supplier", brands)
    }
}

impl<C: 'static> Placeable for aio::Database<C> {
    type Placement = aio::Databases<C>;

    fn place(links: &Self, pivots: &Self, brands: &Self) -> aio::Databases<C> {
        aio::Databases::new(links)
            .link::<product_supplier::Link>(pivots)
            .module("brand", brands)
            .module("supplier", brands)
    }
}

/// What the three databases hold of `prod_1`: its live brands (in `links`), its live
/// suppliers (in `pivots`), and the live suppliers (in `brands`).
fn prod_1(server: &PgServer) -> [Vec<String>; 3] {
    let live = |database: &str, sql: &str| server.connect_to(database).texts(sql, &[]);
    [
        live(
            "links",
            "SELECT brand_id FROM product_product_brand_brand \
             WHERE product_id = 'prod_1' AND deleted_at IS NULL",
        ),
        live(
            "pivots",
            "SELECT supplier_id FROM product_product_supplier_supplier \
             WHERE product_id = 'prod_1' AND deleted_at IS NULL",
        ),
        live(
            "brands",
            "SELECT id FROM supplier WHERE deleted_at IS NULL ORDER BY id",
        ),
    ]
}

/// `prod_1` as [`setup`] leaves it, and as a rolled-back delete must.
fn linked() -> [Vec<String>; 3] {
    [
        vec!["brand_1".into()],
        vec!["sup_1".into()],
        vec!["sup_1".into(), "sup_2".into()],
    ]
}

/// `prod_1` once deleted: its links dismissed and `sup_1`, which only it had, soft-deleted.
fn deleted() -> [Vec<String>; 3] {
    [vec![], vec![], vec!["sup_2".into()]]
}

/// The prepared transactions left on the server, and the decisions left in the log.
fn leftovers(server: &PgServer) -> (Vec<String>, Vec<String>) {
    let prepared = server
        .connect()
        .texts("SELECT gid FROM pg_prepared_xacts ORDER BY gid", &[]);
    let decisions = server
        .connect_to("links")
        .texts("SELECT id FROM link_runtime_decisions", &[]);
    (prepared, decisions)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn delete_and_restore_across_databases_commit_everywhere_through_both_drivers() {
    let Some(server) = pg_server("two_phase_commits") else {
        return;
    };
    setup(&server);
    let blocking = place(|name| {
        let url = server.database_url(name);
        Database::connect(name, move || PgConnection::establish(&url))
    });
    let modules = Modules::new().with::<Supplier>();

    let deletion = blocking.delete(&modules, &[Product::id("prod_1")]).unwrap();
    assert_eq!(deletion.link_count(), 2);
    assert_eq!(prod_1(&server), deleted());
    assert_eq!(leftovers(&server), (vec![], vec![]));
    assert_eq!(blocking.restore(&modules, &deletion).unwrap(), 2);
    assert_eq!(prod_1(&server), linked());
    assert_eq!(leftovers(&server), (vec![], vec![]));
    assert!(blocking.recover().unwrap().is_empty(), "nothing in doubt");

    let rt = runtime();
    rt.block_on(async {
        let databases = place(|name| {
            aio::Database::<AsyncPgConnection>::connect(name, server.database_url(name))
        });
        let modules = aio::Modules::new().with::<Supplier>();
        let deletion = databases
            .delete(&modules, &[Product::id("prod_1")])
            .await
            .unwrap();
        assert_eq!(deletion.link_count(), 2);
        assert_eq!(prod_1(&server), deleted());
        assert_eq!(leftovers(&server), (vec![], vec![]));
        assert_eq!(databases.restore(&modules, &deletion).await.unwrap(), 2);
        assert_eq!(prod_1(&server), linked());
        assert_eq!(leftovers(&server), (vec![], vec![]));
        assert!(databases.recover().await.unwrap().is_empty());
    });
}

/// Deletes `prod_1` through databases whose connections kill the server when they are
/// about to send the statement `trap` matches; then starts the server again and recovers.
/// Returns the delete's error and what recovery did.
fn cut_off(test: &str, trap: fn(&str) -> bool) -> Option<(Arc<PgServer>, Error, Recovery)> {
    let server = Arc::new(pg_server(test)?);
    setup(&server);
    let wire = Arc::new(Trap::default());
    let databases = place(|name| {
        let (url, wire) = (server.database_url(name), Arc::clone(&wire));
        Database::connect(name, move || Tripwire::connect(&url, &wire))
    });
    let modules = Modules::new().with::<Supplier>();

    wire.kill_at(trap, &server);
    let error = databases
        .delete(&modules, &[Product::id("prod_1")])
        .unwrap_err();
    assert!(wire.sprung(), "the delete sent the statement: {error}");
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error:?}");

    server.start();
    let (prepared, _) = leftovers(&server);
    assert_eq!(
        prepared.len(),
        2,
        "both participants prepared: {prepared:?}"
    );
    let recovery = databases.recover().unwrap();
    assert_eq!(
        leftovers(&server),
        (vec![], vec![]),
        "recovery ended everything"
    );
    assert!(
        databases.recover().unwrap().is_empty(),
        "a second recovery has nothing to do"
    );
    Some((server, error, recovery))
}

#[test]
fn a_server_killed_before_the_decision_leaves_nothing_deleted_anywhere() {
    // The coordinator's commit, the decision, never reaches the server.
    let Some((server, error, recovery)) = cut_off("killed_before_decision", |sql| sql == "COMMIT")
    else {
        return;
    };
    assert!(
        matches!(&error, Error::InDoubt { decided: false, database, .. } if database == "links"),
        "{error:?}"
    );
    assert!(recovery.committed.is_empty(), "{recovery:?}");
    let mut rolled_back: Vec<&str> = recovery
        .rolled_back
        .iter()
        .map(|part| part.database.as_str())
        .collect();
    rolled_back.sort_unstable();
    assert_eq!(rolled_back, ["brands", "pivots"]);
    assert_eq!(prod_1(&server), linked(), "nothing deleted in any database");
}

#[test]
fn a_server_killed_after_the_decision_leaves_everything_deleted() {
    // The decision is committed; the participants' parts are still prepared.
    let Some((server, error, recovery)) = cut_off("killed_after_decision", |sql| {
        sql.starts_with("COMMIT PREPARED")
    }) else {
        return;
    };
    assert!(
        matches!(&error, Error::InDoubt { decided: true, .. }),
        "{error:?}"
    );
    assert!(recovery.rolled_back.is_empty(), "{recovery:?}");
    let mut committed: Vec<&str> = recovery
        .committed
        .iter()
        .map(|part| part.database.as_str())
        .collect();
    committed.sort_unstable();
    assert_eq!(committed, ["brands", "pivots"]);
    assert!(recovery
        .committed
        .iter()
        .all(|part| part.gid.starts_with("link_runtime_")));
    assert_eq!(prod_1(&server), deleted(), "deleted in every database");
}

/// The placement of [`setup`]'s databases, on plain connections, and, on [`Tripwire`]s
/// under a trap, the same.
fn placements(server: &Arc<PgServer>) -> (Databases<PgConnection>, Databases<Tripwire>, Arc<Trap>) {
    let plain = place(|name| {
        let url = server.database_url(name);
        Database::connect(name, move || PgConnection::establish(&url))
    });
    let wire = Arc::new(Trap::default());
    let wired = place(|name| {
        let (url, wire) = (server.database_url(name), Arc::clone(&wire));
        Database::connect(name, move || Tripwire::connect(&url, &wire))
    });
    (plain, wired, wire)
}

#[test]
fn a_recovery_between_the_decision_and_the_second_phase_counts_as_the_commit() {
    let Some(server) = pg_server("recovery_in_second_phase") else {
        return;
    };
    let server = Arc::new(server);
    setup(&server);
    let (plain, wired, wire) = placements(&server);
    // Another process recovers once the decision is made and before this one commits the
    // prepared parts: it commits them, and this one finds them committed.
    let (sender, recovered) = std::sync::mpsc::channel();
    wire.arm(
        |sql| sql.starts_with("COMMIT PREPARED"),
        move || sender.send(plain.recover().unwrap()).unwrap(),
    );
    let modules = Modules::new().with::<Supplier>();
    let deletion = wired.delete(&modules, &[Product::id("prod_1")]).unwrap();
    assert_eq!(deletion.link_count(), 2);

    let recovery = recovered.recv().unwrap();
    assert_eq!(recovery.committed.len(), 2, "{recovery:?}");
    assert!(recovery.rolled_back.is_empty(), "{recovery:?}");
    assert_eq!(prod_1(&server), deleted());
    assert_eq!(leftovers(&server), (vec![], vec![]));
}

#[test]
fn a_recovery_waits_for_a_write_that_has_prepared_and_not_decided() {
    let Some(server) = pg_server("recovery_waits") else {
        return;
    };
    let server = Arc::new(server);
    setup(&server);
    let (plain, wired, wire) = placements(&server);
    // Another process starts a recovery while this one's parts are prepared and its
    // decision not yet committed: the recovery must wait for the decision, not roll the
    // parts back.
    let (sender, recovered) = std::sync::mpsc::channel();
    let watched = Arc::clone(&server);
    wire.arm(
        |sql| sql == "COMMIT",
        move || {
            let recovery = std::thread::spawn(move || plain.recover());
            let mut links = watched.connect_to("links");
            let started = Instant::now();
            while links.texts(
                "SELECT CAST(COUNT(*) AS TEXT) FROM pg_locks \
                 WHERE locktype = 'advisory' AND NOT granted",
                &[],
            ) != ["1"]
            {
                assert!(
                    !recovery.is_finished(),
                    "the recovery did not wait for the decision"
                );
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "the recovery never began"
                );
                std::thread::sleep(Duration::from_millis(10));
            }
            sender.send(recovery).unwrap();
        },
    );
    let modules = Modules::new().with::<Supplier>();
    let deletion = wired.delete(&modules, &[Product::id("prod_1")]).unwrap();
    assert_eq!(deletion.link_count(), 2);

    let recovery = recovered.recv().unwrap().join().unwrap().unwrap();
    assert!(recovery.rolled_back.is_empty(), "{recovery:?}");
    assert_eq!(prod_1(&server), deleted());
    assert_eq!(leftovers(&server).0, Vec::<String>::new());
}

#[test]
fn without_prepared_transactions_a_write_across_databases_is_refused_whole() {
    let Some(server) = pg_server_with("no_prepared_transactions", &["max_prepared_transactions=0"])
    else {
        return;
    };
    setup(&server);
    let refused = |error: Error| {
        assert!(
            matches!(&error, Error::PreparedTransactionsDisabled { database }
                if database == "pivots" || database == "brands"),
            "{error:?}"
        );
        assert_eq!(error.kind(), ErrorKind::Internal);
        assert!(
            error.to_string().contains("max_prepared_transactions"),
            "{error}"
        );
    };

    let blocking = place(|name| {
        let url = server.database_url(name);
        Database::connect(name, move || PgConnection::establish(&url))
    });
    let modules = Modules::new().with::<Supplier>();
    refused(
        blocking
            .delete(&modules, &[Product::id("prod_1")])
            .unwrap_err(),
    );
    assert_eq!(prod_1(&server), linked(), "nothing deleted");
    // A delete that writes one database commits as ever.
    let one = blocking.delete(&modules, &[Product::id("prod_3")]).unwrap();
    assert_eq!(one.link_count(), 1);

    runtime().block_on(async {
        let databases = place(|name| {
            aio::Database::<AsyncPgConnection>::connect(name, server.database_url(name))
        });
        let modules = aio::Modules::new().with::<Supplier>();
        refused(
            databases
                .delete(&modules, &[Product::id("prod_1")])
                .await
                .unwrap_err(),
        );
        assert!(databases.recover().await.unwrap().is_empty());
    });
    assert_eq!(prod_1(&server), linked(), "nothing deleted");
    assert_eq!(leftovers(&server), (vec![], vec![]));
}

/// A `PgConnection` that kills its server when it is about to send a given statement.
mod tripwire {
    use std::sync::{Arc, Mutex};

    use diesel::connection::{
        AnsiTransactionManager, CacheSize, Connection, ConnectionSealed, Instrumentation,
        LoadConnection, SimpleConnection, TransactionManager,
    };
    use diesel::expression::QueryMetadata;
    use diesel::pg::Pg;
    use diesel::query_builder::{Query, QueryFragment, QueryId};
    use diesel::{ConnectionResult, PgConnection, QueryResult};
    use link_test_support::PgServer;

    /// What to do before a given statement, shared by every connection of a test: armed
    /// once, it goes off once.
    #[derive(Default)]
    pub struct Trap(Mutex<Option<Armed>>);

    /// An armed [`Trap`]: which statement, and what to do before it is sent.
    struct Armed {
        matches: fn(&str) -> bool,
        action: Box<dyn FnOnce() + Send>,
    }

    impl Trap {
        /// Before the next statement sent as a batch (transaction statements,
        /// `PREPARE TRANSACTION`, `COMMIT PREPARED`) for which `matches` holds, `action`
        /// runs, on the thread that sends it.
        pub fn arm(&self, matches: fn(&str) -> bool, action: impl FnOnce() + Send + 'static) {
            *self.0.lock().unwrap() = Some(Armed {
                matches,
                action: Box::new(action),
            });
        }

        /// Kills `server` before the next statement `matches` holds for.
        pub fn kill_at(&self, matches: fn(&str) -> bool, server: &Arc<PgServer>) {
            let server = Arc::clone(server);
            self.arm(matches, move || server.kill());
        }

        /// Whether it went off.
        pub fn sprung(&self) -> bool {
            self.0.lock().unwrap().is_none()
        }

        fn check(&self, sql: &str) {
            let mut armed = self.0.lock().unwrap();
            if armed.as_ref().is_some_and(|armed| (armed.matches)(sql)) {
                let Armed { action, .. } = armed.take().expect("armed");
                drop(armed);
                action();
            }
        }
    }

    /// A `PgConnection` under a [`Trap`].
    pub struct Tripwire {
        inner: PgConnection,
        trap: Arc<Trap>,
    }

    impl Tripwire {
        /// A connection to `url` under `trap`.
        pub fn connect(url: &str, trap: &Arc<Trap>) -> ConnectionResult<Self> {
            Ok(Tripwire {
                inner: PgConnection::establish(url)?,
                trap: Arc::clone(trap),
            })
        }
    }

    impl SimpleConnection for Tripwire {
        fn batch_execute(&mut self, query: &str) -> QueryResult<()> {
            self.trap.check(query);
            self.inner.batch_execute(query)
        }
    }

    impl ConnectionSealed for Tripwire {}

    impl Connection for Tripwire {
        type Backend = Pg;
        type TransactionManager = AnsiTransactionManager;

        fn establish(url: &str) -> ConnectionResult<Self> {
            Tripwire::connect(url, &Arc::default())
        }

        fn execute_returning_count<T>(&mut self, source: &T) -> QueryResult<usize>
        where
            T: QueryFragment<Pg> + QueryId,
        {
            self.inner.execute_returning_count(source)
        }

        fn transaction_state(
            &mut self,
        ) -> &mut <AnsiTransactionManager as TransactionManager<Self>>::TransactionStateData
        {
            self.inner.transaction_state()
        }

        fn instrumentation(&mut self) -> &mut dyn Instrumentation {
            self.inner.instrumentation()
        }

        fn set_instrumentation(&mut self, instrumentation: impl Instrumentation) {
            self.inner.set_instrumentation(instrumentation);
        }

        fn set_prepared_statement_cache_size(&mut self, size: CacheSize) {
            self.inner.set_prepared_statement_cache_size(size);
        }
    }

    impl LoadConnection for Tripwire {
        type Cursor<'conn, 'query> = <PgConnection as LoadConnection>::Cursor<'conn, 'query>;
        type Row<'conn, 'query> = <PgConnection as LoadConnection>::Row<'conn, 'query>;

        fn load<'conn, 'query, T>(
            &'conn mut self,
            source: T,
        ) -> QueryResult<Self::Cursor<'conn, 'query>>
        where
            T: Query + QueryFragment<Pg> + QueryId + 'query,
            Pg: QueryMetadata<T::SqlType>,
        {
            <PgConnection as LoadConnection>::load(&mut self.inner, source)
        }
    }
}
