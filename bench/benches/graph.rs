//! Graph queries against the hand-written diesel joins that return the same data
//! (`link_bench::baseline`), on SQLite and, when `LINK_TEST_POSTGRES_URL` is set, PostgreSQL.
//!
//! `cargo bench -p link-bench --bench graph`; the ratios print at the end.

use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use diesel::{Connection, SqliteConnection};
use link_bench::baseline::group_by_brand;
use link_bench::catalog::{self, Backend, Size};
use link_bench::queries::{self, BrandWithProducts, ProductCard};
use link_bench::report::{count_statements, criterion_home, Report};
use link_runtime::graph::{GraphSelect, Query};

const BASELINE: &str = "diesel join";
const DYNAMIC: &str = "graph (JSON)";
const TYPED: &str = "graph (typed)";

fn main() {
    criterion_home();
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    let mut report = Report::new("Graph queries");

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

/// Every graph benchmark on one backend; `connect(name)` gives an empty database, or
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
    // 1. `product { id, title, brand.* }`, and 6. a page filtered by brand name.
    let group = format!("product.brand/{backend}");
    let page_group = format!("page of 12 by brand.name/{backend}");
    for products in [1_000, 10_000, 100_000] {
        let size = Size::tenth(products);
        let Some(mut db) = connect(&format!("graph_{products}")) else {
            return;
        };
        let conn = &mut *db;
        catalog::seed(conn, size).expect("the catalog seeds");

        let (_, statements) = count_statements(conn, |conn| {
            Query::new(conn)
                .graph(queries::products_with_brand())
                .unwrap()
        });
        let mut g = c.benchmark_group(&group);
        if products >= 100_000 {
            g.sample_size(10);
        }
        g.bench_with_input(BenchmarkId::new(BASELINE, products), &(), |b, ()| {
            b.iter(|| conn.products_with_brand().unwrap())
        });
        g.bench_with_input(BenchmarkId::new(DYNAMIC, products), &(), |b, ()| {
            b.iter(|| {
                Query::new(conn)
                    .graph(queries::products_with_brand())
                    .unwrap()
            })
        });
        g.bench_with_input(BenchmarkId::new(TYPED, products), &(), |b, ()| {
            b.iter(|| Query::new(conn).graph(ProductCard::graph()).unwrap())
        });
        g.finish();
        report.compare(
            &group,
            products,
            BASELINE,
            &[DYNAMIC, TYPED],
            format!("{statements} statements; baseline 1"),
        );

        if products == 10_000 {
            continue;
        }
        let names = [Size::brand_name(1), Size::brand_name(2)];
        let request = || queries::page_by_brand_name(&names, 12);
        let (_, statements) =
            count_statements(conn, |conn| Query::new(conn).graph(request()).unwrap());
        let mut g = c.benchmark_group(&page_group);
        g.bench_with_input(BenchmarkId::new(BASELINE, products), &(), |b, ()| {
            b.iter(|| conn.page_by_brand_name(&names, 12).unwrap())
        });
        g.bench_with_input(BenchmarkId::new(DYNAMIC, products), &(), |b, ()| {
            b.iter(|| Query::new(conn).graph(request()).unwrap())
        });
        g.finish();
        report.compare(
            &page_group,
            products,
            BASELINE,
            &[DYNAMIC],
            format!("{statements} statements; baseline 2"),
        );
    }

    // 2. Both ways over a list link: 100 brands × 100 products.
    let size = Size {
        products: 10_000,
        brands: 100,
    };
    let value = "100 × 100";
    let Some(mut db) = connect("graph_list") else {
        return;
    };
    let conn = &mut *db;
    catalog::seed(conn, size).expect("the catalog seeds");
    let group = format!("brand.products/{backend}");
    let (_, statements) = count_statements(conn, |conn| {
        Query::new(conn)
            .graph(queries::brands_with_products())
            .unwrap()
    });
    let mut g = c.benchmark_group(&group);
    g.bench_with_input(BenchmarkId::new(BASELINE, value), &(), |b, ()| {
        b.iter(|| group_by_brand(conn.brand_product_rows().unwrap()))
    });
    g.bench_with_input(BenchmarkId::new(DYNAMIC, value), &(), |b, ()| {
        b.iter(|| {
            Query::new(conn)
                .graph(queries::brands_with_products())
                .unwrap()
        })
    });
    g.bench_with_input(BenchmarkId::new(TYPED, value), &(), |b, ()| {
        b.iter(|| Query::new(conn).graph(BrandWithProducts::graph()).unwrap())
    });
    g.finish();
    report.compare(
        &group,
        value,
        BASELINE,
        &[DYNAMIC, TYPED],
        format!("{statements} statements; baseline 1"),
    );

    let group = format!("product.brand (list link)/{backend}");
    let (_, statements) = count_statements(conn, |conn| {
        Query::new(conn)
            .graph(queries::products_with_brand())
            .unwrap()
    });
    let mut g = c.benchmark_group(&group);
    g.bench_with_input(BenchmarkId::new(BASELINE, value), &(), |b, ()| {
        b.iter(|| conn.products_with_brand().unwrap())
    });
    g.bench_with_input(BenchmarkId::new(DYNAMIC, value), &(), |b, ()| {
        b.iter(|| {
            Query::new(conn)
                .graph(queries::products_with_brand())
                .unwrap()
        })
    });
    g.bench_with_input(BenchmarkId::new(TYPED, value), &(), |b, ()| {
        b.iter(|| Query::new(conn).graph(ProductCard::graph()).unwrap())
    });
    g.finish();
    report.compare(
        &group,
        value,
        BASELINE,
        &[DYNAMIC, TYPED],
        format!("{statements} statements; baseline 1"),
    );
}
