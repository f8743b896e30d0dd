//! Graph queries against hand-written diesel joins that return the same data
//! (`link_bench::baseline`), on SQLite and, when `LINK_TEST_POSTGRES_URL` is set, on
//! PostgreSQL. The typed form is measured against the join loaded into structs; the JSON
//! form against the same join with its rows turned into the same JSON objects by hand.
//!
//! `cargo bench -p link-bench --bench graph`; the ratios print at the end.

use std::time::Duration;

mod common;

use criterion::{BenchmarkId, Criterion};
use link_bench::baseline::{brands_as_json, group_by_brand, products_as_json};
use link_bench::catalog::{self, Backend, Size};
use link_bench::queries::{self, BrandWithProducts, ProductCard};
use link_bench::report::{count_statements, Report};
use link_runtime::graph::{Graph, GraphSelect, Query};
use serde_json::Value;

const JOIN: &str = "diesel join";
const JOIN_JSON: &str = "diesel join → JSON";
const TYPED: &str = "graph (typed)";
const DYNAMIC: &str = "graph (JSON)";

fn main() {
    common::main(
        "Graph queries",
        Criterion::default().warm_up_time(Duration::from_secs(1)),
        GraphQueries,
    );
}

/// Every graph benchmark, on one backend.
struct GraphQueries;

impl common::OnEachBackend for GraphQueries {
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
        // 1. `product { id, title, brand.* }` at three sizes, and 6. a page filtered by brand
        // name at the smallest and the largest.
        let page_group = format!("page of 12 by brand.name/{backend}");
        for products in [1_000, 10_000, 100_000] {
            let Some(mut db) = connect(&format!("graph_{products}")) else {
                return;
            };
            let conn = &mut *db;
            catalog::seed(conn, Size::tenth(products)).expect("the catalog seeds");
            let many = products >= 100_000;
            forms(
                c,
                report,
                Forms {
                    group: &format!("product.brand/{backend}"),
                    value: &products.to_string(),
                    few_samples: many,
                },
                conn,
                |conn| conn.products_with_brand().unwrap(),
                products_as_json,
                queries::products_with_brand,
                |conn| Query::new(conn).graph(ProductCard::graph()).unwrap().data,
            );

            if products == 10_000 {
                continue;
            }
            let names = [Size::brand_name(1), Size::brand_name(2)];
            let request = || queries::page_by_brand_name(&names, 12);
            let (_, statements) =
                count_statements(conn, |conn| Query::new(conn).graph(request()).unwrap());
            let mut g = c.benchmark_group(&page_group);
            g.bench_function(BenchmarkId::new(JOIN, products), |b| {
                b.iter(|| conn.page_by_brand_name(&names, 12).unwrap())
            });
            g.bench_function(BenchmarkId::new(DYNAMIC, products), |b| {
                b.iter(|| Query::new(conn).graph(request()).unwrap())
            });
            g.finish();
            report.compare(
                &page_group,
                products,
                JOIN,
                &[DYNAMIC],
                format!("{statements} statements (page and count); baseline 2"),
            );
        }
        report.scaling(&page_group, DYNAMIC, 1_000, 100_000, "target ≤ 2×");
        report.scaling(&page_group, JOIN, 1_000, 100_000, "");

        // 2. Both ways over a list link: 100 brands × 100 products.
        let Some(mut db) = connect("graph_list") else {
            return;
        };
        let conn = &mut *db;
        let size = Size {
            products: 10_000,
            brands: 100,
        };
        catalog::seed(conn, size).expect("the catalog seeds");
        let value = "100 × 100";
        forms(
            c,
            report,
            Forms {
                group: &format!("brand.products/{backend}"),
                value,
                few_samples: false,
            },
            conn,
            |conn| group_by_brand(conn.brand_product_rows().unwrap()),
            brands_as_json,
            queries::brands_with_products,
            |conn| {
                Query::new(conn)
                    .graph(BrandWithProducts::graph())
                    .unwrap()
                    .data
            },
        );
        forms(
            c,
            report,
            Forms {
                group: &format!("product.brand (list side)/{backend}"),
                value,
                few_samples: false,
            },
            conn,
            |conn| conn.products_with_brand().unwrap(),
            products_as_json,
            queries::products_with_brand,
            |conn| Query::new(conn).graph(ProductCard::graph()).unwrap().data,
        );
    }
}

/// Where a comparison of forms is reported.
struct Forms<'a> {
    group: &'a str,
    value: &'a str,
    /// Ten samples rather than a hundred, for the slowest cases.
    few_samples: bool,
}

/// The four ways to read the same data: the hand-written `join` (structs), the same turned
/// into JSON by `to_json`, the `graph` query, and the `typed` query; reports the typed
/// query against the join, and the JSON query against the join's JSON.
#[allow(clippy::too_many_arguments)]
fn forms<C: Backend, T, S>(
    c: &mut Criterion,
    report: &mut Report,
    at: Forms<'_>,
    conn: &mut C,
    join: impl Fn(&mut C) -> T,
    to_json: impl Fn(T) -> Vec<Value>,
    graph: impl Fn() -> Graph,
    typed: impl Fn(&mut C) -> Vec<S>,
) {
    let (_, statements) = count_statements(conn, |conn| Query::new(conn).graph(graph()).unwrap());
    let mut g = c.benchmark_group(at.group);
    if at.few_samples {
        g.sample_size(10);
    }
    g.bench_function(BenchmarkId::new(JOIN, at.value), |b| b.iter(|| join(conn)));
    g.bench_function(BenchmarkId::new(TYPED, at.value), |b| {
        b.iter(|| typed(conn))
    });
    g.bench_function(BenchmarkId::new(JOIN_JSON, at.value), |b| {
        b.iter(|| to_json(join(conn)))
    });
    g.bench_function(BenchmarkId::new(DYNAMIC, at.value), |b| {
        b.iter(|| Query::new(conn).graph(graph()).unwrap())
    });
    g.finish();
    let note = format!("{statements} statements; baseline 1");
    report.compare(at.group, at.value, JOIN, &[TYPED], note.clone());
    report.compare(at.group, at.value, JOIN_JSON, &[DYNAMIC], note);
}
