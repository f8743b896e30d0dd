//! A page inside each record against the hand-written `ROW_NUMBER()` query that returns
//! the same data: a page of 20 brands by id, each with its 3 newest products and its count
//! of products, 1,000 brands × 100 products, both answered as JSON documents. On SQLite
//! and, when `LINK_TEST_POSTGRES_URL` is set, on PostgreSQL.
//!
//! `cargo bench -p link-bench --bench nested`; the ratios print at the end.

use std::time::Duration;

mod common;

use criterion::Criterion;
use link_bench::baseline::newest_as_json;
use link_bench::catalog::Backend;
use link_bench::queries;
use link_bench::report::Report;
use link_runtime::graph::Query;
use serde_json::Value;

const ROW_NUMBER: &str = "diesel ROW_NUMBER() → JSON bytes";
const NESTED: &str = "graph nested page (JSON written)";
const BRANDS: u64 = 20;
const PER_BRAND: u64 = 3;

fn main() {
    common::main(
        "A page inside each record",
        Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .sample_size(30),
        NestedPages,
    );
}

/// The page and its baseline, on one backend.
struct NestedPages;

impl common::OnEachBackend for NestedPages {
    fn run<D, C>(
        &self,
        c: &mut Criterion,
        report: &mut Report,
        backend: &str,
        connect: &dyn Fn(&str) -> Option<D>,
    ) where
        D: std::ops::DerefMut<Target = C>,
        C: Backend,
    {
        let Some(mut db) = connect("nested") else {
            return;
        };
        let conn = &mut *db;
        common::seed_analyzed(conn);
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
        let pair = common::Pair {
            group: format!("brands with their newest products/{backend}"),
            value: "20 of 1,000 × 3 of 100",
            baseline: ROW_NUMBER,
            library: NESTED,
            notes: "baseline 2; target ≤ 1.3×",
        };
        common::measure_pair(c, report, conn, pair, row_number, graph);
    }
}
