//! Pages inside each record and counts of linked records where the links' database is
//! not the records' (products, brands and links in three databases: SQLite in memory, and
//! three PostgreSQL schemas when configured), filters and keyset pages ordered by those
//! counts, against a model of random catalogs; and the statements they run, the same
//! number at 10, 1,000 and 10,000 products.
//!
//! Each database holds only its own tables, so a statement that read a table of another
//! would fail: the pages are cut, and the counts counted, in the application.

use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};
use link_runtime::databases::{Database, Databases};
use link_runtime::graph::{Condition, Graph, Nested, Order, Query};
use link_runtime::LinkConnection;
use link_test_support::Statements;
use link_tests::links::product_brand;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;

mod common;
use common::catalog::{catalogs, pages_asked, Catalog, SIZES};

/// Products, brands and links, each in a database of its own, with the statements each
/// connection runs.
struct Three<C> {
    products: Database<C>,
    brands: Database<C>,
    links: Database<C>,
    statements: Vec<Statements>,
}

impl<C: LinkConnection + SimpleConnection + 'static> Three<C> {
    /// The three databases, from one connection each, their tables created.
    fn new(mut products: C, mut brands: C, mut links: C) -> Self {
        products
            .batch_execute(
                "CREATE TABLE products (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL)",
            )
            .unwrap();
        brands
            .batch_execute("CREATE TABLE brands (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL)")
            .unwrap();
        let statements = vec![
            Statements::record(&mut products),
            Statements::record(&mut brands),
            Statements::record(&mut links),
        ];
        let three = Three {
            products: Database::from_connection(products).named("products"),
            brands: Database::from_connection(brands).named("brands"),
            links: Database::from_connection(links).named("links"),
            statements,
        };
        three.databases().migrate().unwrap();
        three
    }

    fn databases(&self) -> Databases<C> {
        Databases::new(&self.links)
            .module("product", &self.products)
            .module("brand", &self.brands)
    }

    /// Replaces the rows of every database with `catalog`'s.
    fn store(&self, catalog: &Catalog) {
        let databases = self.databases();
        let mut sql = String::from("DELETE FROM products;");
        for (i, (name, _)) in catalog.products.iter().enumerate() {
            sql += &format!("INSERT INTO products VALUES ('prod_{i}', '{name}');");
        }
        databases
            .for_module("product")
            .unwrap()
            .batch_execute(&sql)
            .unwrap();
        let mut sql = String::from("DELETE FROM brands;");
        for brand in 0..catalog.brands {
            sql += &format!("INSERT INTO brands VALUES ('brand_{brand}', 'Brand {brand}');");
        }
        databases
            .for_module("brand")
            .unwrap()
            .batch_execute(&sql)
            .unwrap();
        let mut links = databases.for_link::<product_brand::Link>().unwrap();
        links
            .batch_execute(&format!("DELETE FROM {}", product_brand::Link::TABLE))
            .unwrap();
        product_brand::Link::create_many(&mut *links, &catalog.pairs(false)).unwrap();
        product_brand::Link::dismiss_many(&mut *links, &catalog.pairs(true)).unwrap();
    }

    fn rows(&self, graph: Graph) -> Vec<Value> {
        Query::across(&self.databases()).graph(graph).unwrap().data
    }

    /// How many statements the databases ran since the last call, together.
    fn statements(&self) -> usize {
        self.statements.iter().map(|s| s.take().len()).sum()
    }
}

fn pages_and_counts_are_what_a_model_says<C: LinkConnection + SimpleConnection + 'static>(
    three: Three<C>,
) {
    let config = Config {
        cases: 40,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new(config)
        .run(&(catalogs(), pages_asked()), |(catalog, page)| {
            three.store(&catalog);
            page.check(&catalog, &three.rows(page.query()))?;
            // The brands whose count of the page's products is at least the page's skip,
            // filtered in the application.
            let kept: Vec<String> = three
                .rows(
                    page.query()
                        .fields(["id"])
                        .filter("_count.products", Condition::ge(page.skip)),
                )
                .iter()
                .map(|row| row["id"].as_str().unwrap().to_owned())
                .collect();
            let wanted: Vec<String> = (0..catalog.brands)
                .filter(|&b| page.counted(&catalog, b) >= page.skip)
                .map(|b| format!("brand_{b}"))
                .collect();
            prop_assert_eq!(kept, wanted);
            // The brands ordered by that count, the id breaking ties, walked two at a time
            // by keyset cursors: each count bound into the brands' statement whole.
            let order = if page.descending {
                Order::Desc
            } else {
                Order::Asc
            };
            let mut walked = Vec::new();
            // Its products are read too, so the brands are stitched, not streamed: the count
            // is the one bound, not counted again.
            let mut query = Graph::entity("brand")
                .fields(["id", "_count.products", "products.id"])
                .order("_count.products", order)
                .take(2)
                .nested("products", page.nested());
            loop {
                let answer = Query::across(&three.databases())
                    .graph(query.clone())
                    .unwrap();
                for row in &answer.data {
                    let id = row["id"].as_str().unwrap().to_owned();
                    walked.push((row["_count"]["products"].as_u64().unwrap(), id));
                }
                match answer.metadata.next_cursor {
                    Some(cursor) => query = query.after(cursor),
                    None => break,
                }
            }
            let mut wanted: Vec<(u64, String)> = (0..catalog.brands)
                .map(|b| (page.counted(&catalog, b), format!("brand_{b}")))
                .collect();
            wanted.sort_by(|a, b| match page.descending {
                true => b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)),
                false => a.cmp(b),
            });
            prop_assert_eq!(walked, wanted);
            // Each product's brand counted from its side: 1 with a live link, else 0.
            let products = three.rows(Graph::entity("product").fields(["id", "_count.brand"]));
            prop_assert_eq!(products.len(), catalog.products.len());
            for row in products {
                let i: usize = row["id"].as_str().unwrap()["prod_".len()..]
                    .parse()
                    .unwrap();
                let live = matches!(catalog.products[i].1, Some((_, false)));
                prop_assert_eq!(row["_count"]["brand"].as_u64(), Some(u64::from(live)));
            }
            Ok(())
        })
        .unwrap();
}

fn statements_depend_on_the_query_never_on_the_rows<C>(three: Three<C>)
where
    C: LinkConnection + SimpleConnection + 'static,
{
    let queries = || {
        [
            Graph::entity("brand")
                .fields(["id", "products.name", "_count.products"])
                .nested("products", Nested::new().order("name", Order::Desc).take(3)),
            Graph::entity("brand")
                .fields(["id", "_count.products"])
                .nested(
                    "products",
                    Nested::new().filter("name", Condition::like("P%")),
                ),
            Graph::entity("brand")
                .fields(["id", "_count.products", "products.name"])
                .order("_count.products", Order::Desc)
                .take(5),
            Graph::entity("product")
                .fields(["id", "brand.products.name", "_count.brand"])
                .take(5)
                .nested(
                    "brand",
                    Nested::new().nested("products", Nested::new().take(2)),
                ),
        ]
    };
    let mut counts = Vec::new();
    for size in SIZES {
        let catalog = Catalog::sized(size);
        three.store(&catalog);
        three.statements();
        let per_query: Vec<usize> = queries()
            .into_iter()
            .map(|query| {
                assert!(!three.rows(query).is_empty());
                three.statements()
            })
            .collect();
        counts.push(per_query);
    }
    assert!(counts[0].iter().all(|&n| n >= 2), "{counts:?}");
    assert_eq!(counts[0], counts[1]);
    assert_eq!(counts[1], counts[2]);
}

fn sqlite() -> Three<SqliteConnection> {
    let memory = || SqliteConnection::establish(":memory:").unwrap();
    Three::new(memory(), memory(), memory())
}

#[test]
fn sqlite_pages_and_counts_across_databases_are_what_a_model_says() {
    pages_and_counts_are_what_a_model_says(sqlite());
}

#[test]
fn sqlite_statements_across_databases_depend_on_the_query_never_on_the_rows() {
    statements_depend_on_the_query_never_on_the_rows(sqlite());
}

/// Three schemas of the test database, each seen by its own connection only: a statement
/// that read another's table would fail as across databases.
fn postgres(
    test: &str,
) -> Option<(
    Three<diesel::PgConnection>,
    [link_test_support::PgSchema; 3],
)> {
    let schemas = [
        link_test_support::postgres(&format!("{test}_products"))?,
        link_test_support::postgres(&format!("{test}_brands"))?,
        link_test_support::postgres(&format!("{test}_links"))?,
    ];
    let three = Three::new(
        schemas[0].connect_again(),
        schemas[1].connect_again(),
        schemas[2].connect_again(),
    );
    Some((three, schemas))
}

#[test]
fn postgres_pages_and_counts_across_databases_are_what_a_model_says() {
    if let Some((three, _schemas)) = postgres("model") {
        pages_and_counts_are_what_a_model_says(three);
    }
}

#[test]
fn postgres_statements_across_databases_depend_on_the_query_never_on_the_rows() {
    if let Some((three, _schemas)) = postgres("statements") {
        statements_depend_on_the_query_never_on_the_rows(three);
    }
}
