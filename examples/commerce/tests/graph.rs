//! Graph queries on the commerce modules, on real SQLite databases: both directions, nesting,
//! filters through links (a pivot link, and the read-only link a review's own `product_id`
//! holds), pagination, deleted links, the link as an entity and its row beside a record,
//! bad input, and the number of statements a query costs as the data grows.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::prelude::*;
use diesel::SqliteConnection;
use link_runtime::databases::{Checkout, ConnectionSource, Database, Databases, SourceError};
use link_runtime::graph::{Condition, Filter, Graph, GraphResult, Order, Query};
use link_runtime::Error;
use serde_json::{json, Value};

/// The demo's database: brands, products, customers and reviews, linked, with `rev_3`
/// taken off `prod_1` (its `product_id` cleared), and the brand link of `prod_4`, whose
/// launch was undone, dismissed.
fn demo() -> SqliteConnection {
    let conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite opens");
    let conn = Arc::new(Mutex::new(conn));
    let database = Database::new("demo", Lent(Arc::clone(&conn)));
    commerce::run(&Databases::new(&database), &mut std::io::sink()).expect("the demo runs");
    drop(database);
    Arc::into_inner(conn)
        .expect("the database gave the connection back")
        .into_inner()
        .expect("no checkout panicked")
}

/// One connection lent to a [`Database`], everything in it, and taken back once the
/// database is dropped.
struct Lent(Arc<Mutex<SqliteConnection>>);

impl ConnectionSource<SqliteConnection> for Lent {
    fn checkout(&self) -> Result<Checkout<'_, SqliteConnection>, SourceError> {
        let conn = self.0.try_lock().map_err(|error| error.to_string())?;
        Ok(Checkout::new(conn))
    }
}

fn graph(conn: &mut SqliteConnection, graph: Graph) -> GraphResult<Value> {
    Query::new(conn).graph(graph).expect("the query runs")
}

fn error(conn: &mut SqliteConnection, graph: Graph) -> Error {
    Query::new(conn)
        .graph(graph)
        .expect_err("the query is refused")
}

#[test]
fn a_product_has_one_brand_and_a_brand_a_list_of_products() {
    let mut conn = demo();
    let products = graph(
        &mut conn,
        Graph::entity("product")
            .fields(["id", "title", "brand.*"])
            .order("id", Order::Asc),
    );
    assert_eq!(
        products.data,
        [
            json!({ "id": "prod_1", "title": "Trail Runner",
                    "brand": { "id": "brand_1", "name": "Acme Outdoor" } }),
            json!({ "id": "prod_2", "title": "Rain Shell",
                    "brand": { "id": "brand_1", "name": "Acme Outdoor" } }),
            json!({ "id": "prod_3", "title": "Espresso Beans",
                    "brand": { "id": "brand_2", "name": "Nordic Roast" } }),
        ]
    );
    assert_eq!(products.metadata.count, 3);

    let brands = graph(
        &mut conn,
        Graph::entity("brand")
            .fields(["name", "products.id"])
            .order("name", Order::Asc),
    );
    assert_eq!(
        brands.data,
        [
            json!({ "name": "Acme Outdoor", "products": [{ "id": "prod_1" }, { "id": "prod_2" }] }),
            json!({ "name": "Nordic Roast", "products": [{ "id": "prod_3" }] }),
        ]
    );
}

#[test]
fn three_levels_review_to_product_to_brand() {
    let mut conn = demo();
    let reviews = graph(
        &mut conn,
        Graph::entity("review")
            .fields(["id", "product.title", "product.brand.name", "author.email"])
            .order("id", Order::Asc),
    );
    assert_eq!(
        reviews.data,
        [
            json!({ "id": "rev_1", "author": { "email": "ada@example.com" },
                    "product": { "title": "Trail Runner", "brand": { "name": "Acme Outdoor" } } }),
            json!({ "id": "rev_2", "author": { "email": "grace@example.com" },
                    "product": { "title": "Espresso Beans", "brand": { "name": "Nordic Roast" } } }),
            // rev_3 was taken off its product: a review that holds no product id has none.
            json!({ "id": "rev_3", "author": { "email": "grace@example.com" }, "product": null }),
        ]
    );

    // The other way round, two levels down a list.
    let products = graph(
        &mut conn,
        Graph::entity("product")
            .fields(["id", "reviews.rating", "reviews.author.email"])
            .filter("id", "prod_1"),
    );
    assert_eq!(
        products.data,
        [json!({ "id": "prod_1",
                 "reviews": [{ "rating": 5, "author": { "email": "ada@example.com" } }] })]
    );
}

#[test]
fn dismissed_links_are_hidden_unless_asked_for() {
    let mut conn = demo();
    // The launch of prod_4 linked it to Nordic Roast, then dismissed the link (and deleted
    // the product).
    let query = || {
        Graph::entity("brand")
            .fields(["products_link.product_id", "products_link.deleted_at"])
            .filter("id", "brand_2")
    };
    let live = graph(&mut conn, query());
    assert_eq!(
        live.data,
        [json!({ "products_link": [{ "product_id": "prod_3", "deleted_at": null }] })]
    );
    let all = graph(&mut conn, query().with_deleted());
    let rows = all.data[0]["products_link"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1]["product_id"], "prod_4");
    assert!(rows[1]["deleted_at"].is_string(), "{rows:?}");

    // A read-only link has no dismissed links: a review is about the product it holds.
    let reviews = || {
        Graph::entity("product")
            .fields(["reviews.id"])
            .filter("id", "prod_1")
    };
    assert_eq!(
        graph(&mut conn, reviews()).data,
        [json!({ "reviews": [{ "id": "rev_1" }] })]
    );
    assert_eq!(
        graph(&mut conn, reviews().with_deleted()).data,
        graph(&mut conn, reviews()).data
    );
}

#[test]
fn pages_and_orders_including_by_a_linked_field() {
    let mut conn = demo();
    let page = graph(
        &mut conn,
        Graph::entity("product")
            .fields(["title"])
            .order("title", Order::Desc)
            .skip(1)
            .take(1),
    );
    assert_eq!(page.data, [json!({ "title": "Rain Shell" })]);
    assert_eq!(
        (page.metadata.count, page.metadata.skip, page.metadata.take),
        (3, 1, Some(1))
    );

    // By the brand's name (one brand per product, so one value per row), then the title.
    let by_brand = graph(
        &mut conn,
        Graph::entity("product")
            .fields(["id"])
            .order("brand.name", Order::Desc)
            .order("title", Order::Asc),
    );
    let ids: Vec<&str> = by_brand
        .data
        .iter()
        .map(|row| row["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["prod_3", "prod_2", "prod_1"]);

    // A list side has many values per row: refused, not silently one of them.
    let refused = error(
        &mut conn,
        Graph::entity("brand").order("products.title", Order::Asc),
    );
    assert!(matches!(refused, Error::InvalidOrder { .. }), "{refused}");
}

#[test]
fn filters_by_value_list_comparison_pattern_and_linked_field() {
    let mut conn = demo();
    let ids = |result: GraphResult<Value>| -> Vec<String> {
        result
            .data
            .iter()
            .map(|row| row["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let by_brand = graph(
        &mut conn,
        Graph::entity("product")
            .fields(["id"])
            .filter("brand.name", "Acme Outdoor")
            .order("id", Order::Asc),
    );
    assert_eq!(ids(by_brand), ["prod_1", "prod_2"]);

    let listed = graph(
        &mut conn,
        Graph::entity("product")
            .fields(["id"])
            .filter("id", ["prod_3", "prod_1", "prod_9"])
            .order("id", Order::Asc),
    );
    assert_eq!(ids(listed), ["prod_1", "prod_3"]);

    let good = graph(
        &mut conn,
        Graph::entity("review")
            .fields(["id"])
            .filter("rating", Condition::ge(4))
            .order("id", Order::Asc),
    );
    assert_eq!(ids(good), ["rev_1", "rev_2"]);

    let either = graph(
        &mut conn,
        Graph::entity("product")
            .fields(["id"])
            .filter_by(Filter::or([
                Filter::field("title", Condition::like("%Shell")),
                Filter::field("brand.name", "Nordic Roast"),
            ]))
            .order("id", Order::Asc),
    );
    assert_eq!(ids(either), ["prod_2", "prod_3"]);

    // Two links deep: products with a review by ada.
    let reviewed_by_ada = graph(
        &mut conn,
        Graph::entity("product")
            .fields(["id"])
            .filter("reviews.author.email", "ada@example.com"),
    );
    assert_eq!(ids(reviewed_by_ada), ["prod_1"]);

    // Grace's review taken off prod_1 is not about it, with deleted links or not: the
    // review holds no product.
    let by_grace = || {
        Graph::entity("product")
            .fields(["id"])
            .filter("reviews.author.email", "grace@example.com")
            .order("id", Order::Asc)
    };
    assert_eq!(ids(graph(&mut conn, by_grace())), ["prod_3"]);
    assert_eq!(ids(graph(&mut conn, by_grace().with_deleted())), ["prod_3"]);
}

#[test]
fn a_json_query_runs_as_the_built_one() {
    let mut conn = demo();
    let json_query = json!({
        "entity": "product",
        "fields": ["id", "brand.name"],
        "filters": { "brand": { "name": "Acme Outdoor" }, "id": { "$ne": "prod_1" } },
        "pagination": { "skip": 0, "take": 10, "order": { "id": "DESC" } },
    });
    let from_json = graph(&mut conn, Graph::from_json(json_query).unwrap());
    assert_eq!(
        from_json.data,
        [json!({ "id": "prod_2", "brand": { "name": "Acme Outdoor" } })]
    );
    assert_eq!(from_json.metadata.count, 1);
    let serialized = serde_json::to_value(&from_json).unwrap();
    assert_eq!(
        serialized["metadata"],
        json!({ "count": 1, "skip": 0, "take": 10, "next_cursor": null })
    );

    for (bad, says) in [
        (json!(["product"]), "a graph query is a JSON object"),
        (json!({ "fields": ["id"] }), "`entity` is missing"),
        (
            json!({ "entity": "product", "fields": "id" }),
            "`fields` is an array",
        ),
        (
            json!({ "entity": "product", "filters": { "id": { "$regex": "x" } } }),
            "unknown operator `$regex`",
        ),
        (
            json!({ "entity": "product", "pagination": { "take": -1 } }),
            "`take` is a non-negative integer",
        ),
        (
            json!({ "entity": "product", "limit": 3 }),
            "unknown key `limit`",
        ),
    ] {
        let error = Graph::from_json(bad).unwrap_err();
        assert!(
            matches!(error, Error::MalformedQuery { .. }) && error.to_string().contains(says),
            "{error} should say {says}"
        );
    }
}

#[test]
fn the_link_is_an_entity_with_both_sides() {
    let mut conn = demo();
    let links = graph(
        &mut conn,
        Graph::entity("product_product_brand_brand")
            .fields(["product_id", "brand_id", "product.title", "brand.name"])
            .filter("deleted_at", Condition::IsNotNull)
            .with_deleted(),
    );
    // The launch's link, dismissed; its product was deleted.
    assert_eq!(
        links.data,
        [json!({ "product_id": "prod_4", "brand_id": "brand_2",
                 "product": null, "brand": { "name": "Nordic Roast" } })]
    );

    // The same row beside its product: `brand_link`.
    let beside = graph(
        &mut conn,
        Graph::entity("product")
            .fields(["id", "brand.name", "brand_link.brand_id"])
            .filter("id", "prod_3"),
    );
    assert_eq!(
        beside.data,
        [json!({ "id": "prod_3", "brand": { "name": "Nordic Roast" },
                 "brand_link": { "brand_id": "brand_2" } })]
    );

    // Pivot rows filtered by a side's field; timestamps come back in ISO 8601.
    let acme = graph(
        &mut conn,
        Graph::entity("product_product_brand_brand")
            .fields(["*"])
            .filter("brand.name", "Acme Outdoor"),
    );
    assert_eq!(acme.metadata.count, 2);
    let created = acme.data[0]["created_at"].as_str().unwrap();
    assert!(
        created.len() >= 19 && created.as_bytes()[10] == b'T',
        "{created}"
    );
    assert!(acme.data[0]["deleted_at"].is_null());
}

#[test]
fn bad_names_are_typed_errors_and_never_reach_the_sql() {
    let mut conn = demo();

    match error(&mut conn, Graph::entity("products")) {
        Error::UnknownEntity { entity, known } => {
            assert_eq!(entity, "products");
            for name in [
                "brand",
                "customer",
                "product",
                "review",
                "product_product_brand_brand",
            ] {
                assert!(known.iter().any(|k| k == name), "{name} in {known:?}");
            }
        }
        other => panic!("expected an unknown entity, got {other:?}"),
    }

    // Medusa ignores a link field that is not there; here it names the known ones.
    match error(
        &mut conn,
        Graph::entity("product").fields(["id", "brands.*"]),
    ) {
        Error::UnknownField {
            entity,
            field,
            known,
        } => {
            assert_eq!((entity.as_str(), field.as_str()), ("product", "brands"));
            assert_eq!(known, ["id", "title", "brand", "brand_link", "reviews"]);
        }
        other => panic!("expected an unknown field, got {other:?}"),
    }

    let unknown_filter = error(&mut conn, Graph::entity("product").filter("price", 3));
    assert!(
        matches!(&unknown_filter, Error::UnknownField { field, .. } if field == "price"),
        "{unknown_filter}"
    );
    let wrong_type = error(&mut conn, Graph::entity("review").filter("rating", "five"));
    assert!(
        matches!(&wrong_type, Error::InvalidFilter { field, .. } if field == "rating"),
        "{wrong_type}"
    );
    let not_a_link = error(&mut conn, Graph::entity("product").fields(["title.length"]));
    assert!(
        matches!(not_a_link, Error::MalformedQuery { .. }),
        "{not_a_link}"
    );

    // Attempts to inject SQL through names are unknown names.
    for entity in [
        "product; DROP TABLE product",
        "product\" --",
        "sqlite_master",
    ] {
        let refused = error(&mut conn, Graph::entity(entity));
        assert!(matches!(refused, Error::UnknownEntity { .. }), "{refused}");
    }
    for field in [
        "id\" FROM product; DROP TABLE product; --",
        "*, sqlite_version()",
    ] {
        let refused = error(&mut conn, Graph::entity("product").fields([field]));
        assert!(matches!(refused, Error::UnknownField { .. }), "{refused}");
    }
    let refused = error(
        &mut conn,
        Graph::entity("product").order("title DESC; DROP TABLE product", Order::Asc),
    );
    assert!(matches!(refused, Error::UnknownField { .. }), "{refused}");

    // A value is bound, whatever it holds.
    let none = graph(
        &mut conn,
        Graph::entity("product").filter("title", "x' OR '1'='1"),
    );
    assert!(none.data.is_empty());
    let still_there = graph(&mut conn, Graph::entity("product"));
    assert_eq!(still_there.metadata.count, 3);
}

/// Records every query the connection runs: the statements that read or write, not those
/// that open and end the transaction a graph query reads its snapshot in.
fn record_statements(conn: &mut SqliteConnection) -> Arc<Mutex<Vec<String>>> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let sql = query.to_string();
            if !matches!(sql.as_str(), "BEGIN" | "COMMIT" | "ROLLBACK") {
                sink.lock().unwrap().push(sql);
            }
        }
    });
    log
}

fn stop_recording(conn: &mut SqliteConnection) {
    conn.set_instrumentation(Option::<Box<dyn Instrumentation>>::None);
}

/// A commerce database with `products` products, one brand per ten products, a review per
/// product (which holds the product's id) by one of ten customers, all linked.
fn catalog(products: usize) -> SqliteConnection {
    let mut conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite opens");
    commerce::modules::product::migrate(&mut conn).unwrap();
    commerce::modules::brand::migrate(&mut conn).unwrap();
    commerce::modules::customer::migrate(&mut conn).unwrap();
    commerce::modules::review::migrate(&mut conn).unwrap();
    link_runtime::migrate(&mut conn).unwrap();
    let brands = products.div_ceil(10);
    conn.batch_execute(&format!(
        "BEGIN;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {products})
         INSERT INTO product (id, title) SELECT printf('prod_%06d', i), 'Product ' || i FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {brands})
         INSERT INTO brand (id, name) SELECT printf('brand_%05d', i), 'Brand ' || i FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
         INSERT INTO customer (id, email) SELECT 'cus_' || i, 'c' || i || '@example.com' FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {products})
         INSERT INTO review (id, rating, body, product_id)
             SELECT printf('rev_%06d', i), 1 + i % 5, 'ok', printf('prod_%06d', i) FROM n;
         INSERT INTO product_product_brand_brand (id, product_id, brand_id)
             SELECT 'link_b' || rowid, id, printf('brand_%05d', 1 + (rowid - 1) / 10) FROM product;
         INSERT INTO review_review_customer_customer (id, review_id, customer_id)
             SELECT 'link_c' || rowid, id, 'cus_' || (1 + rowid % 10) FROM review;
         COMMIT;"
    ))
    .expect("the catalog is generated");
    conn
}

#[test]
fn the_storefront_listing_is_one_statement_on_one_database() {
    let mut conn = demo();
    let log = record_statements(&mut conn);
    let database = Database::from_connection(conn);
    let listed =
        commerce::listing::products(&Databases::new(&database)).expect("the listing reads");
    stop_recording(&mut database.checkout().expect("the connection is free"));
    assert_eq!(listed.len(), 3);
    // The products with their brands (one live brand at most: joined) and their reviews
    // counted, in one statement; no review is read.
    let log = log.lock().unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0].contains("COUNT(*)"), "{log:?}");
}

#[test]
fn with_a_database_per_module_each_statement_runs_where_its_table_is() {
    let memory = || {
        let conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite opens");
        Database::from_connection(conn)
    };
    let links = memory();
    let modules: Vec<(&str, Database<SqliteConnection>)> = commerce::MODULES
        .iter()
        .map(|&module| (module, memory()))
        .collect();
    let databases = modules
        .iter()
        .fold(Databases::new(&links), |databases, (module, database)| {
            databases.module(*module, database)
        });
    let together = commerce::run(&databases, &mut std::io::sink()).expect("the demo runs");

    let mut logs = vec![("links", record_statements(&mut links.checkout().unwrap()))];
    for (module, database) in &modules {
        logs.push((module, record_statements(&mut database.checkout().unwrap())));
    }
    let listed = commerce::listing::products(&databases).expect("the listing reads");
    assert_eq!(listed, together.products);
    assert_eq!(listed.len(), 3);

    let count = |name: &str| {
        let (_, log) = logs.iter().find(|(database, _)| *database == name).unwrap();
        let statements = log.lock().unwrap().clone();
        // Each statement reads the tables of its own database, and no module's table
        // elsewhere.
        let own: Vec<&str> = if name == "links" {
            use commerce::links::{product_brand, review_customer};
            vec![product_brand::Link::TABLE, review_customer::Link::TABLE]
        } else {
            vec![name]
        };
        for statement in &statements {
            assert!(
                own.iter()
                    .any(|table| statement.contains(&format!("FROM \"{table}\""))),
                "{name}: {statement}"
            );
            for table in commerce::MODULES.into_iter().filter(|&table| table != name) {
                let table = format!("\"{table}\"");
                assert!(!statement.contains(&table), "{name}: {statement}");
            }
        }
        statements.len()
    };
    // Four statements: no join reaches another database, so the products, then the brand
    // link's pivot in links' database, and the brands and the reviews (found by the
    // product ids they hold), each in its module's.
    assert_eq!(
        ["product", "links", "brand", "review", "customer"].map(count),
        [1, 1, 1, 1, 0]
    );
}

#[test]
fn statements_depend_on_the_query_not_on_the_rows() {
    let query = || {
        Graph::entity("product").fields([
            "id",
            "title",
            "brand.name",
            "reviews.rating",
            "reviews.author.email",
        ])
    };
    let mut counts = Vec::new();
    for products in [10, 1_000, 10_000] {
        let mut conn = catalog(products);
        let log = record_statements(&mut conn);
        let started = Instant::now();
        let result = graph(&mut conn, query());
        let elapsed = started.elapsed();
        stop_recording(&mut conn);

        assert_eq!(result.data.len(), products);
        let last = &result.data[products - 1];
        assert_eq!(last["brand"]["name"], format!("Brand {}", products / 10));
        assert_eq!(last["reviews"].as_array().unwrap().len(), 1);
        assert!(last["reviews"][0]["author"]["email"].is_string());

        let statements = log.lock().unwrap().len();
        eprintln!("{products} products: {statements} statements in {elapsed:?}");
        counts.push(statements);
    }
    // The products joined with their one brand; the reviews that hold their ids, joined
    // with their one customer.
    assert_eq!(counts, [2, 2, 2]);
}

#[test]
fn a_page_filtered_by_brand_over_a_hundred_thousand_products_is_a_fixed_cost() {
    let mut conn = catalog(100_000);
    let log = record_statements(&mut conn);
    let started = Instant::now();
    let page = graph(
        &mut conn,
        Graph::entity("product")
            .fields(["id", "title", "brand.name"])
            .filter("brand.name", "Brand 4242")
            .order("title", Order::Asc)
            .take(12),
    );
    let elapsed = started.elapsed();
    stop_recording(&mut conn);

    assert_eq!(page.metadata.count, 10, "ten products per brand");
    assert_eq!(page.data.len(), 10);
    assert!(page
        .data
        .iter()
        .all(|row| row["brand"]["name"] == "Brand 4242"));

    let statements = log.lock().unwrap().clone();
    eprintln!(
        "page of 12 filtered by brand name over 100,000 products: {} statements in {elapsed:?}",
        statements.len()
    );
    // The page with its brands joined, and its count.
    assert_eq!(statements.len(), 2, "{statements:#?}");
    // No statement carries a list that grows with the table: the filter is a semi-join,
    // and the hops bind the page's ids only.
    for statement in &statements {
        assert!(statement.len() < 1_500, "{statement}");
    }
}

mod typed {
    use commerce::modules::{brand::Brand, customer::Customer, product::Product, review::Review};
    use diesel::SqliteConnection;
    use link_runtime::graph::{GraphSelect, Query};
    use link_runtime::Error;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Deserialize, GraphSelect)]
    #[graph(entity = Product)]
    struct ProductCard {
        id: String,
        title: String,
        #[graph(link)]
        brand: Option<BrandName>,
        #[graph(link)]
        reviews: Vec<ReviewLine>,
    }

    #[derive(Debug, PartialEq, Deserialize, GraphSelect)]
    #[graph(entity = Brand)]
    struct BrandName {
        name: String,
    }

    #[derive(Debug, PartialEq, Deserialize, GraphSelect)]
    #[graph(entity = Review)]
    struct ReviewLine {
        rating: i32,
        #[graph(link)]
        author: Option<Author>,
    }

    #[derive(Debug, PartialEq, Deserialize, GraphSelect)]
    #[graph(entity = Customer)]
    struct Author {
        email: String,
    }

    fn demo() -> SqliteConnection {
        super::demo()
    }

    #[test]
    fn a_typed_query_reads_into_the_structs_that_select_it() {
        let mut conn = demo();
        assert_eq!(
            ProductCard::field_paths(),
            [
                "id",
                "title",
                "brand.name",
                "reviews.rating",
                "reviews.author.email"
            ]
        );
        let cards = Query::new(&mut conn)
            .graph(
                ProductCard::graph()
                    .filter_linked::<Brand, _>(|brand| brand.name.eq("Acme Outdoor"))
                    .order(|product| product.title.desc()),
            )
            .unwrap();
        assert_eq!(cards.metadata.count, 2);
        assert_eq!(
            cards.data,
            [
                ProductCard {
                    id: "prod_1".into(),
                    title: "Trail Runner".into(),
                    brand: Some(BrandName {
                        name: "Acme Outdoor".into()
                    }),
                    reviews: vec![ReviewLine {
                        rating: 5,
                        author: Some(Author {
                            email: "ada@example.com".into()
                        }),
                    }],
                },
                ProductCard {
                    id: "prod_2".into(),
                    title: "Rain Shell".into(),
                    brand: Some(BrandName {
                        name: "Acme Outdoor".into()
                    }),
                    reviews: vec![],
                },
            ]
        );

        let picked = Query::new(&mut conn)
            .graph(
                ProductCard::graph()
                    .filter(|product| {
                        product
                            .id
                            .eq_any(["prod_1", "prod_3"])
                            .and(product.title.like("%Beans"))
                    })
                    .take(5),
            )
            .unwrap();
        let ids: Vec<&str> = picked.data.iter().map(|card| card.id.as_str()).collect();
        assert_eq!(ids, ["prod_3"]);
    }

    #[test]
    fn a_row_that_does_not_fit_its_struct_is_a_typed_error() {
        #[derive(Debug, Deserialize, GraphSelect)]
        #[graph(entity = Review)]
        struct Misread {
            // The column is an integer.
            #[allow(dead_code, reason = "never read: deserializing fails")]
            rating: String,
        }
        let mut conn = demo();
        let error = Query::new(&mut conn).graph(Misread::graph()).unwrap_err();
        assert!(
            matches!(
                error,
                Error::Deserialize {
                    entity: "review",
                    ..
                }
            ),
            "{error}"
        );
    }
}
