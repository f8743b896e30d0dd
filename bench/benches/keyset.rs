//! Keyset pages against offset pages and against the hand-written keyset SQL that returns
//! the same data (`Backend::keyset_page`: a row-value comparison, `LIMIT take + 1` and the
//! count), on SQLite and, when `LINK_TEST_POSTGRES_URL` is set, on PostgreSQL: pages of 20
//! products by title, the title indexed (as a table paged by it would be), at pages 1, 50
//! and 500, over 10,000 and 100,000 products. Every page, the library's and the
//! baselines', also counts every product.
//!
//! `cargo bench -p link-bench --bench keyset`; the ratios print at the end.

use std::time::Duration;

mod common;

use criterion::{BenchmarkId, Criterion};
use link_bench::catalog::{self, Backend, Product, Size};
use link_bench::queries;
use link_bench::report::{count_statements, Report};
use link_runtime::graph::Query;

const KEYSET: &str = "graph keyset (after)";
const OFFSET: &str = "graph offset (skip)";
const BASE_KEYSET: &str = "diesel keyset";
const BASE_OFFSET: &str = "diesel offset";

/// Products a page.
const TAKE: u64 = 20;

/// The pages measured: the first, the one the target is about, and a deeper one.
const PAGES: [u64; 3] = [1, 50, 500];

fn main() {
    common::main(
        "Keyset pages",
        Criterion::default()
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3)),
        Keyset,
    );
}

/// Keyset and offset pages and their baselines, at each size, on one backend.
struct Keyset;

/// Where page `page` starts: the cursor the page before it gave, and that page's last
/// product, for the baseline; found by walking there once.
fn start_of<C: Backend>(conn: &mut C, page: u64) -> (Option<String>, Option<Product>) {
    let mut cursor = None;
    let mut last = None;
    for _ in 1..page {
        let result = Query::new(conn)
            .graph(queries::products_by_title(TAKE, cursor.take()))
            .expect("the page reads");
        last = result.data.last().cloned();
        cursor = Some(
            result
                .metadata
                .next_cursor
                .expect("the walk has further pages"),
        );
    }
    (cursor, last)
}

impl common::OnEachBackend for Keyset {
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
        for products in [10_000, 100_000] {
            let Some(mut db) = connect(&format!("keyset_{products}")) else {
                return;
            };
            let conn = &mut *db;
            catalog::seed(conn, Size::tenth(products)).expect("the catalog seeds");
            conn.batch_execute("CREATE INDEX product_title ON product (title)")
                .expect("the title is indexed");
            let group = format!("page of 20 by title, {products} products/{backend}");
            let mut g = c.benchmark_group(&group);
            let mut statements = 0;
            for page in PAGES {
                let (cursor, last) = start_of(conn, page);
                let key = last.as_ref().map(|p| (p.title.as_str(), p.id.as_str()));
                let skip = (page - 1) * TAKE;
                // The four read the same products.
                let keyset = Query::new(conn)
                    .graph(queries::products_by_title(TAKE, cursor.clone()))
                    .unwrap();
                assert_eq!(keyset.data, conn.keyset_page(key, TAKE as i64).unwrap().0);
                assert_eq!(
                    keyset.data,
                    conn.offset_page(skip as i64, TAKE as i64).unwrap().0
                );
                statements = count_statements(conn, |conn| {
                    Query::new(conn)
                        .graph(queries::products_by_title(TAKE, cursor.clone()))
                        .unwrap()
                })
                .1;
                g.bench_function(BenchmarkId::new(KEYSET, page), |b| {
                    b.iter(|| {
                        Query::new(conn)
                            .graph(queries::products_by_title(TAKE, cursor.clone()))
                            .unwrap()
                    })
                });
                g.bench_function(BenchmarkId::new(BASE_KEYSET, page), |b| {
                    b.iter(|| conn.keyset_page(key, TAKE as i64).unwrap())
                });
                g.bench_function(BenchmarkId::new(OFFSET, page), |b| {
                    b.iter(|| {
                        Query::new(conn)
                            .graph(queries::products_by_title_from(skip, TAKE))
                            .unwrap()
                    })
                });
                g.bench_function(BenchmarkId::new(BASE_OFFSET, page), |b| {
                    b.iter(|| conn.offset_page(skip as i64, TAKE as i64).unwrap())
                });
            }
            g.finish();
            for page in PAGES {
                report.compare(
                    &group,
                    page,
                    BASE_KEYSET,
                    &[KEYSET],
                    format!("{statements} statements (the page and its count, in the query's transaction); baseline 2"),
                );
            }
            report.scaling(&group, KEYSET, 1, 50, "target ≤ 1.5×");
            report.scaling(&group, BASE_KEYSET, 1, 50, "");
            report.scaling(&group, KEYSET, 1, 500, "");
            report.scaling(&group, OFFSET, 1, 50, "for contrast");
            report.scaling(&group, OFFSET, 1, 500, "for contrast");
            report.scaling(&group, BASE_OFFSET, 1, 500, "");
        }
    }
}
