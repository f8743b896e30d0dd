//! The async driver against the blocking one: the same graph queries on the same
//! PostgreSQL database, through `link_runtime::aio` on an `AsyncPgConnection` (awaited on a
//! current-thread tokio runtime) and through the blocking API on a `PgConnection`. Both run
//! the same core and the same statements; what differs is how the connection waits.
//!
//! Needs `LINK_TEST_POSTGRES_URL`; without it, nothing is measured.
//! `cargo bench -p link-bench --bench drivers`; the ratios print at the end.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use link_bench::catalog::{self, Size};
use link_bench::queries::{self, ProductCard};
use link_bench::report::{criterion_home, Report};
use link_runtime::aio;
use link_runtime::graph::{GraphSelect, Query};

const BLOCKING: &str = "blocking (PgConnection)";
const ASYNC: &str = "async (AsyncPgConnection)";

fn main() {
    criterion_home();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    let mut report = Report::new("Async driver against the blocking one");

    let Some(mut schema) = link_test_support::postgres("bench_drivers") else {
        return;
    };
    let url = link_test_support::postgres_url("bench_drivers").expect("checked above");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut conn = runtime.block_on(async {
        let mut conn = AsyncPgConnection::establish(&url)
            .await
            .expect("PostgreSQL is reachable");
        conn.batch_execute(&format!("SET search_path TO {}", schema.name()))
            .await
            .expect("the search path is set");
        conn
    });

    let size = Size::tenth(10_000);
    catalog::seed(&mut *schema, size).expect("the catalog seeds");
    let value = format!("{} products", size.products);
    let blocking = &mut *schema;

    let group = "graph product.brand, typed/postgres";
    let mut g = c.benchmark_group(group);
    g.bench_function(BenchmarkId::new(BLOCKING, &value), |b| {
        b.iter(|| {
            Query::new(&mut *blocking)
                .graph(ProductCard::graph())
                .unwrap()
        })
    });
    g.bench_function(BenchmarkId::new(ASYNC, &value), |b| {
        b.iter(|| {
            runtime
                .block_on(aio::Query::new(&mut conn).graph(ProductCard::graph()))
                .unwrap()
        })
    });
    g.finish();
    report.compare(group, &value, BLOCKING, &[ASYNC], "target ≤ 1.1×");

    let group = "graph brand.products, JSON/postgres";
    let mut g = c.benchmark_group(group);
    g.bench_function(BenchmarkId::new(BLOCKING, &value), |b| {
        b.iter(|| {
            Query::new(&mut *blocking)
                .graph(queries::brands_with_products())
                .unwrap()
        })
    });
    g.bench_function(BenchmarkId::new(ASYNC, &value), |b| {
        b.iter(|| {
            runtime
                .block_on(aio::Query::new(&mut conn).graph(queries::brands_with_products()))
                .unwrap()
        })
    });
    g.finish();
    report.compare(group, &value, BLOCKING, &[ASYNC], "target ≤ 1.1×");

    let group = "graph page of 12 by brand.name/postgres";
    let names = [Size::brand_name(1), Size::brand_name(2)];
    let mut g = c.benchmark_group(group);
    g.bench_function(BenchmarkId::new(BLOCKING, &value), |b| {
        b.iter(|| {
            Query::new(&mut *blocking)
                .graph(queries::page_by_brand_name(&names, 12))
                .unwrap()
        })
    });
    g.bench_function(BenchmarkId::new(ASYNC, &value), |b| {
        b.iter(|| {
            runtime
                .block_on(aio::Query::new(&mut conn).graph(queries::page_by_brand_name(&names, 12)))
                .unwrap()
        })
    });
    g.finish();
    report.compare(group, &value, BLOCKING, &[ASYNC], "target ≤ 1.1×");

    c.final_summary();
    report.print();
}
