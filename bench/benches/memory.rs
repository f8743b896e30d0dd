//! Peak memory of `product { id, title, brand.* }` over 100,000 products, against the size
//! of its JSON output, and the same for the hand-written diesel join.
//!
//! A counting allocator wraps the system's and records the peak of the Rust heap while a
//! query runs, above what was allocated before it started. SQLite's own page cache is not
//! on the Rust heap and is not counted (it is the same for every query here).
//!
//! `cargo bench -p link-bench --bench memory`

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::{Connection, SqliteConnection};
use link_bench::baseline::products_as_json;
use link_bench::catalog::{self, Backend, Size};
use link_bench::queries::{self, ProductCard};
use link_runtime::graph::{GraphSelect, Query};
use serde::Serialize;

/// The system allocator, counting the bytes in use and their peak.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = IN_USE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` with the caller's arguments unchanged; the
// counters only observe the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What one query cost in memory.
struct Measured {
    /// The highest the heap went above where it was before the query.
    peak: usize,
    /// What the result holds once the query returned.
    result: usize,
    /// The result serialized as JSON.
    json: usize,
}

/// Runs `query`, keeping its result until its JSON size is known.
fn measure<T: Serialize>(query: impl FnOnce() -> T) -> Measured {
    let before = IN_USE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let output = query();
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let result = IN_USE.load(Ordering::Relaxed).saturating_sub(before);
    let json = serde_json::to_vec(&output)
        .expect("the output serializes")
        .len();
    Measured { peak, result, json }
}

/// Runs `query`, which answers with the JSON bytes a handler would send: the peak counts
/// the result and its JSON together, as serving it does.
fn measure_bytes(query: impl FnOnce() -> Vec<u8>) -> Measured {
    let before = IN_USE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let bytes = query();
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let result = IN_USE.load(Ordering::Relaxed).saturating_sub(before);
    Measured {
        peak,
        result,
        json: bytes.len(),
    }
}

/// The hand-written baseline of a JSON answer: the diesel join into structs, serialized
/// by serde as `{"data": [...]}`.
fn join_bytes(conn: &mut SqliteConnection) -> Vec<u8> {
    let cards: Vec<ProductCard> = conn
        .products_with_brand()
        .unwrap()
        .into_iter()
        .map(|(product, brand)| ProductCard {
            id: product.id,
            title: product.title,
            brand,
        })
        .collect();
    serde_json::to_vec(&Data { data: &cards }).unwrap()
}

/// `{"data": [...]}`, serialized straight from the structs.
#[derive(Serialize)]
struct Data<'a> {
    data: &'a [ProductCard],
}

/// The graph query's JSON answer, as a handler sends it: [`JsonResult::into_body`].
///
/// [`JsonResult::into_body`]: link_runtime::graph::JsonResult::into_body
fn written_bytes(conn: &mut SqliteConnection) -> Vec<u8> {
    Query::new(conn)
        .graph(queries::products_with_brand().to_json())
        .unwrap()
        .into_body()
}

/// The median times of `runs` runs of `a` and of `b`, run in turn (`a`, `b`, `a`, ..) so
/// that a change in the machine's load weighs on both alike.
fn median_times(
    runs: usize,
    mut a: impl FnMut(),
    mut b: impl FnMut(),
) -> (std::time::Duration, std::time::Duration) {
    let time = |f: &mut dyn FnMut()| {
        let start = std::time::Instant::now();
        f();
        start.elapsed()
    };
    let (mut a_times, mut b_times): (Vec<_>, Vec<_>) =
        (0..runs).map(|_| (time(&mut a), time(&mut b))).unzip();
    a_times.sort();
    b_times.sort();
    (a_times[runs / 2], b_times[runs / 2])
}

fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("memory: run it with `cargo bench -p link-bench --bench memory`");
        return;
    }
    let products = 100_000;
    let mut conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite opens");
    catalog::seed(&mut conn, Size::tenth(products)).expect("the catalog seeds");

    let rows: Vec<(&str, Measured)> = vec![
        (
            "diesel join (structs)",
            measure(|| {
                conn.products_with_brand()
                    .unwrap()
                    .into_iter()
                    .map(|(product, brand)| ProductCard {
                        id: product.id,
                        title: product.title,
                        brand,
                    })
                    .collect::<Vec<_>>()
            }),
        ),
        (
            "graph (typed)",
            measure(|| {
                Query::new(&mut conn)
                    .graph(ProductCard::graph())
                    .unwrap()
                    .data
            }),
        ),
        (
            "diesel join → JSON",
            measure(|| products_as_json(conn.products_with_brand().unwrap())),
        ),
        (
            "graph (JSON)",
            measure(|| {
                Query::new(&mut conn)
                    .graph(queries::products_with_brand())
                    .unwrap()
                    .data
            }),
        ),
        (
            "graph (JSON values) → bytes",
            measure_bytes(|| {
                let page = Query::new(&mut conn)
                    .graph(queries::products_with_brand())
                    .unwrap();
                serde_json::to_vec(&page).unwrap()
            }),
        ),
        (
            "diesel join (structs) → bytes",
            measure_bytes(|| join_bytes(&mut conn)),
        ),
        (
            "graph (JSON written) → bytes",
            measure_bytes(|| written_bytes(&mut conn)),
        ),
    ];

    println!(
        "\n### Memory: `product {{ id, title, brand.* }}` over {products} products (SQLite)\n"
    );
    println!("| query | peak heap | result in memory | JSON output | peak ÷ JSON |");
    println!("|---|---|---|---|---|");
    for (name, m) in rows {
        println!(
            "| {name} | {} | {} | {} | **{:.2}×** |",
            mib(m.peak),
            mib(m.result),
            mib(m.json),
            m.peak as f64 / m.json as f64
        );
    }

    // The two answers hold the same rows, whatever the order of their keys.
    let rows = |bytes: Vec<u8>| {
        let mut document: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        document["data"].take()
    };
    assert_eq!(
        rows(join_bytes(&mut conn)),
        rows(written_bytes(&mut conn)),
        "the baseline and the graph query answer the same rows"
    );
    let runs = 11;
    let conn = std::cell::RefCell::new(conn);
    let (join, written) = median_times(
        runs,
        || drop(join_bytes(&mut conn.borrow_mut())),
        || drop(written_bytes(&mut conn.borrow_mut())),
    );
    println!(
        "\n### Time to the JSON bytes (median of {runs}, run in turn)\n\n\
         | query | time | ratio |\n|---|---|---|\n\
         | diesel join (structs) → bytes | {join:.1?} | 1.00× |\n\
         | graph (JSON written) → bytes | {written:.1?} | **{:.2}×** |",
        written.as_secs_f64() / join.as_secs_f64()
    );
}
