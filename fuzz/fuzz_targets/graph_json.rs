//! Graph queries in their JSON form, run against a small in-memory SQLite catalog.
//!
//! Any input may be refused with a typed error; none may panic, and none may reach the
//! database as a statement it refuses (`Error::Database`): every table of the catalog
//! exists, so a database error means a name or value got into SQL that should not have,
//! or a limit of SQLite was not checked first. A query that runs must return
//! JSON objects with exactly the fields it asked for, and a page that agrees with its
//! count: `min(take, count - skip)` rows.

#![no_main]

use std::cell::RefCell;
use std::sync::OnceLock;

use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use libfuzzer_sys::fuzz_target;
use link_runtime::chrono::NaiveDateTime;
use link_runtime::graph::{Graph, Query};
use link_runtime::prelude::*;
use serde_json::{json, Value};

/// A product; soft-deleted through `deleted_at`.
#[derive(Linkable)]
#[linkable(module = "product", table = "product")]
pub struct Product {
    pub id: String,
    pub title: String,
    pub price: i32,
    pub rating: Option<f64>,
    pub on_sale: bool,
    pub deleted_at: Option<NaiveDateTime>,
}

/// A brand.
#[derive(Linkable)]
#[linkable(module = "brand", table = "brand")]
pub struct Brand {
    pub id: String,
    pub name: String,
    pub founded: Option<i64>,
}

/// A tag.
#[derive(Linkable)]
#[linkable(module = "tag", table = "tag")]
pub struct Tag {
    pub id: String,
    pub label: String,
}

/// A brand has many products, a product one brand.
mod product_brand {
    use super::{Brand, Product};
    link_runtime::define_link!(Product(is_list), Brand);
}

/// Many to many, with typed extra columns.
mod product_tag {
    use super::{Product, Tag};
    use link_runtime::chrono;
    link_runtime::define_link! {
        Product(is_list),
        Tag(is_list),
        columns {
            featured: bool = false,
            position: i32 = 0,
            weight: f64 = 1.5,
            note: Option<String>,
            meta: serde_json::Value = r#"{"source": "seed"}"#,
            since: Option<chrono::NaiveDateTime>,
        },
    }
}

/// The catalog:
///
/// | product                    | brand                       | tags                     |
/// |----------------------------|-----------------------------|--------------------------|
/// | p1 Kettle 25               | b1 Acme                     | kitchen (featured), gift |
/// | p2 Teapot 40               | b1 Acme                     | gift                     |
/// | p3 Toaster 80              | b2 Birch                    | sale, dismissed          |
/// | p4 Whisk 5, soft-deleted   | b2 Birch                    |                          |
/// | p5 `Mug %_\` 12            | b1 Acme (b2 Birch dismissed)|                          |
///
/// b3 Cedar has no products.
fn catalog() -> SqliteConnection {
    let mut conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite opens");
    conn.batch_execute(
        r"CREATE TABLE product (
              id TEXT PRIMARY KEY NOT NULL, title TEXT NOT NULL, price INTEGER NOT NULL,
              rating DOUBLE, on_sale BOOLEAN NOT NULL, deleted_at TIMESTAMP);
          CREATE TABLE brand (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, founded BIGINT);
          CREATE TABLE tag (id TEXT PRIMARY KEY NOT NULL, label TEXT NOT NULL);
          INSERT INTO product VALUES
              ('p1', 'Kettle', 25, 4.5, 0, NULL),
              ('p2', 'Teapot', 40, NULL, 1, NULL),
              ('p3', 'Toaster', 80, 3.0, 0, NULL),
              ('p4', 'Whisk', 5, NULL, 0, '2024-01-02 03:04:05'),
              ('p5', 'Mug %_\', 12, 2.5, 1, NULL);
          INSERT INTO brand VALUES ('b1', 'Acme', 1950), ('b2', 'Birch', NULL), ('b3', 'Cedar', 2001);
          INSERT INTO tag VALUES ('t1', 'kitchen'), ('t2', 'gift'), ('t3', 'sale');",
    )
    .expect("the fixture tables are created");
    link_runtime::migrate(&mut conn).expect("the link tables are created");

    for (product, brand) in [
        ("p1", "b1"),
        ("p2", "b1"),
        ("p3", "b2"),
        ("p4", "b2"),
        ("p5", "b2"),
    ] {
        link_runtime::create(&mut conn, Product::id(product), Brand::id(brand))
            .expect("a product is linked to its brand");
    }
    assert!(link_runtime::dismiss(&mut conn, Product::id("p5"), Brand::id("b2")).unwrap());
    link_runtime::create(&mut conn, Product::id("p5"), Brand::id("b1"))
        .expect("a product is linked to a new brand");

    let since = NaiveDateTime::parse_from_str("2024-05-01 12:00:00", "%Y-%m-%d %H:%M:%S")
        .expect("a timestamp");
    let tags = [
        (
            "p1",
            "t1",
            product_tag::Columns {
                featured: true,
                position: 2,
                note: Some("front page".to_owned()),
                meta: json!({ "source": "editor", "rank": [1, 2] }),
                since: Some(since),
                ..Default::default()
            },
        ),
        ("p1", "t2", product_tag::Columns::default()),
        (
            "p2",
            "t2",
            product_tag::Columns {
                position: 5,
                weight: -0.25,
                ..Default::default()
            },
        ),
        ("p3", "t3", product_tag::Columns::default()),
    ];
    for (product, tag, columns) in tags {
        product_tag::Link::create_with(&mut conn, Product::id(product), Tag::id(tag), columns)
            .expect("a product is tagged");
    }
    assert!(product_tag::Link::dismiss(&mut conn, Product::id("p3"), Tag::id("t3")).unwrap());
    conn
}

/// Whether to print each query's outcome (`GRAPH_JSON_PRINT=1`), to see what an input does.
fn print() -> bool {
    static PRINT: OnceLock<bool> = OnceLock::new();
    *PRINT.get_or_init(|| std::env::var_os("GRAPH_JSON_PRINT").is_some_and(|v| v != "0"))
}

thread_local! {
    static CATALOG: RefCell<SqliteConnection> = RefCell::new(catalog());
}

/// Checks that `value` is a record holding the fields `paths` ask for (relative to it):
/// every head of a path, and nothing else unless `*` is asked for; a link field holds
/// `null`, a record, or an array of records.
fn check_record(value: &Value, paths: &[&str], at: &str) {
    let Value::Object(record) = value else {
        panic!("{at}: a record is not a JSON object: {value}");
    };
    if paths.is_empty() {
        return;
    }
    let mut all = false;
    // Each head asked for, with the paths below it.
    let mut heads: Vec<(&str, Vec<&str>)> = Vec::new();
    for path in paths {
        let (head, rest) = match path.split_once('.') {
            Some((head, rest)) => (head, Some(rest)),
            None => (*path, None),
        };
        if head == "*" {
            all = true;
            continue;
        }
        let below = match heads.iter_mut().find(|(h, _)| *h == head) {
            Some((_, below)) => below,
            None => {
                heads.push((head, Vec::new()));
                &mut heads.last_mut().expect("just pushed").1
            }
        };
        // A link asked for by its name alone reads all its fields.
        below.push(rest.unwrap_or("*"));
    }
    for (head, _) in &heads {
        assert!(
            record.contains_key(*head),
            "{at}: `{head}` was asked for and is missing from {value}"
        );
    }
    if !all {
        for key in record.keys() {
            assert!(
                heads.iter().any(|(head, _)| head == key),
                "{at}: `{key}` was not asked for, in {value}"
            );
        }
    }
    for (head, below) in &heads {
        // A head with a path below it is a link (a field followed by a path is an error).
        if below.iter().all(|rest| *rest == "*") {
            continue;
        }
        let at = format!("{at}.{head}");
        match &record[*head] {
            Value::Null => {}
            linked @ Value::Object(_) => check_record(linked, below, &at),
            Value::Array(records) => {
                for linked in records {
                    check_record(linked, below, &at);
                }
            }
            other => panic!("{at}: a link field holds {other}"),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    // What the query asks for, read before `from_json` takes the value.
    let pagination = json.get("pagination");
    let skip = pagination
        .and_then(|p| p.get("skip"))
        .and_then(Value::as_u64);
    let take = pagination
        .and_then(|p| p.get("take"))
        .and_then(Value::as_u64);
    let fields: Vec<String> = json
        .get("fields")
        .and_then(Value::as_array)
        .map(|fields| {
            fields
                .iter()
                .filter_map(|field| field.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();

    let graph = match Graph::from_json(json) {
        Ok(graph) => graph,
        Err(error) => {
            if print() {
                eprintln!("from_json: {error}");
            }
            return;
        }
    };
    let result = CATALOG.with(|conn| Query::new(&mut *conn.borrow_mut()).graph(graph));
    if print() {
        match &result {
            Ok(result) => eprintln!(
                "ok: {}",
                json!({ "data": result.data, "metadata": result.metadata })
            ),
            Err(error) => eprintln!("query: {error}"),
        }
    }
    let result = match result {
        Ok(result) => result,
        Err(error @ link_runtime::Error::Database(_)) => {
            panic!("the database refused a statement of a checked query: {error}")
        }
        Err(_) => return,
    };

    let metadata = result.metadata;
    assert_eq!(
        metadata.skip,
        skip.unwrap_or(0),
        "the page's skip is the query's"
    );
    assert_eq!(metadata.take, take, "the page's take is the query's");
    let rows = result.data.len() as u64;
    if let Some(take) = take {
        assert!(rows <= take, "{rows} rows for take {take}");
    }
    // A next page is named only after a full one; a query without a page size has one.
    if metadata.next_cursor.is_some() {
        assert_eq!(Some(rows), take, "a cursor follows a full page");
    }
    let expected = metadata
        .count
        .saturating_sub(metadata.skip)
        .min(take.unwrap_or(u64::MAX));
    assert_eq!(
        rows, expected,
        "{rows} rows, for count {} skip {} take {take:?}",
        metadata.count, metadata.skip
    );

    let paths: Vec<&str> = fields.iter().map(String::as_str).collect();
    for (i, row) in result.data.iter().enumerate() {
        check_record(row, &paths, &format!("row {i}"));
    }
});
