//! What the benchmarks that run on each backend share: their `main`, the large catalog,
//! and a query measured against its baseline.

#![allow(
    dead_code,
    reason = "each benchmark compiles the whole module and uses a part of it"
)]

use std::ops::DerefMut;

use criterion::{BenchmarkId, Criterion};
use diesel::{Connection, SqliteConnection};
use link_bench::catalog::{self, Backend, Size};
use link_bench::report::{count_statements, criterion_home, Report};

/// A benchmark that runs on SQLite (in memory) and, when `LINK_TEST_POSTGRES_URL` is set,
/// on PostgreSQL, one backend after the other.
pub trait OnEachBackend {
    /// Measures on `backend`, recording its figures in `report`: `connect(name)` gives an
    /// empty database of its own for `name`, or `None` when the backend is not available.
    fn run<D, C>(
        &self,
        c: &mut Criterion,
        report: &mut Report,
        backend: &str,
        connect: &dyn Fn(&str) -> Option<D>,
    ) where
        D: DerefMut<Target = C>,
        C: Backend;
}

/// Runs `bench` on each backend with `criterion` (its settings, then the command line's),
/// and prints its report, titled `title`.
pub fn main(title: &str, criterion: Criterion, bench: impl OnEachBackend) {
    criterion_home();
    let mut c = criterion.configure_from_args();
    let mut report = Report::new(title);
    bench.run(&mut c, &mut report, "sqlite", &|_| {
        let conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite opens");
        Some(Box::new(conn))
    });
    bench.run(&mut c, &mut report, "postgres", &|name| {
        link_test_support::postgres(&format!("bench_{name}"))
    });
    c.final_summary();
    report.print();
}

/// The catalog of 1,000 brands × 100 products, its tables analyzed, as a database that has
/// run a while has statistics (the plans of both sides depend on them).
pub fn seed_analyzed<C: Backend>(conn: &mut C) {
    let size = Size {
        products: 100_000,
        brands: 1_000,
    };
    catalog::seed(conn, size).expect("the catalog seeds");
    conn.batch_execute("ANALYZE")
        .expect("the tables are analyzed");
}

/// A graph query and its baseline, measured side by side.
pub struct Pair<'a> {
    /// The criterion group, and the input measured.
    pub group: String,
    pub value: &'a str,
    /// The names of the baseline and of the library's query.
    pub baseline: &'a str,
    pub library: &'a str,
    /// What the report says after the library's statement count.
    pub notes: &'a str,
}

/// Measures `baseline` and `library` on `conn` as `pair` names them, and reports the
/// library's time as a ratio of the baseline's, with its statement count.
pub fn measure_pair<C: Backend, T>(
    c: &mut Criterion,
    report: &mut Report,
    conn: &mut C,
    pair: Pair<'_>,
    mut baseline: impl FnMut(&mut C) -> T,
    mut library: impl FnMut(&mut C) -> T,
) {
    let (_, statements) = count_statements(conn, |conn| library(conn));
    let mut g = c.benchmark_group(&pair.group);
    g.bench_function(BenchmarkId::new(pair.baseline, pair.value), |b| {
        b.iter(|| baseline(conn))
    });
    g.bench_function(BenchmarkId::new(pair.library, pair.value), |b| {
        b.iter(|| library(conn))
    });
    g.finish();
    report.compare(
        &pair.group,
        pair.value,
        pair.baseline,
        &[pair.library],
        format!("{statements} statements; {}", pair.notes),
    );
}
