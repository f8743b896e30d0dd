//! Counts of linked records against the hand-written `GROUP BY` that returns the same data:
//! `brand { id, name, _count.products }` ordered by the count, 1,000 brands × 100 products,
//! both answered as the same JSON bytes. On SQLite and, when `LINK_TEST_POSTGRES_URL` is
//! set, on PostgreSQL.
//!
//! `cargo bench -p link-bench --bench counts`; the ratios print at the end.

use std::time::Duration;

mod common;

use criterion::Criterion;
use link_bench::baseline::brand_counts_as_json;
use link_bench::catalog::Backend;
use link_bench::queries;
use link_bench::report::Report;
use link_runtime::graph::Query;

const GROUP_BY: &str = "diesel GROUP BY → JSON bytes";
const COUNTS: &str = "graph _count (JSON written)";

fn main() {
    common::main(
        "Counts of linked records",
        Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .sample_size(20),
        Counts,
    );
}

/// The ordering by count on one backend.
struct Counts;

impl common::OnEachBackend for Counts {
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
        let Some(mut db) = connect("counts") else {
            return;
        };
        let conn = &mut *db;
        common::seed_analyzed(conn);
        let graph = |conn: &mut C| {
            Query::new(conn)
                .graph(queries::brands_by_product_count().to_json())
                .unwrap()
                .into_body()
        };
        let group_by = |conn: &mut C| brand_counts_as_json(conn.brands_by_product_count().unwrap());
        // The same document, byte for byte.
        assert_eq!(graph(conn), group_by(conn), "both answer the same JSON");
        let pair = common::Pair {
            group: format!("brands by product count/{backend}"),
            value: "1,000 × 100",
            baseline: GROUP_BY,
            library: COUNTS,
            notes: "baseline 1; target ≤ 1.3×",
        };
        common::measure_pair(c, report, conn, pair, group_by, graph);
    }
}
