//! Faults in the middle of a batch: a row the database refuses, or a server killed while
//! the batch waits, leaves no partial links and returns a typed error. Through both
//! drivers.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::result::Error as DieselError;
use diesel::{Connection, SqliteConnection};
use link_runtime::{Created, Error};
use link_test_support::via::{self, Via};
use link_test_support::{pg_server, TestSql};
use link_tests::links::product_brand;
use link_tests::modules::{brand::Brand, product::Product};

/// Three statements' worth of pairs: the batch writes 10,000 rows per statement.
const PAIRS: usize = 25_000;
/// The pair the fault hits: in the second statement.
const HIT: &str = "prod_15000";

fn pairs() -> Vec<(link_runtime::Id<Product>, link_runtime::Id<Brand>)> {
    (0..PAIRS)
        .map(|i| (Product::id(format!("prod_{i:05}")), Brand::id("brand_1")))
        .collect()
}

fn rows(conn: &mut impl TestSql) -> Vec<String> {
    conn.texts(
        "SELECT CAST(COUNT(*) AS TEXT) FROM product_product_brand_brand",
        &[],
    )
}

link_test_support::driver_tests! {
    fn sqlite_a_batch_refused_midway_leaves_no_partial_links(driver) {
        // Shared between the test's connection and the async driver's.
        let url = format!("file:faults_{driver:?}?mode=memory&cache=shared");
        let mut conn = SqliteConnection::establish(&url).unwrap();
        let _mirror = driver.mirror_sqlite(&url);
        via::migrate(&mut conn).unwrap();
        conn.batch_execute(&format!(
            "CREATE TRIGGER refuse BEFORE INSERT ON product_product_brand_brand
             WHEN NEW.product_id = '{HIT}' BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END;"
        ))
        .unwrap();

        let error = Via::<product_brand::Link>::create_many(&mut conn, &pairs()).unwrap_err();
        match &error {
            Error::Database(DieselError::DatabaseError(_, info)) => {
                assert_eq!(info.message(), "disk quota exceeded");
            }
            other => panic!("expected the database's refusal, got {other:?}"),
        }
        assert_eq!(
            rows(&mut conn),
            ["0"],
            "the first 10,000 rows went back too"
        );

        conn.batch_execute("DROP TRIGGER refuse").unwrap();
        let created = Via::<product_brand::Link>::create_many(&mut conn, &pairs()).unwrap();
        assert!(created.iter().all(|c| *c == Created::Inserted));
        assert_eq!(rows(&mut conn), [PAIRS.to_string()]);
    }

    /// The batch's second statement waits for a row another client holds; the server is
    /// killed then, with the first statement's rows written and not committed. The batch
    /// returns a typed error, and after recovery the table holds no row of it.
    fn postgres_a_batch_cut_by_a_killed_server_leaves_no_partial_links(driver) {
        let Some(server) = pg_server("killed_server") else {
            return;
        };
        let mut conn = server.connect();
        let url = server.url();
        via::migrate(&mut conn).unwrap();

        let mut holder = server.connect();
        holder
            .batch_execute(&format!(
                "BEGIN; INSERT INTO product_product_brand_brand (id, product_id, brand_id)
                 VALUES ('link_held', '{HIT}', 'brand_1');"
            ))
            .unwrap();
        let batch = std::thread::spawn(move || {
            let _mirror = driver.mirror_postgres(&url, None);
            Via::<product_brand::Link>::create_many(&mut conn, &pairs())
        });

        let mut watcher = server.connect();
        let started = Instant::now();
        while watcher.texts(
            "SELECT CAST(COUNT(*) AS TEXT) FROM pg_stat_activity
             WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO \"product_product_brand_brand\"%'",
            &[],
        ) != ["1"]
        {
            assert!(
                !batch.is_finished(),
                "the batch ended before it reached the held row"
            );
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the batch never waited"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server.kill();

        let error = batch.join().unwrap().unwrap_err();
        assert!(
            matches!(error, Error::Database(DieselError::DatabaseError(..))),
            "{error:?}"
        );
        drop((holder, watcher));

        server.start();
        let mut conn = server.connect();
        let _mirror = driver.mirror_postgres(&server.url(), None);
        assert_eq!(
            rows(&mut conn),
            ["0"],
            "no row of the batch survived recovery"
        );
        let created = Via::<product_brand::Link>::create_many(&mut conn, &pairs()).unwrap();
        assert!(created.iter().all(|c| *c == Created::Inserted));
        assert_eq!(rows(&mut conn), [PAIRS.to_string()]);
    }
}
