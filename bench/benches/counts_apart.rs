//! An order by a count of linked records whose links are in another database than the
//! records, against the hand-written code that returns the same data: `brand { id, name,
//! _count.products }` ordered by the count, 1,000 brands × 100 products, the links and
//! products in one database and the brands in another, both answered as the same JSON
//! bytes. The baseline groups the links where they are, reads the brands where they are,
//! and sorts in the application; the library counts the same way and binds every brand's
//! count into the brands' statement, which orders them. On SQLite (two databases in
//! memory) and, when `LINK_TEST_POSTGRES_URL` is set, on PostgreSQL (two schemas).
//!
//! `cargo bench -p link-bench --bench counts_apart`; the ratios print at the end.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use diesel::connection::{Connection, Instrumentation};
use diesel::SqliteConnection;
use link_bench::baseline::{brand_counts_as_json, brands_by_count_apart};
use link_bench::catalog::Backend;
use link_bench::queries;
use link_bench::report::{criterion_home, Report};
use link_runtime::databases::{Database, Databases};
use link_runtime::graph::Query;
use link_test_support::Statements;

mod common;

const BASELINE: &str = "diesel GROUP BY, brands, sort → JSON bytes";
const COUNTS: &str = "graph _count across databases (JSON written)";

fn main() {
    criterion_home();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .sample_size(20)
        .configure_from_args();
    let mut report = Report::new("Counts of linked records in another database");
    let memory = || SqliteConnection::establish(":memory:").expect("in-memory SQLite opens");
    measure(&mut c, &mut report, "sqlite", memory(), memory());
    if let (Some(links), Some(brands)) = (
        link_test_support::postgres("bench_counts_apart_links"),
        link_test_support::postgres("bench_counts_apart_brands"),
    ) {
        measure(
            &mut c,
            &mut report,
            "postgres",
            links.connect_again(),
            brands.connect_again(),
        );
    }
    c.final_summary();
    report.print();
}

/// Seeds the catalog in both databases, places the brands in the second, and measures.
fn measure<C: Backend + 'static>(
    c: &mut Criterion,
    report: &mut Report,
    backend: &str,
    mut links: C,
    mut brands: C,
) {
    common::seed_analyzed(&mut links);
    common::seed_analyzed(&mut brands);
    let statements = [
        Statements::record(&mut links),
        Statements::record(&mut brands),
    ];
    let links = Database::from_connection(links).named("links");
    let brands = Database::from_connection(brands).named("brands");
    let databases = Databases::new(&links).module("brand", &brands);
    let graph = || {
        Query::across(&databases)
            .graph(queries::brands_by_product_count().to_json())
            .unwrap()
            .into_body()
    };
    let baseline = || {
        let counts = databases
            .for_links()
            .unwrap()
            .product_counts_by_brand()
            .unwrap();
        let all = databases.for_module("brand").unwrap().brands().unwrap();
        brand_counts_as_json(brands_by_count_apart(counts, all))
    };
    // The same document, byte for byte; the statements each runs, on both databases.
    assert_eq!(graph(), baseline(), "both answer the same JSON");
    let ran = |run: &dyn Fn() -> Vec<u8>| {
        statements.iter().for_each(|s| {
            s.take();
        });
        run();
        statements.iter().map(|s| s.take().len()).sum::<usize>()
    };
    let (by_library, by_baseline) = (ran(&graph), ran(&baseline));
    for conn in [databases.for_links(), databases.for_module("brand")] {
        conn.unwrap()
            .set_instrumentation(Option::<Box<dyn Instrumentation>>::None);
    }

    let group = format!("brands by product count apart/{backend}");
    let mut g = c.benchmark_group(&group);
    g.bench_function(BenchmarkId::new(BASELINE, "1,000 × 100"), |b| {
        b.iter(baseline)
    });
    g.bench_function(BenchmarkId::new(COUNTS, "1,000 × 100"), |b| b.iter(graph));
    g.finish();
    report.compare(
        &group,
        "1,000 × 100",
        BASELINE,
        &[COUNTS],
        format!("{by_library} statements on two databases (the baseline {by_baseline})"),
    );
}
