//! A read-only link: `define_link!(Review(field = product_id), Product, read_only)`. A
//! review's own `product_id` holds its product's id; there is no pivot table, nothing to
//! sync, and nothing of the runtime writes it. Graph queries follow it both ways: from a
//! review its `product` (one record), from a product its `reviews` (a list), in fields,
//! filters and order, in the JSON and typed forms, on both backends and drivers, and across
//! databases, in a number of statements that does not depend on the rows.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use link_runtime::databases::{Database, Databases};
use link_runtime::graph::{Condition, Graph, GraphResult, GraphSelect, Order, Query};
use link_runtime::prelude::*;
use link_runtime::{Error, LinkConnection, LinkDefinition, Storage};
use link_test_support::via;
use link_test_support::Statements;
use serde::Deserialize;
use serde_json::json;

/// A product.
#[derive(Debug, Linkable)]
#[linkable(module = "product", table = "products")]
pub struct Product {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
}

/// A review of a product, which holds the product's id itself.
#[derive(Debug, Linkable)]
#[linkable(module = "review", table = "reviews")]
pub struct Review {
    /// Its id.
    pub id: String,
    /// From 1 to 5.
    pub rating: i32,
    /// The product reviewed, if any.
    pub product_id: Option<String>,
}

/// A review's product, through the review's `product_id`.
mod review_product {
    use super::{Product, Review};
    link_runtime::define_link!(Review(field = product_id), Product, read_only);
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Product)]
struct ProductTitle {
    title: String,
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Review)]
struct ReviewRating {
    id: String,
    rating: i32,
}

/// A review with its product: one record, or none.
#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Review)]
struct ReviewWithProduct {
    id: String,
    #[graph(link)]
    product: Option<ProductTitle>,
}

/// A product with its reviews: a list.
#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Product)]
struct ProductWithReviews {
    id: String,
    #[graph(link)]
    reviews: Vec<ReviewRating>,
}

const TABLES: &str = "CREATE TABLE products (id TEXT PRIMARY KEY NOT NULL, title TEXT NOT NULL);
     CREATE TABLE reviews (id TEXT PRIMARY KEY NOT NULL, rating INTEGER NOT NULL, product_id TEXT);";

/// Two products with reviews, a review of no product, and one of a product that does not
/// exist.
const RECORDS: &str = "INSERT INTO products VALUES ('prod_1', 'Kettle'), ('prod_2', 'Anvil'), ('prod_3', 'Whisk');
     INSERT INTO reviews VALUES ('rev_1', 5, 'prod_1'), ('rev_2', 3, 'prod_1'), ('rev_3', 4, 'prod_2'),
                                ('rev_4', 1, NULL), ('rev_5', 2, 'prod_gone');";

fn setup<C: LinkConnection + SimpleConnection>(conn: &mut C) {
    conn.batch_execute(TABLES).unwrap();
    conn.batch_execute(RECORDS).unwrap();
    via::migrate(conn).unwrap();
}

/// The ids of a query's rows, in order.
fn ids(result: GraphResult<serde_json::Value>) -> Vec<String> {
    result
        .data
        .iter()
        .map(|row| row["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_read_only_link_has_no_table_and_is_not_synced() {
    let schema = <review_product::Link as LinkDefinition>::SCHEMA;
    assert_eq!(schema.storage, Storage::Field);
    assert!(schema.is_read_only());
    assert_eq!(
        (schema.left.column, schema.right.column),
        ("id", "product_id")
    );
    assert_eq!(
        (schema.left.graph_field, schema.right.graph_field),
        ("reviews", "product")
    );
    assert!(schema.left.is_list && !schema.right.is_list);
    // The sync, deletes and checks go through the links with a table only.
    let links = link_runtime::registered_links().unwrap();
    assert!(links.iter().all(|link| !link.is_read_only()), "{links:?}");

    let mut conn = link_test_support::sqlite();
    conn.batch_execute(TABLES).unwrap();
    // The sync creates its metadata table, and nothing for the link.
    let plan = link_runtime::migrate::plan(&mut conn).unwrap();
    assert!(!format!("{plan:?}").contains("review"), "{plan:?}");
    link_runtime::migrate(&mut conn).unwrap();
    assert!(link_runtime::migrate::plan(&mut conn).unwrap().is_empty());
}

link_test_support::backend_tests! {
    drivers;

    fn graph_queries_follow_a_read_only_link_both_ways(conn) {
        setup(conn);
        let reviews = via::graph(
            conn,
            Graph::entity("review")
                .fields(["id", "product.title"])
                .order("id", Order::Asc),
        )
        .unwrap();
        assert_eq!(
            reviews.data,
            [
                json!({ "id": "rev_1", "product": { "title": "Kettle" } }),
                json!({ "id": "rev_2", "product": { "title": "Kettle" } }),
                json!({ "id": "rev_3", "product": { "title": "Anvil" } }),
                json!({ "id": "rev_4", "product": null }),
                json!({ "id": "rev_5", "product": null }),
            ]
        );

        let products = via::graph(
            conn,
            Graph::entity("product")
                .fields(["id", "reviews.*"])
                .order("id", Order::Asc),
        )
        .unwrap();
        assert_eq!(
            products.data,
            [
                json!({ "id": "prod_1", "reviews": [
                    { "id": "rev_1", "rating": 5, "product_id": "prod_1" },
                    { "id": "rev_2", "rating": 3, "product_id": "prod_1" },
                ] }),
                json!({ "id": "prod_2", "reviews": [{ "id": "rev_3", "rating": 4, "product_id": "prod_2" }] }),
                json!({ "id": "prod_3", "reviews": [] }),
            ]
        );

        // Nested: from a product to its reviews and back.
        let nested = via::graph(
            conn,
            Graph::entity("product")
                .fields(["id", "reviews.id", "reviews.product.title"])
                .filter("id", "prod_2"),
        )
        .unwrap();
        assert_eq!(
            nested.data,
            [json!({ "id": "prod_2", "reviews": [{ "id": "rev_3", "product": { "title": "Kettle" } }] })]
                .map(|mut row| {
                    row["reviews"][0]["product"]["title"] = json!("Anvil");
                    row
                })
        );
    }

    fn typed_queries_follow_a_read_only_link(conn) {
        setup(conn);
        let reviews = via::graph(conn, ReviewWithProduct::graph().order(|r| r.id.asc())).unwrap();
        let titles: Vec<(String, Option<String>)> = reviews
            .data
            .into_iter()
            .map(|review| (review.id, review.product.map(|p| p.title)))
            .collect();
        let some = |title: &str| Some(title.to_owned());
        assert_eq!(
            titles,
            [
                ("rev_1".to_owned(), some("Kettle")),
                ("rev_2".to_owned(), some("Kettle")),
                ("rev_3".to_owned(), some("Anvil")),
                ("rev_4".to_owned(), None),
                ("rev_5".to_owned(), None),
            ]
        );
        let products = via::graph(conn, ProductWithReviews::graph().order(|p| p.id.asc())).unwrap();
        let reviewed: Vec<(String, Vec<i32>)> = products
            .data
            .into_iter()
            .map(|product| (product.id, product.reviews.into_iter().map(|r| r.rating).collect()))
            .collect();
        assert_eq!(
            reviewed,
            [
                ("prod_1".to_owned(), vec![5, 3]),
                ("prod_2".to_owned(), vec![4]),
                ("prod_3".to_owned(), vec![]),
            ]
        );
    }

    fn a_read_only_link_has_no_link_row(conn) {
        setup(conn);
        // No pivot, so no row beside the record: `{field}_link` is no field, from either
        // side, in fields and filters.
        for (entity, field) in [("review", "product_link"), ("product", "reviews_link")] {
            let paths = [format!("{field}.id"), field.to_owned()];
            for path in paths {
                let error = via::graph(conn, Graph::entity(entity).fields([path.as_str()]))
                    .unwrap_err();
                assert!(
                    matches!(&error, Error::UnknownField { entity: e, field: f, .. }
                        if e == entity && f == field),
                    "{error:?}"
                );
            }
            let error = via::graph(conn, Graph::entity(entity).filter(format!("{field}.id"), "x"))
                .unwrap_err();
            assert!(matches!(error, Error::UnknownField { .. }), "{error:?}");
        }
        let error = via::graph(conn, Graph::entity("review").fields(["product_link.id"]))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "`review` has no field `product_link` (known: id, rating, product_id, product)"
        );
    }

    fn filters_order_and_pages_go_through_a_read_only_link(conn) {
        setup(conn);
        // From products, through the list of reviews.
        let well_reviewed = via::graph(
            conn,
            Graph::entity("product")
                .fields(["id"])
                .filter("reviews.rating", Condition::ge(4))
                .order("id", Order::Asc),
        )
        .unwrap();
        assert_eq!(ids(well_reviewed), ["prod_1", "prod_2"]);
        // From reviews, through their product.
        let of_kettles = via::graph(
            conn,
            Graph::entity("review").fields(["id"]).filter("product.title", "Kettle").order("id", Order::Asc),
        )
        .unwrap();
        assert_eq!(ids(of_kettles), ["rev_1", "rev_2"]);
        // Ordered by the product's title: the reviews of no product, or of a missing one,
        // last.
        let ordered = via::graph(
            conn,
            Graph::entity("review")
                .fields(["id"])
                .order("product.title", Order::Asc)
                .order("id", Order::Desc),
        )
        .unwrap();
        assert_eq!(ids(ordered), ["rev_3", "rev_2", "rev_1", "rev_5", "rev_4"]);
        // A product's reviews are a list: no order through them.
        let refused = via::graph(
            conn,
            Graph::entity("product").fields(["id"]).order("reviews.rating", Order::Asc),
        )
        .unwrap_err();
        assert!(matches!(refused, Error::InvalidOrder { .. }), "{refused:?}");
        // A page, with its count.
        let page = via::graph(
            conn,
            Graph::entity("review")
                .fields(["id", "product.title"])
                .filter("product.title", "Kettle")
                .order("id", Order::Desc)
                .skip(1)
                .take(1),
        )
        .unwrap();
        assert_eq!(page.data, [json!({ "id": "rev_1", "product": { "title": "Kettle" } })]);
        assert_eq!(page.metadata.count, 2);
        let page = via::graph(
            conn,
            Graph::entity("product").fields(["id", "reviews.id"]).order("id", Order::Asc).take(1),
        )
        .unwrap();
        assert_eq!(page.data, [json!({ "id": "prod_1", "reviews": [{ "id": "rev_1" }, { "id": "rev_2" }] })]);
        assert_eq!(page.metadata.count, 3);
    }
}

/// How many statements each query runs over `reviews` reviews of ten products.
fn statements_with(reviews: usize) -> Vec<usize> {
    let mut conn = link_test_support::sqlite();
    conn.batch_execute(TABLES).unwrap();
    let mut insert = String::new();
    for product in 0..10 {
        insert += &format!("INSERT INTO products VALUES ('prod_{product}', 'Title {product}');");
    }
    for review in 0..reviews {
        insert += &format!(
            "INSERT INTO reviews VALUES ('rev_{review}', {}, 'prod_{}');",
            review % 5 + 1,
            review % 10
        );
    }
    conn.batch_execute(&insert).unwrap();
    let statements = Statements::record(&mut conn);
    let queries = [
        Graph::entity("review").fields(["id", "product.*"]),
        Graph::entity("product").fields(["id", "reviews.*"]),
        Graph::entity("product").fields(["id", "reviews.id", "reviews.product.title"]),
        Graph::entity("product")
            .fields(["id"])
            .filter("reviews.rating", Condition::ge(4)),
        Graph::entity("review")
            .fields(["id"])
            .filter("product.title", "Title 1")
            .order("product.title", Order::Asc)
            .take(5),
    ];
    queries
        .into_iter()
        .map(|query| {
            statements.take();
            Query::new(&mut conn).graph(query).unwrap();
            statements.take().len()
        })
        .collect()
}

#[test]
fn statements_depend_on_the_query_never_on_the_rows() {
    let few = statements_with(10);
    assert_eq!(few, statements_with(1_000));
    // Each query reads one snapshot: `BEGIN` and `COMMIT` around its statements. The root
    // joins its product; the reviews of products take one statement more.
    assert_eq!(few, [3, 4, 4, 3, 4]);
}

/// A review module in one database, a product module in another, and the links' database
/// (with no table of this link) a third.
fn across<C: LinkConnection + SimpleConnection + 'static>(
    links: Database<C>,
    products: Database<C>,
    reviews: Database<C>,
) {
    let databases = Databases::new(&links)
        .module("product", &products)
        .module("review", &reviews);
    let (product_tables, review_tables) = TABLES.split_once(';').unwrap();
    let (product_rows, review_rows) = RECORDS.split_once(';').unwrap();
    databases
        .for_module("product")
        .unwrap()
        .batch_execute(&format!("{product_tables}; {product_rows};"))
        .unwrap();
    databases
        .for_module("review")
        .unwrap()
        .batch_execute(&format!("{review_tables} {review_rows}"))
        .unwrap();
    // Nothing to create: the read-only link has no table.
    let synced = databases.migrate().unwrap();
    assert!(synced
        .iter()
        .all(|(_, applied)| applied.tables_created().next().is_none()));

    let graph = |graph: Graph| Query::across(&databases).graph(graph).unwrap();
    let reviews_of = graph(
        Graph::entity("review")
            .fields(["id", "product.title"])
            .order("id", Order::Asc),
    );
    assert_eq!(
        reviews_of.data[0],
        json!({ "id": "rev_1", "product": { "title": "Kettle" } })
    );
    assert_eq!(
        reviews_of.data[3],
        json!({ "id": "rev_4", "product": null })
    );
    assert_eq!(
        reviews_of.data[4],
        json!({ "id": "rev_5", "product": null })
    );
    let products_of = graph(
        Graph::entity("product")
            .fields(["id", "reviews.id"])
            .order("id", Order::Asc),
    );
    assert_eq!(
        products_of.data,
        [
            json!({ "id": "prod_1", "reviews": [{ "id": "rev_1" }, { "id": "rev_2" }] }),
            json!({ "id": "prod_2", "reviews": [{ "id": "rev_3" }] }),
            json!({ "id": "prod_3", "reviews": [] }),
        ]
    );
    let of_kettles = graph(
        Graph::entity("review")
            .fields(["id"])
            .filter("product.title", "Kettle")
            .order("id", Order::Asc),
    );
    assert_eq!(ids(of_kettles), ["rev_1", "rev_2"]);
    let well_reviewed = graph(
        Graph::entity("product")
            .fields(["id"])
            .filter("reviews.rating", Condition::ge(4))
            .order("id", Order::Asc)
            .take(1),
    );
    assert_eq!(well_reviewed.metadata.count, 2);
    assert_eq!(ids(well_reviewed), ["prod_1"]);
    // No statement reads two databases: an order through the link is refused, as through
    // a pivot in another database.
    let refused = Query::across(&databases)
        .graph(
            Graph::entity("review")
                .fields(["id"])
                .order("product.title", Order::Asc),
        )
        .unwrap_err();
    assert!(matches!(refused, Error::InvalidOrder { .. }), "{refused:?}");
}

#[test]
fn sqlite_read_only_links_reach_across_databases() {
    let folder = link_test_support::SqliteFolder::new("read-only-across");
    let file = |name: &str| {
        let path = folder.file(name);
        Database::connect(name, move || SqliteConnection::establish(&path))
    };
    across(file("links"), file("products"), file("reviews"));
}

#[test]
fn postgres_read_only_links_reach_across_databases() {
    let Some(created) = (0..3)
        .map(|_| link_test_support::postgres_database("read_only_across"))
        .collect::<Option<Vec<_>>>()
    else {
        eprintln!("skipped: LINK_TEST_POSTGRES_URL is not set");
        return;
    };
    let connect = |name: &str, database: &link_test_support::PgDatabase| {
        let url = database.url().to_owned();
        Database::connect(name, move || PgConnection::establish(&url))
    };
    across(
        connect("links", &created[0]),
        connect("products", &created[1]),
        connect("reviews", &created[2]),
    );
}
