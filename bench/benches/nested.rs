//! A page inside each record against the hand-written `ROW_NUMBER()` query that returns
//! the same data: a page of 20 brands by id, each with its 3 newest products and its count
//! of products, 1,000 brands × 100 products, both answered as JSON documents. On SQLite
//! and, when `LINK_TEST_POSTGRES_URL` is set, on PostgreSQL.
//!
//! `cargo bench -p link-bench --bench nested`; the ratios print at the end.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use diesel::{Connection, SqliteConnection};
use link_bench::baseline::newest_as_json;
use link_bench::catalog::{self, Backend, Size};
use link_bench::queries;
use link_bench::report::{count_statements, criterion_home, Report};
use link_runtime::graph::Query;
use serde_json::Value;

const ROW_NUMBER: &str = "diesel ROW_NUMBER() → JSON bytes";
const NESTED: &str = "graph nested page (JSON written)";
const BRANDS: u64 = 20;
const PER_BRAND: u64 = 3;

fn main() {
    criterion_home();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .sample_size(30)
        .configure_from_args();
    let mut report = Report::new("A page inside each record");

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

/// The page on one backend; `connect(name)` gives an empty database, or `None` when the
/// backend is not available.
fn run<D, C>(
    c: &mut Criterion,
    report: &mut Report,
    backend: &str,
    connect: impl Fn(&str) -> Option<D>,
) where
    D: std::ops::DerefMut<Target = C>,
    C: Backend,
{
    let Some(mut db) = connect("nested") else {
        return;
    };
    let conn = &mut *db;
    let size = Size {
        products: 100_000,
        brands: 1_000,
    };
    catalog::seed(conn, size).expect("the catalog seeds");
    conn.batch_execute("ANALYZE")
        .expect("the tables are analyzed");
    let graph = |conn: &mut C| {
        Query::new(conn)
            .graph(queries::brands_with_newest_products(BRANDS, PER_BRAND).to_json())
            .unwrap()
            .into_body()
    };
    let row_number = |conn: &mut C| {
        let (rows, count) = conn
            .brands_with_newest_products(BRANDS as i64, PER_BRAND as i64)
            .unwrap();
        newest_as_json(rows, count, BRANDS)
    };
    // The same data (the library's page also signs a cursor for the next one).
    let data = |bytes: Vec<u8>| serde_json::from_slice::<Value>(&bytes).unwrap()["data"].take();
    assert_eq!(
        data(graph(conn)),
        data(row_number(conn)),
        "both answer the same data"
    );
    let (_, statements) = count_statements(conn, |conn| graph(conn));

    let group = format!("brands with their newest products/{backend}");
    let value = "20 of 1,000 × 3 of 100";
    let mut g = c.benchmark_group(&group);
    g.bench_function(BenchmarkId::new(ROW_NUMBER, value), |b| {
        b.iter(|| row_number(conn))
    });
    g.bench_function(BenchmarkId::new(NESTED, value), |b| b.iter(|| graph(conn)));
    g.finish();
    report.compare(
        &group,
        value,
        ROW_NUMBER,
        &[NESTED],
        format!("{statements} statements; baseline 2; target ≤ 1.3×"),
    );
}
