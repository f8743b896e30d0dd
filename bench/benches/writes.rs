//! Link writes: 100,000 pairs created through the link service (`Link::create_many`: one
//! transaction, duplicate and cardinality checks, upserts that report what each pair did)
//! against diesel's batch insert of the same rows into the same pivot table, on SQLite
//! and, when `LINK_TEST_POSTGRES_URL` is set, on PostgreSQL. Each iteration starts from an
//! empty pivot table.
//!
//! And single writes: 10,000 pairs created one `Link::create` call at a time, inside one
//! transaction, against diesel's single-row insert of the same rows, one call at a time;
//! with the feature `tracing` (on by default), also with a subscriber that takes every span
//! and statement event the runtime emits (`link_bench::counting`). Run once with
//! `--no-default-features` and once without to see what the feature costs when no
//! subscriber wants its events.
//!
//! `cargo bench -p link-bench --bench writes`; the ratios print at the end.

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use diesel::{Connection, SqliteConnection};
use link_bench::catalog::{self, Backend, Brand, Product, Size};
use link_bench::links::product_brand::Link;
use link_bench::report::{count_statements, criterion_home, Report};
use link_runtime::{Dialect, Id};

const INSERT: &str = "diesel batch insert";
const SERVICE: &str = "Link::create_many";
const INSERT_ONE: &str = "diesel single-row insert";
const SERVICE_ONE: &str = "Link::create";
/// `Link::create` with a `tracing` subscriber that takes every span and statement event.
#[cfg(feature = "tracing")]
const SERVICE_TRACED: &str = "Link::create, traced";

fn main() {
    criterion_home();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .sample_size(10)
        .configure_from_args();
    let mut report = Report::new("Link writes");

    run(&mut c, &mut report, "sqlite", || {
        let conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite opens");
        Some(Box::new(conn))
    });
    run(&mut c, &mut report, "postgres", || {
        link_test_support::postgres("bench_writes")
    });

    c.final_summary();
    report.print();
}

/// One pair written by one call.
type WriteOne<C> = dyn Fn(&mut C, &(Id<Product>, Id<Brand>));

fn run<D, C>(c: &mut Criterion, report: &mut Report, backend: &str, connect: impl Fn() -> Option<D>)
where
    D: std::ops::DerefMut<Target = C>,
    C: Backend,
{
    let Some(mut db) = connect() else {
        return;
    };
    let conn = &mut *db;
    catalog::migrate(conn).expect("the tables are created");
    let pairs = 100_000;
    let pairs = Size::tenth(pairs).pairs();
    // As a new table: PostgreSQL's `TRUNCATE` leaves no dead rows behind in the indexes,
    // and SQLite's `DELETE` without a `WHERE` drops the pages.
    let empty = |conn: &mut C| {
        let verb = match C::DIALECT {
            Dialect::Sqlite => "DELETE FROM",
            _ => "TRUNCATE",
        };
        conn.batch_execute(&format!("{verb} {}", Link::TABLE))
            .expect("the pivot table empties");
    };
    let (_, statements) = count_statements(conn, |conn| Link::create_many(conn, &pairs).unwrap());
    empty(conn);
    let (_, baseline_statements) =
        count_statements(conn, |conn| conn.insert_pivot_rows(&pairs).unwrap());

    let group = format!("create 100k links/{backend}");
    let mut g = c.benchmark_group(&group);
    g.measurement_time(Duration::from_secs(20));
    // Each write into an empty table: the emptying is not timed.
    let mut timed = |g: &mut criterion::BenchmarkGroup<'_, _>, id: &str, write: &dyn Fn(&mut C)| {
        g.bench_function(BenchmarkId::new(id, pairs.len()), |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    empty(conn);
                    let started = Instant::now();
                    write(conn);
                    total += started.elapsed();
                }
                total
            })
        });
    };
    timed(&mut g, INSERT, &|conn| {
        conn.insert_pivot_rows(&pairs).unwrap()
    });
    timed(&mut g, SERVICE, &|conn| {
        Link::create_many(conn, &pairs).unwrap();
    });
    g.finish();
    report.compare(
        &group,
        pairs.len(),
        INSERT,
        &[SERVICE],
        format!("{statements} statements, baseline {baseline_statements}; target ≤ 1.3×"),
    );

    // One call per pair, in one transaction: what each call costs beyond its statement.
    let singles = &pairs[..pairs.len().min(10_000)];
    let one_by_one = |conn: &mut C, write: &WriteOne<C>| {
        conn.transaction(|conn| {
            for pair in singles {
                write(conn, pair);
            }
            diesel::QueryResult::Ok(())
        })
        .unwrap();
    };
    empty(conn);
    let (_, statements) = count_statements(conn, |conn| {
        Link::create(conn, singles[0].0.clone(), singles[0].1.clone()).unwrap()
    });
    let group = format!("create 10k links one at a time/{backend}");
    let mut g = c.benchmark_group(&group);
    g.measurement_time(Duration::from_secs(10));
    // `traced`: with a subscriber that wants everything, set for the timed calls only.
    let mut timed = |id: &str, traced: bool, write: &WriteOne<C>| {
        g.bench_function(BenchmarkId::new(id, singles.len()), |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    empty(conn);
                    #[cfg(feature = "tracing")]
                    let counting = std::sync::Arc::new(link_bench::counting::Counting::default());
                    #[cfg(feature = "tracing")]
                    let subscriber = traced.then(|| {
                        tracing::subscriber::set_default(std::sync::Arc::clone(&counting))
                    });
                    #[cfg(not(feature = "tracing"))]
                    let _ = traced;
                    let started = Instant::now();
                    one_by_one(conn, write);
                    total += started.elapsed();
                    #[cfg(feature = "tracing")]
                    {
                        drop(subscriber);
                        if traced {
                            // A span per create, and an event per statement.
                            assert_eq!(counting.spans(), singles.len() as u64);
                            assert_eq!(counting.events(), singles.len());
                        }
                    }
                }
                total
            })
        });
    };
    timed(INSERT_ONE, false, &|conn, (product, brand)| {
        conn.insert_pivot_row(product, brand).unwrap()
    });
    timed(SERVICE_ONE, false, &|conn, (product, brand)| {
        Link::create(conn, product.clone(), brand.clone()).unwrap();
    });
    #[cfg(feature = "tracing")]
    timed(SERVICE_TRACED, true, &|conn, (product, brand)| {
        Link::create(conn, product.clone(), brand.clone()).unwrap();
    });
    g.finish();
    let subjects: &[&str] = &[
        SERVICE_ONE,
        #[cfg(feature = "tracing")]
        SERVICE_TRACED,
    ];
    report.compare(
        &group,
        singles.len(),
        INSERT_ONE,
        subjects,
        format!("{statements} statements per create, outside a transaction; target ≤ 1.3×"),
    );
}
