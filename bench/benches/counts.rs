//! Counts of linked records against the hand-written `GROUP BY` that returns the same data:
//! `brand { id, name, _count.products }` ordered by the count, 1,000 brands × 100 products,
//! both answered as the same JSON bytes. On SQLite and, when `LINK_TEST_POSTGRES_URL` is
//! set, on PostgreSQL.
//!
//! `cargo bench -p link-bench --bench counts`; the ratios print at the end.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use diesel::{Connection, SqliteConnection};
use link_bench::baseline::brand_counts_as_json;
use link_bench::catalog::{self, Backend, Size};
use link_bench::queries;
use link_bench::report::{count_statements, criterion_home, Report};
use link_runtime::graph::Query;

const GROUP_BY: &str = "diesel GROUP BY → JSON bytes";
const COUNTS: &str = "graph _count (JSON written)";

fn main() {
    criterion_home();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .sample_size(20)
        .configure_from_args();
    let mut report = Report::new("Counts of linked records");

    run(&mut c, &mut report, "sqlite", |_| {
        let conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite opens");
        Some(Box::new(conn))
    });
    run(&mut c, &mut report, "postgres", |name| {
        link_test_support::postgres(&format!("bench_{name}"))
    });

    c.final_summary();
    report.print();
}

/// The ordering by count on one backend; `connect(name)` gives an empty database, or
/// `None` when the backend is not available.
fn run<D, C>(
    c: &mut Criterion,
    report: &mut Report,
    backend: &str,
    connect: impl Fn(&str) -> Option<D>,
) where
    D: std::ops::DerefMut<Target = C>,
    C: Backend,
{
    let Some(mut db) = connect("counts") else {
        return;
    };
    let conn = &mut *db;
    let size = Size {
        products: 100_000,
        brands: 1_000,
    };
    catalog::seed(conn, size).expect("the catalog seeds");
    // Statistics, as a database that has run a while has them: both plans depend on them.
    conn.batch_execute("ANALYZE")
        .expect("the tables are analyzed");
    let graph = |conn: &mut C| {
        Query::new(conn)
            .graph(queries::brands_by_product_count().to_json())
            .unwrap()
            .into_body()
    };
    let group_by = |conn: &mut C| brand_counts_as_json(conn.brands_by_product_count().unwrap());
    // The same document, byte for byte.
    assert_eq!(graph(conn), group_by(conn), "both answer the same JSON");
    let (_, statements) = count_statements(conn, |conn| graph(conn));

    let group = format!("brands by product count/{backend}");
    let value = "1,000 × 100";
    let mut g = c.benchmark_group(&group);
    g.bench_function(BenchmarkId::new(GROUP_BY, value), |b| {
        b.iter(|| group_by(conn))
    });
    g.bench_function(BenchmarkId::new(COUNTS, value), |b| b.iter(|| graph(conn)));
    g.finish();
    report.compare(
        &group,
        value,
        GROUP_BY,
        &[COUNTS],
        format!("{statements} statements; baseline 1; target ≤ 1.3×"),
    );
}
