//! Hostile graph queries, as a public API would pass them through (JSON, read with
//! `Graph::from_json`), on a catalog of 10,000 products, 1,000 brands and 100 suppliers, on
//! SQLite and PostgreSQL, through both drivers: each ends in rows or a typed error, the one
//! its table row expects. The time each takes is measured and printed as a table (run with
//! `--nocapture` to see it); with `LINK_TEST_ASSERT_TIMES=1` set, each must end within 2
//! seconds, the budget the default `Limits` are set for (a loaded machine may take longer
//! than that, so CI does not assert it).
//!
//! Also: merging `$or` alternatives returns the rows the alternatives return one by one (a
//! property over random alternatives on the shared fixture catalog); the statement timeout
//! cancels a query on PostgreSQL and leaves the connection as it was; a query's limits and
//! its scope's, the stricter applies.
//!
//! ```sh
//! LINK_TEST_POSTGRES_URL=postgres://.. cargo test -p link-tests --test hostile -- \
//!     --nocapture --test-threads 1
//! ```

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use link_runtime::graph::{CostLimit, Fields, Graph, GraphResult, Limits, Scope};
use link_runtime::{Dialect, Error, ErrorKind, LinkConnection};
use link_test_support::{via, TestSql};
use link_tests::fixtures::catalog;
use link_tests::modules::supplier::Store;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};

/// The catalog's size.
const PRODUCTS: usize = 10_000;
const BRANDS: usize = 1_000;
const SUPPLIERS: usize = 100;

/// The time budget each hostile query is held to when `LINK_TEST_ASSERT_TIMES` is set.
const BUDGET: Duration = Duration::from_secs(2);

/// Seeds the catalog: product `i` (`prod_i`, `Product i`) has brand `i % 1,000`
/// (`brand_b`, `Brand b`) and supplier `i % 100` (`sup_s`, `Supplier s`); brand `b` has
/// supplier `b % 100`. Each brand has 10 products, each supplier 100 products and 10 brands.
/// Written with set-based SQL, once per test, then analyzed, as a database in use would be.
fn seed<C: Store + TestSql>(conn: &mut C) {
    link_runtime::migrate(conn).expect("link tables are created");
    conn.migrate_suppliers()
        .expect("the supplier table is created");
    let numbers = |n: usize| {
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {})",
            n - 1
        )
    };
    let (p, b, s) = (numbers(PRODUCTS), numbers(BRANDS), numbers(SUPPLIERS));
    conn.batch_execute(&format!(
        "CREATE TABLE products (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE brands (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE tags (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         INSERT INTO products (id, name) {p} SELECT 'prod_' || i, 'Product ' || i FROM n;
         INSERT INTO brands (id, name) {b} SELECT 'brand_' || i, 'Brand ' || i FROM n;
         INSERT INTO supplier (id, name) {s} SELECT 'sup_' || i, 'Supplier ' || i FROM n;
         INSERT INTO product_product_brand_brand (id, product_id, brand_id)
             {p} SELECT 'pb_' || i, 'prod_' || i, 'brand_' || (i % {BRANDS}) FROM n;
         INSERT INTO product_product_supplier_supplier (id, product_id, supplier_id)
             {p} SELECT 'ps_' || i, 'prod_' || i, 'sup_' || (i % {SUPPLIERS}) FROM n;
         INSERT INTO supplier_supplier_brand_brand (id, supplier_id, brand_id)
             {b} SELECT 'sb_' || i, 'sup_' || (i % {SUPPLIERS}), 'brand_' || i FROM n;
         ANALYZE;"
    ))
    .expect("the catalog is seeded");
}

/// A query of products, read from JSON; `fields` defaults to their ids.
fn products(rest: Value) -> Graph {
    let mut document = json!({ "entity": "product", "fields": ["id"] });
    for (key, value) in rest.as_object().expect("an object").clone() {
        document[key] = value;
    }
    Graph::from_json(document).expect("a well-formed query")
}

/// `filters` as a query of products' ids.
fn filtered(filters: Value) -> Graph {
    products(json!({ "filters": filters }))
}

/// The product path through `links` links, `brand.products.brand...`, then `last`.
fn long_path(links: usize, last: &str) -> String {
    let mut segments: Vec<&str> = (0..links)
        .map(|i| if i % 2 == 0 { "brand" } else { "products" })
        .collect();
    segments.push(last);
    segments.join(".")
}

/// `n` alternatives of which none can be merged with another: each is a supplier named
/// nothing, and a brand not named `Brand i`. Each follows two links, and each link's
/// subquery reads most of its tables: the costliest alternatives for what they count.
fn unmergeable(n: usize) -> Value {
    let alternatives: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "supplier": { "name": format!("none {i}") },
                "brand": { "name": { "$ne": format!("Brand {i}") } },
            })
        })
        .collect();
    json!({ "$or": alternatives })
}

/// The `$or` of `filters` with each alternative kept apart from the others: it also
/// holds a condition on the entity's own id that every row meets, so that none can be
/// merged with another.
fn apart(filters: Value) -> Value {
    let alternatives: Vec<Value> = filters["$or"]
        .as_array()
        .expect("an $or")
        .iter()
        .map(|alternative| {
            let mut alternative = alternative.clone();
            alternative["id"] = json!({ "$ne": null });
            alternative
        })
        .collect();
    json!({ "$or": alternatives })
}

/// The first `n` link paths from a product, breadth first (`brand`, `supplier`, `tags`,
/// `brand.products`, ..), as fields `path.id`: a query whose fields follow `n` links.
fn breadth(n: usize) -> Vec<String> {
    let links = |entity: &str| -> &'static [(&'static str, &'static str)] {
        match entity {
            "product" => &[
                ("brand", "brand"),
                ("supplier", "supplier"),
                ("tags", "tag"),
            ],
            "brand" => &[("products", "product"), ("supplier", "supplier")],
            "supplier" => &[("products", "product"), ("brands", "brand")],
            _ => &[("products", "product")],
        }
    };
    let mut paths: Vec<String> = Vec::new();
    let mut next = VecDeque::from([(String::new(), "product")]);
    while paths.len() < n {
        let (path, entity) = next.pop_front().expect("paths never run out: links loop");
        for (field, target) in links(entity) {
            let path = if path.is_empty() {
                (*field).to_owned()
            } else {
                format!("{path}.{field}")
            };
            paths.push(path.clone());
            next.push_back((path, target));
        }
    }
    paths.truncate(n);
    paths.into_iter().map(|path| path + ".id").collect()
}

/// `path` (`a.b.c`) and `value` as the JSON form nests a filter through links:
/// `{"a": {"b": {"c": value}}}`.
fn nested(path: &str, value: Value) -> Value {
    path.rsplit('.')
        .fold(value, |inner, segment| json!({ segment: inner }))
}

/// What a hostile query must end in.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Rows: this many.
    Rows(usize),
    /// Refused over this limit, before any output.
    Refused(CostLimit),
    /// Refused for what the query asks (an unknown field, a malformed value): its kind.
    Invalid,
}

/// A hostile query: what it is, what it must end in, and the query.
struct Case {
    name: String,
    expect: Expect,
    graph: Graph,
}

fn case(name: impl Into<String>, expect: Expect, graph: Graph) -> Case {
    Case {
        name: name.into(),
        expect,
        graph,
    }
}

/// The hostile queries, and the costliest the default limits let through.
fn cases() -> Vec<Case> {
    let defaults = Limits::new();
    let max = |limit| usize::try_from(defaults.limit(limit)).expect("a limit that fits");
    let names =
        |n: usize, format: fn(usize) -> String| -> Vec<String> { (0..n).map(format).collect() };
    let brand_or = |n: usize| -> Value {
        let alternatives: Vec<Value> = (0..n)
            .map(|i| json!({ "brand": { "name": format!("Brand {i}") } }))
            .collect();
        json!({ "$or": alternatives })
    };
    let supplier_or = |n: usize| -> Value {
        let alternatives: Vec<Value> = (0..n)
            .map(|i| json!({ "brand": { "supplier": { "name": format!("Supplier {i}") } } }))
            .collect();
        json!({ "$or": alternatives })
    };
    let sevens = |i: usize| format!("prod_{}", i * 7);
    let seven_names = |i: usize| format!("Product {}", i * 7);
    // Of 10,000 products, those whose number is a multiple of 7.
    let multiples_of_7 = PRODUCTS.div_ceil(7);
    let order: Vec<Value> = (0..5_000)
        .map(|i| {
            let keys = ["brand.name", "name", "id"];
            json!({ keys[i % keys.len()]: if i % 2 == 0 { "ASC" } else { "DESC" } })
        })
        .collect();
    // A product's keys, those through a link first: each of those is a subquery per row.
    let keys = |n: usize| -> Value {
        let keys = [
            "brand.name",
            "supplier.name",
            "brand.id",
            "supplier.id",
            "supplier.deleted_at",
            "name",
            "id",
        ];
        keys[..n]
            .iter()
            .map(|key| json!({ *key: "DESC" }))
            .collect()
    };
    // Each `$or` of the JSON form is two levels of filters: an `or` of `and`s.
    let deep = |levels: usize| {
        (0..levels).fold(
            json!({ "name": "Product 7" }),
            |inner, _| json!({ "$or": [inner, { "name": "none" }] }),
        )
    };
    let lists: Vec<Value> = (0..30)
        .map(|list| json!({ "name": names(999, |i| format!("Product {}", i * 31 + 7)).iter().map(|n| format!("{n} {list}")).collect::<Vec<_>>() }))
        .collect();
    // Each product with its brand's 10 products and their brand: 122 records a product.
    let fan = |take: usize| {
        products(json!({
            "fields": ["id", "brand.products.brand.products.id"],
            "pagination": { "take": take },
        }))
    };
    let per_product = 1 + 1 + 10 + 10 + 100;
    let records = max(CostLimit::Records);
    vec![
        // The queries of the issue.
        case(
            "$or of 4,000 alternatives through a link (`brand.name`)",
            Expect::Rows(PRODUCTS),
            filtered(brand_or(4_000)),
        ),
        case(
            "$or of 4,000 alternatives through two links (`brand.supplier.name`)",
            Expect::Rows(PRODUCTS),
            filtered(supplier_or(4_000)),
        ),
        case(
            "$nin of 100,000 ids",
            Expect::Rows(PRODUCTS - multiples_of_7),
            filtered(json!({ "id": { "$nin": names(100_000, sevens) } })),
        ),
        // PostgreSQL before 17 probes an index for every combination of the values of the
        // lists ANDed on one of its columns, and no timeout stops it: the planner
        // intersects them first.
        case(
            "150 lists of 3 ids ANDed on `id` (sharing 2)",
            Expect::Rows(2),
            filtered(json!({
                "$and": (0..150)
                    .map(|i| json!({ "id": { "$in": ["prod_1", "prod_2", format!("prod_{}", 3 + i)] } }))
                    .collect::<Vec<_>>()
            })),
        ),
        case(
            "150 `$or`s of 3 ids ANDed (each one list on `id`)",
            Expect::Rows(2),
            filtered(json!({
                "$and": (0..150)
                    .map(|i| json!({ "$or": [
                        { "id": "prod_1" }, { "id": "prod_2" }, { "id": format!("nope_{i}") },
                    ] }))
                    .collect::<Vec<_>>()
            })),
        ),
        case(
            "fields through 16 links, take 1",
            Expect::Refused(CostLimit::Records),
            products(json!({ "fields": [long_path(16, "id")], "pagination": { "take": 1 } })),
        ),
        case(
            "fields through 16 links",
            Expect::Refused(CostLimit::Records),
            products(json!({ "fields": [long_path(16, "id")] })),
        ),
        case(
            "fields through 8 links, take 1",
            Expect::Rows(1),
            products(json!({ "fields": [long_path(8, "id")], "pagination": { "take": 1 } })),
        ),
        case(
            "a filter through 16 links",
            Expect::Rows(10),
            filtered(nested(&long_path(16, "name"), json!("Product 1"))),
        ),
        case(
            "order by 5,000 keys, take 10",
            Expect::Rows(10),
            products(json!({ "pagination": { "take": 10, "order": order } })),
        ),
        // Merged, and the same alternatives kept apart by a condition each that every row
        // meets: one subquery, or one per alternative.
        case(
            format!(
                "{} alternatives through `brand.name`",
                max(CostLimit::FilterLinks)
            ),
            Expect::Rows(10 * max(CostLimit::FilterLinks)),
            filtered(brand_or(max(CostLimit::FilterLinks))),
        ),
        case(
            format!(
                "{} alternatives through `brand.name`, kept apart",
                max(CostLimit::FilterLinks)
            ),
            Expect::Rows(10 * max(CostLimit::FilterLinks)),
            filtered(apart(brand_or(max(CostLimit::FilterLinks)))),
        ),
        // What ended in milliseconds before, and must still.
        case(
            "$or nested 16 deep (filters 32 deep)",
            Expect::Rows(1),
            filtered(deep(16)),
        ),
        case("$or nested 200 deep", Expect::Invalid, filtered(deep(200))),
        case(
            "take and skip near 2^64",
            Expect::Rows(0),
            products(json!({ "pagination": { "take": u64::MAX, "skip": u64::MAX / 2 } })),
        ),
        case(
            "a 1 MB value",
            Expect::Rows(0),
            filtered(json!({ "name": "x".repeat(1 << 20) })),
        ),
        case(
            "a 1 MB field name",
            Expect::Invalid,
            products(json!({ "fields": ["x".repeat(1 << 20)] })),
        ),
        case(
            "5,000 fields",
            Expect::Rows(PRODUCTS),
            products(json!({ "fields": vec!["id"; 5_000] })),
        ),
        case(
            "$in of 100,000 ids",
            Expect::Rows(multiples_of_7),
            filtered(json!({ "id": { "$in": names(100_000, sevens) } })),
        ),
        case(
            "$in of 100,000 names (no index)",
            Expect::Rows(multiples_of_7),
            filtered(json!({ "name": { "$in": names(100_000, seven_names) } })),
        ),
        case(
            "$nin of 100,000 names (no index)",
            Expect::Rows(PRODUCTS - multiples_of_7),
            filtered(json!({ "name": { "$nin": names(100_000, seven_names) } })),
        ),
        case(
            "$or of 30 lists of 999 names, bound one by one",
            Expect::Rows(0),
            filtered(json!({ "$or": lists })),
        ),
        // Each limit: the costliest query it lets through, and one over it.
        case(
            format!("field_links: {} links, take 1", max(CostLimit::FieldLinks)),
            Expect::Rows(1),
            products(json!({
                "fields": breadth(max(CostLimit::FieldLinks)),
                "pagination": { "take": 1 },
            })),
        ),
        case(
            format!(
                "field_links: {} links, take 1",
                max(CostLimit::FieldLinks) + 1
            ),
            Expect::Refused(CostLimit::FieldLinks),
            products(json!({
                "fields": breadth(max(CostLimit::FieldLinks) + 1),
                "pagination": { "take": 1 },
            })),
        ),
        case(
            format!(
                "filter_links: {} alternatives of 2 links, take 10",
                max(CostLimit::FilterLinks) / 2
            ),
            Expect::Rows(0),
            filtered(unmergeable(max(CostLimit::FilterLinks) / 2)).take(10),
        ),
        case(
            format!(
                "filter_links: {} alternatives of 2 links",
                max(CostLimit::FilterLinks) / 2 + 1
            ),
            Expect::Refused(CostLimit::FilterLinks),
            filtered(unmergeable(max(CostLimit::FilterLinks) / 2 + 1)),
        ),
        case(
            "filter_links: 4,000 alternatives of 2 links",
            Expect::Refused(CostLimit::FilterLinks),
            filtered(unmergeable(4_000)),
        ),
        case(
            format!(
                "filter_values: $nin of {} names",
                max(CostLimit::FilterValues)
            ),
            Expect::Rows(PRODUCTS - multiples_of_7),
            filtered(json!({
                "name": { "$nin": names(max(CostLimit::FilterValues), seven_names) }
            }))
            .take(10_000),
        ),
        case(
            format!(
                "filter_values: $nin of {} names",
                max(CostLimit::FilterValues) + 1
            ),
            Expect::Refused(CostLimit::FilterValues),
            filtered(json!({
                "name": { "$nin": names(max(CostLimit::FilterValues) + 1, seven_names) }
            })),
        ),
        case(
            format!(
                "order_keys: {} keys through links, take 10",
                max(CostLimit::OrderKeys)
            ),
            Expect::Rows(10),
            products(json!({
                "pagination": { "take": 10, "order": keys(max(CostLimit::OrderKeys)) }
            })),
        ),
        case(
            format!(
                "order_keys: {} keys, take 10",
                max(CostLimit::OrderKeys) + 1
            ),
            Expect::Refused(CostLimit::OrderKeys),
            products(json!({
                "pagination": { "take": 10, "order": keys(max(CostLimit::OrderKeys) + 1) }
            })),
        ),
        // Pages inside each record: every brand's products ranked under unmergeable
        // filters, and a page past the end of any list.
        case(
            "nested: 1,000 brands, each its newest product of 7 unmergeable alternatives, counted too",
            Expect::Rows(BRANDS),
            Graph::from_json(json!({
                "entity": "brand",
                "fields": ["id", "products.id", "_count.products"],
                "nested": { "products": {
                    "filters": unmergeable(7),
                    "order": { "name": "DESC" },
                    "take": 1,
                } },
            }))
            .expect("the document reads"),
        ),
        case(
            "nested: skip u64::MAX / 2, take u64::MAX, two levels",
            Expect::Rows(BRANDS),
            Graph::from_json(json!({
                "entity": "brand",
                "fields": ["id", "products.id", "products.tags.id"],
                "nested": { "products": {
                    "skip": u64::MAX / 2,
                    "take": u64::MAX,
                    "nested": { "tags": { "take": u64::MAX } },
                } },
            }))
            .expect("the document reads"),
        ),
        case(
            format!("records: {} records", records / per_product * per_product),
            Expect::Rows(records / per_product),
            fan(records / per_product),
        ),
        case(
            format!(
                "records: {} records",
                (records / per_product + 1) * per_product
            ),
            Expect::Refused(CostLimit::Records),
            fan(records / per_product + 1),
        ),
    ]
}

/// What a query ended in, as the table shows it, and whether it is what `expect` says.
fn outcome(result: &Result<GraphResult<Value>, Error>, expect: Expect) -> (String, bool) {
    match result {
        Ok(result) => (
            format!("{} rows", result.data.len()),
            expect == Expect::Rows(result.data.len()),
        ),
        Err(Error::TooCostly { limit, value, max }) => (
            format!("refused: {value} over {max}"),
            expect == Expect::Refused(*limit),
        ),
        Err(error) => (
            format!("{}: {}", error.kind(), error_kind_name(error)),
            expect == Expect::Invalid && error.kind() == ErrorKind::Invalid,
        ),
    }
}

/// The variant of an error, for the table.
fn error_kind_name(error: &Error) -> String {
    let shown = format!("{error:?}");
    shown
        .split([' ', '{', '('])
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn run_the_table<C: Store + TestSql + LinkConnection>(conn: &mut C, row: &str) {
    let started = Instant::now();
    seed(conn);
    let seeded = started.elapsed();
    let assert_times = std::env::var_os("LINK_TEST_ASSERT_TIMES").is_some();
    let mut table = format!(
        "\n{row}: seeded in {seeded:.1?}\n| query | outcome | time | limit |\n|---|---|---|---|\n"
    );
    let mut failures = Vec::new();
    for Case {
        name,
        expect,
        graph,
    } in cases()
    {
        let started = Instant::now();
        let result = via::graph(conn, graph);
        let took = started.elapsed();
        let (shown, expected) = outcome(&result, expect);
        let limit = match &result {
            Err(Error::TooCostly { limit, .. }) => limit.as_str(),
            _ => "",
        };
        let _ = writeln!(table, "| {name} | {shown} | {took:.1?} | {limit} |");
        if !expected {
            failures.push(format!("{name}: expected {expect:?}, got {result:?}"));
        }
        if assert_times && took > BUDGET {
            failures.push(format!("{name}: took {took:?}, over {BUDGET:?}"));
        }
    }
    // What the statement timeout costs a small query: on PostgreSQL, the transaction
    // that sets it.
    let page = || {
        products(json!({
            "fields": ["id", "name", "brand.name"],
            "filters": { "brand": { "name": ["Brand 1", "Brand 2"] } },
            "pagination": { "take": 12, "order": { "name": "ASC" } },
        }))
    };
    for (name, limits) in [
        ("a page of 12, default limits", Limits::new()),
        (
            "a page of 12, no statement timeout",
            Limits::new().statement_timeout(None),
        ),
    ] {
        let mut times: Vec<Duration> = (0..101)
            .map(|_| {
                let started = Instant::now();
                let page = via::graph_limited(conn, None, &limits, page()).unwrap();
                assert_eq!(page.data.len(), 12);
                started.elapsed()
            })
            .collect();
        times.sort_unstable();
        let median = times[times.len() / 2];
        let _ = writeln!(
            table,
            "| {name} (median of 101) | 12 rows | {median:.2?} | |"
        );
    }
    println!("{table}");
    assert!(failures.is_empty(), "{row}:\n{}", failures.join("\n"));
}

/// The name of the test row running, from the module path.
macro_rules! row {
    () => {
        module_path!().rsplit("::").next().unwrap_or_default()
    };
}

link_test_support::backend_tests! {
    drivers;

    fn hostile_queries_end_in_rows_or_a_typed_refusal(conn) {
        run_the_table(conn, row!());
    }

    fn the_statement_timeout_cancels_a_query_and_the_connection_stays_as_it_was(conn) {
        seed(conn);
        // Nine alternatives of two links each: a query of a hundred milliseconds or so.
        let slow = || filtered(unmergeable(9));
        let hasty = Limits::new().statement_timeout(Some(Duration::from_millis(1)));
        let outcome = via::graph_limited(conn, None, &hasty, slow());
        match dialect(conn) {
            Dialect::Postgres => {
                let Err(error) = outcome else {
                    panic!("a statement took under 1 ms: {outcome:?}");
                };
                assert!(
                    matches!(error, Error::QueryTimeout { timeout } if timeout == Duration::from_millis(1)),
                    "{error:?}"
                );
                assert_eq!(error.kind(), ErrorKind::Unavailable);
                assert_eq!(
                    error.to_string(),
                    "the graph query ran past its time limit: a statement took longer than 1ms"
                );
                assert_eq!(error.details().limit.as_deref(), Some("statement_timeout"));
            }
            // SQLite has no statement timeout: the counts bound a query there.
            _ => assert_eq!(outcome.unwrap().data.len(), 0),
        }
        // The connection is out of the query's transaction, and its setting is back: the
        // same query runs to its end without a timeout of its own.
        let patient = Limits::new().statement_timeout(None);
        assert_eq!(via::graph_limited(conn, None, &patient, slow()).unwrap().data.len(), 0);
        assert_eq!(via::graph(conn, filtered(json!({ "name": "Product 7" }))).unwrap().data.len(), 1);
        if dialect(conn) == Dialect::Postgres {
            assert_eq!(conn.texts("SHOW statement_timeout", &[]), ["0"]);
        }
    }

    fn a_query_and_its_scope_run_under_the_stricter_of_their_limits(conn) {
        catalog(conn);
        let scope = Scope::all().limits(Limits::new().max(CostLimit::OrderKeys, 1));
        let two_keys = Graph::from_json(json!({
            "entity": "product",
            "pagination": { "order": [{ "name": "ASC" }, { "id": "DESC" }] },
        }))
        .unwrap();
        // The scope's limit applies, and a looser one of the query's cannot lift it.
        let loose = Limits::new().max(CostLimit::OrderKeys, 10);
        for outcome in [
            via::graph_scoped(conn, &scope, two_keys.clone()),
            via::graph_limited(conn, Some(&scope), &loose, two_keys.clone()),
        ] {
            assert!(
                matches!(outcome, Err(Error::TooCostly { limit: CostLimit::OrderKeys, value: 2, max: 1 })),
                "{outcome:?}"
            );
        }
        // Nor can a looser scope lift the query's.
        let open = Scope::all().limits(loose.clone());
        let strict = Limits::new().max(CostLimit::FieldLinks, 0);
        let outcome = via::graph_limited(conn, Some(&open), &strict, products(json!({ "fields": ["brand.name"] })));
        assert!(
            matches!(outcome, Err(Error::TooCostly { limit: CostLimit::FieldLinks, value: 1, max: 0 })),
            "{outcome:?}"
        );
        // A repeated key orders nothing more, and does not count.
        let repeated = Graph::from_json(json!({
            "entity": "product",
            "fields": ["id"],
            "pagination": { "order": [{ "name": "DESC" }, { "name": "ASC" }, { "name": "DESC" }] },
        }))
        .unwrap();
        let rows = via::graph_scoped(conn, &scope, repeated).unwrap().data;
        assert_eq!(rows, [json!({ "id": "prod_4" }), json!({ "id": "prod_3" }), json!({ "id": "prod_2" }), json!({ "id": "prod_1" })]);
        // A scope's check applies its limits as running the query does.
        assert!(matches!(
            scope.check(&two_keys),
            Err(Error::TooCostly { limit: CostLimit::OrderKeys, .. })
        ));
        let fields = Scope::new().entity("product", Fields::all());
        assert!(fields.check(&two_keys).is_ok());
    }

    fn a_query_read_row_by_row_is_refused_at_its_record_limit_and_the_connection_goes_on(conn) {
        catalog(conn);
        // Each row of `product { id, brand.name }` is a whole record, read one at a time:
        // prod_1 and its brand are two records, prod_2 and its brand four.
        let query = || products(json!({ "fields": ["id", "brand.name"], "pagination": { "order": { "id": "ASC" } } }));
        let three = Limits::new().max(CostLimit::Records, 3);
        let values = via::graph_limited(conn, None, &three, query());
        let written = via::graph_limited(conn, None, &three, query().to_json());
        for outcome in [values.map(drop), written.map(drop)] {
            assert!(
                matches!(outcome, Err(Error::TooCostly { limit: CostLimit::Records, value: 4, max: 3 })),
                "{outcome:?}"
            );
        }
        // The connection is where it was: the same query, under a limit it keeps, reads
        // every row, in both forms alike.
        let seven = Limits::new().max(CostLimit::Records, 7);
        let values = via::graph_limited(conn, None, &seven, query()).unwrap();
        let written = via::graph_limited(conn, None, &seven, query().to_json()).unwrap();
        assert_eq!(
            values.data,
            [
                json!({ "id": "prod_1", "brand": { "name": "Acme" } }),
                json!({ "id": "prod_2", "brand": { "name": "Acme" } }),
                json!({ "id": "prod_3", "brand": { "name": "Birch" } }),
                json!({ "id": "prod_4", "brand": null }),
            ]
        );
        assert_eq!((written.len(), written.metadata().count), (4, 4));
        assert_eq!(
            serde_json::from_str::<Value>(written.data_json()).unwrap(),
            Value::Array(values.data)
        );
    }

    fn alternatives_through_one_link_count_once(conn) {
        catalog(conn);
        let one = Limits::new().max(CostLimit::FilterLinks, 1);
        // 4,000 alternatives through `brand`, then through `brand.supplier`: one link, then
        // two, whatever their number.
        let names: Vec<Value> = (0..4_000)
            .map(|i| json!({ "brand": { "name": if i == 2_000 { "Birch".to_owned() } else { format!("Brand {i}") } } }))
            .collect();
        let graph = filtered(json!({ "$or": names }));
        let rows = via::graph_limited(conn, None, &one, graph).unwrap().data;
        assert_eq!(rows, [json!({ "id": "prod_3" })]);
        let suppliers: Vec<Value> = ["Beech", "Cherry", "nobody"]
            .iter()
            .map(|name| json!({ "brand": { "supplier": { "name": name } } }))
            .collect();
        let graph = filtered(json!({ "$or": suppliers.clone() }));
        let outcome = via::graph_limited(conn, None, &one, graph.clone());
        assert!(
            matches!(outcome, Err(Error::TooCostly { limit: CostLimit::FilterLinks, value: 2, max: 1 })),
            "{outcome:?}"
        );
        let two = Limits::new().max(CostLimit::FilterLinks, 2);
        // No product's brand is supplied by Beech, and Cherry is soft-deleted.
        assert_eq!(via::graph_limited(conn, None, &two, graph).unwrap().data, Vec::<Value>::new());
        // Equalities on one field are one list, whatever their number: a value each.
        let titles: Vec<Value> = (0..5_000)
            .map(|i| json!({ "name": if i == 7 { "Whisk".to_owned() } else { format!("name {i}") } }))
            .collect();
        let values = Limits::new().max(CostLimit::FilterValues, 5_000);
        let rows = via::graph_limited(conn, None, &values, filtered(json!({ "$or": titles.clone() })));
        assert_eq!(rows.unwrap().data, [json!({ "id": "prod_4" })]);
        let fewer = Limits::new().max(CostLimit::FilterValues, 4_999);
        let outcome = via::graph_limited(conn, None, &fewer, filtered(json!({ "$or": titles })));
        assert!(
            matches!(outcome, Err(Error::TooCostly { limit: CostLimit::FilterValues, value: 5_000, max: 4_999 })),
            "{outcome:?}"
        );
    }

    fn merged_alternatives_find_the_rows_of_the_alternatives_apart(conn) {
        catalog(conn);
        let conn = RefCell::new(conn);
        let config = Config {
            cases: 64,
            failure_persistence: None,
            ..Config::default()
        };
        let lifted = Limits::new().max(CostLimit::FilterLinks, u64::MAX);
        let run = |graph: Graph| -> Result<Vec<String>, TestCaseError> {
            let shown = format!("{graph:?}");
            let rows = via::graph_limited(*conn.borrow_mut(), None, &lifted, graph)
                .map_err(|error| TestCaseError::fail(format!("{shown}: {error}")))?;
            let mut ids: Vec<String> = rows
                .data
                .iter()
                .map(|row| row["id"].as_str().expect("an id").to_owned())
                .collect();
            ids.sort_unstable();
            Ok(ids)
        };
        TestRunner::new(config)
            .run(&(alternatives(), any::<bool>(), select(vec!["product", "brand"])), |(alternatives, with_deleted, entity)| {
                let (alternatives, entity) = match entity {
                    "brand" => (alternatives.into_iter().map(from_brand).collect(), "brand"),
                    _ => (alternatives, "product"),
                };
                let query = |alternatives: Vec<Value>| {
                    Graph::from_json(json!({
                        "entity": entity,
                        "fields": ["id"],
                        "filters": { "$or": alternatives },
                        "with_deleted": with_deleted,
                    }))
                    .unwrap()
                };
                let apart = apart(json!({ "$or": alternatives.clone() }));
                let merged = run(query(alternatives))?;
                let apart = apart["$or"].as_array().expect("an $or").clone();
                prop_assert_eq!(merged, run(query(apart))?);
                Ok(())
            })
            .unwrap();
    }
}

/// Alternatives of a product query: through `brand`, `brand.supplier`, `supplier`, `tags`
/// (a list), on the product's name; some of them equal, some of them matching nothing,
/// some through soft-deleted records and dismissed links.
fn alternatives() -> impl Strategy<Value = Vec<Value>> {
    let brand = select(vec!["Acme", "Birch", "Cedar", "none"]);
    let supplier = select(vec!["Alder", "Beech", "Cherry", "none"]);
    let tag = select(vec!["kitchen", "gift", "sale", "none"]);
    let product = select(vec!["Kettle", "Teapot", "Toaster", "Whisk", "none"]);
    let alternative = prop_oneof![
        brand.clone().prop_map(|name| json!({ "brand": { "name": name } })),
        (brand.clone(), product.clone())
            .prop_map(|(brand, name)| json!({ "brand": { "name": { "$ne": brand } }, "name": name })),
        supplier
            .clone()
            .prop_map(|name| json!({ "brand": { "supplier": { "name": name } } })),
        (supplier.clone(), brand)
            .prop_map(|(supplier, brand)| json!({ "brand": { "name": brand, "supplier": { "name": supplier } } })),
        supplier.prop_map(|name| json!({ "supplier": { "name": name } })),
        tag.clone().prop_map(|name| json!({ "tags": { "name": name } })),
        tag.prop_map(|name| json!({ "tags": { "name": { "$ne": name } } })),
        product.prop_map(|name| json!({ "name": name })),
    ];
    vec(alternative, 1..8)
}

/// A product alternative as a brand's: the brand's products meet it.
fn from_brand(alternative: Value) -> Value {
    json!({ "products": alternative })
}

/// The dialect of `conn`.
fn dialect<C: LinkConnection>(_: &C) -> Dialect {
    C::DIALECT
}

/// A graph query inside a caller's transaction: its statements run in a savepoint, and its
/// statement timeout ends with it, on the blocking driver (the async one below).
mod in_a_transaction {
    use super::*;
    use diesel::connection::SimpleConnection as _;
    use diesel::Connection as _;
    use link_runtime::graph::Query;

    /// PostgreSQL's `SHOW statement_timeout` for the caller's own setting.
    const CALLERS: &str = "1min";

    link_test_support::backend_tests! {
        fn a_query_in_a_caller_s_transaction_leaves_the_caller_s_setting(conn) {
            seed(conn);
            let postgres = dialect(conn) == Dialect::Postgres;
            conn.transaction::<_, Error, _>(|conn| {
                if postgres {
                    conn.batch_execute("SET LOCAL statement_timeout = 60000")?;
                }
                let one = Query::new(conn).graph(filtered(json!({ "name": "Product 7" })))?;
                assert_eq!(one.data.len(), 1);
                if postgres {
                    assert_eq!(conn.texts("SHOW statement_timeout", &[]), [CALLERS]);
                }
                let hasty = Limits::new().statement_timeout(Some(Duration::from_millis(1)));
                let outcome = Query::new(conn).limits(hasty).graph(filtered(unmergeable(9)));
                if postgres {
                    assert!(matches!(outcome, Err(Error::QueryTimeout { .. })), "{outcome:?}");
                    assert_eq!(conn.texts("SHOW statement_timeout", &[]), [CALLERS]);
                } else {
                    assert_eq!(outcome?.data.len(), 0);
                }
                // The caller's transaction goes on.
                let one = Query::new(conn).graph(filtered(json!({ "name": "Product 7" })))?;
                assert_eq!(one.data.len(), 1);
                Ok(())
            })
            .unwrap();
            if postgres {
                assert_eq!(conn.texts("SHOW statement_timeout", &[]), ["0"]);
            }
        }
    }

    /// The same on the async driver, on PostgreSQL.
    #[test]
    fn an_async_query_in_a_caller_s_transaction_leaves_the_caller_s_setting() {
        use diesel::sql_types::Text;
        use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, TransactionManager};
        use link_runtime::aio;

        #[derive(diesel::QueryableByName)]
        struct Setting {
            #[diesel(sql_type = Text)]
            statement_timeout: String,
        }
        async fn setting(conn: &mut AsyncPgConnection) -> String {
            let mut rows: Vec<Setting> = diesel::sql_query("SHOW statement_timeout")
                .load(conn)
                .await
                .unwrap();
            rows.pop().unwrap().statement_timeout
        }
        type Manager = <AsyncPgConnection as AsyncConnection>::TransactionManager;

        let Some(mut schema) = link_test_support::postgres("async_transaction") else {
            return;
        };
        seed(&mut *schema);
        let url = std::env::var(link_test_support::POSTGRES_URL).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
            diesel::sql_query(format!("SET search_path TO {}", schema.name()))
                .execute(&mut conn)
                .await
                .unwrap();
            Manager::begin_transaction(&mut conn).await.unwrap();
            diesel::sql_query("SET LOCAL statement_timeout = 60000")
                .execute(&mut conn)
                .await
                .unwrap();
            let one = aio::Query::new(&mut conn)
                .graph(filtered(json!({ "name": "Product 7" })))
                .await
                .unwrap();
            assert_eq!(one.data.len(), 1);
            assert_eq!(setting(&mut conn).await, CALLERS);
            let hasty = Limits::new().statement_timeout(Some(Duration::from_millis(1)));
            let outcome = aio::Query::new(&mut conn)
                .limits(hasty)
                .graph(filtered(unmergeable(9)))
                .await;
            assert!(
                matches!(outcome, Err(Error::QueryTimeout { .. })),
                "{outcome:?}"
            );
            assert_eq!(setting(&mut conn).await, CALLERS);
            Manager::commit_transaction(&mut conn).await.unwrap();
            assert_eq!(setting(&mut conn).await, "0");
        });
    }
}
