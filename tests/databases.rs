//! Modules in databases of their own: product, brand and supplier tables and the link
//! tables in three databases (SQLite files, and PostgreSQL databases when configured).
//!
//! Each database holds only its own tables, so a statement that read a table of another
//! database would fail: the tests passing is the proof that no SQL spans two databases.

use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use link_runtime::databases::{Database, Databases};
use link_runtime::graph::{Condition, Filter, Graph, GraphSelect, Nested, Order, Query};
use link_runtime::service::{ListFilter, Modules, SoftDelete};
use link_runtime::{Error, LinkConnection};
use link_test_support::TestSql;
use link_tests::links::{product_brand, product_supplier, product_tag};
use link_tests::modules::supplier::{Store, Supplier};
use link_tests::modules::{brand::Brand, product::Product, tag::Tag};
use serde::Deserialize;
use serde_json::{json, Value};

/// The three databases: links, products, and brands with suppliers.
struct Three<C> {
    links: Database<C>,
    products: Database<C>,
    brands: Database<C>,
}

impl<C: LinkConnection + Store + 'static> Three<C> {
    fn databases(&self) -> Databases<C> {
        Databases::new(&self.links)
            .module("product", &self.products)
            .module("brand", &self.brands)
            .module("supplier", &self.brands)
    }

    /// Each module's tables in its database, the links' tables in theirs, and the demo's
    /// records.
    fn setup(&self) -> Databases<C> {
        let databases = self.databases();
        databases
            .for_module("product")
            .unwrap()
            .batch_execute(PRODUCTS)
            .unwrap();
        let mut brands = databases.for_module("brand").unwrap();
        brands.batch_execute(BRANDS).unwrap();
        supply_the_demo(&mut *brands);
        drop(brands);

        let synced = databases.migrate().unwrap();
        assert_eq!(synced.len(), 1, "only the links' database holds links");
        assert!(synced[0]
            .1
            .tables_created()
            .any(|table| table == product_brand::Link::TABLE));

        link_the_demo(&databases);
        databases
    }
}

/// The demo's products, in a product module's database.
const PRODUCTS: &str = "CREATE TABLE products (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
     INSERT INTO products VALUES ('prod_1', 'Kettle'), ('prod_2', 'Teapot'), ('prod_3', 'Mug');";

/// The demo's brands, in a brand module's database.
const BRANDS: &str = "CREATE TABLE brands (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
     INSERT INTO brands VALUES ('brand_1', 'Acme'), ('brand_2', 'Bolt');";

/// The demo's suppliers, Alder and Birch, in a supplier module's database.
fn supply_the_demo<C: Store>(conn: &mut C) {
    conn.migrate_suppliers().unwrap();
    conn.add_supplier("sup_1", "Alder").unwrap();
    conn.add_supplier("sup_2", "Birch").unwrap();
}

/// The demo's links, one at a time and in a batch: Acme holds prod_1 and prod_2, Bolt
/// prod_3; Alder supplies prod_1, Birch the others.
fn link_the_demo<C: LinkConnection + 'static>(databases: &Databases<C>) {
    let mut links = databases.for_link::<product_brand::Link>().unwrap();
    for (product, brand) in [
        ("prod_1", "brand_1"),
        ("prod_2", "brand_1"),
        ("prod_3", "brand_2"),
    ] {
        product_brand::Link::create(&mut *links, Product::id(product), Brand::id(brand)).unwrap();
    }
    product_supplier::Link::create_many(
        &mut *links,
        &[
            (Product::id("prod_1"), Supplier::id("sup_1")),
            (Product::id("prod_2"), Supplier::id("sup_2")),
            (Product::id("prod_3"), Supplier::id("sup_2")),
        ],
    )
    .unwrap();
}

/// Products, brands and their links in one database, suppliers in another: counts and
/// pages whose link is in the records' database but whose filter reaches the suppliers.
fn counts_filtered_through_another_database<C: LinkConnection + Store + 'static>(three: Three<C>) {
    let databases = Databases::new(&three.links).module("supplier", &three.brands);
    let mut main = databases.for_module("product").unwrap();
    main.batch_execute(&format!("{PRODUCTS} {BRANDS}")).unwrap();
    drop(main);
    supply_the_demo(&mut *databases.for_module("supplier").unwrap());
    databases.migrate().unwrap();
    link_the_demo(&databases);

    // Of each brand, the products supplied by Alder: brand_1's prod_1, none of brand_2's.
    let by_alder = || Nested::new().filter("supplier.name", "Alder");
    let ids = |query: Graph| -> Vec<Value> {
        let data = graph(&databases, query)["data"].clone();
        data.as_array().unwrap().clone()
    };
    assert_eq!(
        ids(Graph::entity("brand")
            .fields(["id", "_count.products", "products.id"])
            .order("id", Order::Asc)
            .nested("products", by_alder().take(1))),
        [
            json!({ "id": "brand_1", "_count": { "products": 1 }, "products": [{ "id": "prod_1" }] }),
            json!({ "id": "brand_2", "_count": { "products": 0 }, "products": [] }),
        ]
    );
    let filtered = |condition: Condition| {
        ids(Graph::entity("brand")
            .fields(["id"])
            .filter("_count.products", condition)
            .nested("products", by_alder()))
    };
    assert_eq!(filtered(Condition::ge(1)), [json!({ "id": "brand_1" })]);
    assert_eq!(filtered(Condition::eq(0)), [json!({ "id": "brand_2" })]);
    let ordered = |order: Order| {
        ids(Graph::entity("brand")
            .fields(["id"])
            .order("_count.products", order)
            .nested("products", by_alder()))
    };
    assert_eq!(
        ordered(Order::Desc),
        [json!({ "id": "brand_1" }), json!({ "id": "brand_2" })]
    );
    assert_eq!(
        ordered(Order::Asc),
        [json!({ "id": "brand_2" }), json!({ "id": "brand_1" })]
    );

    // A page, ranked in one statement, ordered by a count its statement cannot read:
    // prod_1 has lost its supplier, prod_2 keeps Birch.
    let mut links = databases.for_link::<product_supplier::Link>().unwrap();
    product_supplier::Link::dismiss(&mut *links, Product::id("prod_1"), Supplier::id("sup_1"))
        .unwrap();
    drop(links);
    let first_supplied = |order: Order| {
        ids(Graph::entity("brand")
            .fields(["id", "products.id"])
            .filter("id", "brand_1")
            .nested(
                "products",
                Nested::new().order("_count.supplier", order).take(1),
            ))
    };
    assert_eq!(
        first_supplied(Order::Desc),
        [json!({ "id": "brand_1", "products": [{ "id": "prod_2" }] })]
    );
    assert_eq!(
        first_supplied(Order::Asc),
        [json!({ "id": "brand_1", "products": [{ "id": "prod_1" }] })]
    );
}

#[test]
fn sqlite_counts_filtered_through_another_database() {
    let memory =
        |name: &'static str| Database::from_connection(link_test_support::sqlite()).named(name);
    counts_filtered_through_another_database(Three {
        links: memory("main"),
        products: memory("unused"),
        brands: memory("suppliers"),
    });
}

#[test]
fn postgres_counts_filtered_through_another_database() {
    if let Some((three, _databases)) = postgres_databases("counts_filtered_apart") {
        counts_filtered_through_another_database(three);
    }
}

/// A brand with its products counted, and each product's brand: the typed form of a count
/// query across databases.
#[derive(Deserialize, GraphSelect)]
#[graph(entity = Brand)]
struct BrandCounted {
    id: String,
    #[graph(count = Product)]
    product_count: u64,
    #[graph(link)]
    products: Vec<ProductCounted>,
}

#[derive(Deserialize, GraphSelect)]
#[graph(entity = Product)]
struct ProductCounted {
    #[graph(count = Brand)]
    brand_count: u8,
}

fn graph<C: LinkConnection>(databases: &Databases<C>, graph: Graph) -> Value {
    let result = Query::across(databases).graph(graph).unwrap();
    serde_json::to_value(result).unwrap()
}

fn graph_across_three_databases<C: LinkConnection + Store + 'static>(three: Three<C>) {
    let databases = three.setup();
    // The tables really are apart: the product database has no brands.
    let mut products_db = databases.for_module("product").unwrap();
    assert!(products_db.batch_execute("SELECT id FROM brands").is_err());
    drop(products_db);

    let products = graph(
        &databases,
        Graph::entity("product").fields(["id", "name", "brand.name"]),
    );
    assert_eq!(
        products["data"],
        json!([
            { "id": "prod_1", "name": "Kettle", "brand": { "name": "Acme" } },
            { "id": "prod_2", "name": "Teapot", "brand": { "name": "Acme" } },
            { "id": "prod_3", "name": "Mug", "brand": { "name": "Bolt" } },
        ])
    );

    // The other direction, nested back.
    let brands = graph(
        &databases,
        Graph::entity("brand")
            .fields(["name", "products.id", "products.supplier.name"])
            .filter("id", "brand_1"),
    );
    assert_eq!(
        brands["data"],
        json!([{ "name": "Acme", "products": [
            { "id": "prod_1", "supplier": { "name": "Alder" } },
            { "id": "prod_2", "supplier": { "name": "Birch" } },
        ] }])
    );

    // A filter through a link whose tables are in two other databases, with a page.
    let acme = graph(
        &databases,
        Graph::entity("product")
            .fields(["id"])
            .filter("brand.name", "Acme")
            .order("id", Order::Desc)
            .take(1),
    );
    assert_eq!(acme["data"], json!([{ "id": "prod_2" }]));
    assert_eq!(acme["metadata"]["count"], json!(2));
    // Its next page, after the cursor: the root statement is on the products' database,
    // with the filter resolved from the two others, as on the first page.
    let cursor = acme["metadata"]["next_cursor"]
        .as_str()
        .expect("prod_1 follows");
    let last = graph(
        &databases,
        Graph::entity("product")
            .fields(["id", "brand.name"])
            .filter("brand.name", "Acme")
            .order("id", Order::Desc)
            .take(1)
            .after(cursor),
    );
    assert_eq!(
        last["data"],
        json!([{ "id": "prod_1", "brand": { "name": "Acme" } }])
    );
    assert_eq!(last["metadata"]["count"], json!(2));
    assert_eq!(last["metadata"]["next_cursor"], Value::Null);
    // Walking every product by name, a page at a time.
    let mut walked = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut page = Graph::entity("product")
            .fields(["name", "supplier.name"])
            .order("name", Order::Asc)
            .take(1);
        if let Some(cursor) = after.take() {
            page = page.after(cursor);
        }
        let page = graph(&databases, page);
        walked.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| row["name"].clone()),
        );
        match page["metadata"]["next_cursor"].as_str() {
            Some(cursor) => after = Some(cursor.to_owned()),
            None => break,
        }
    }
    assert_eq!(walked, ["Kettle", "Mug", "Teapot"]);

    // Two links deep: products whose brand has a product supplied by Alder.
    let deep = graph(
        &databases,
        Graph::entity("product")
            .fields(["id"])
            .filter("brand.products.supplier.name", "Alder"),
    );
    assert_eq!(
        deep["data"],
        json!([{ "id": "prod_1" }, { "id": "prod_2" }])
    );

    // A page inside each record, the pivot and the linked table apart: the links, then
    // the linked records in the page's order, paged in the application.
    let paged = |nested: Nested| {
        graph(
            &databases,
            Graph::entity("brand")
                .fields(["name", "products.name"])
                .order("id", Order::Asc)
                .nested("products", nested),
        )["data"]
            .clone()
    };
    assert_eq!(
        paged(Nested::new().order("name", Order::Desc).take(1)),
        json!([
            { "name": "Acme", "products": [{ "name": "Teapot" }] },
            { "name": "Bolt", "products": [{ "name": "Mug" }] },
        ])
    );
    assert_eq!(
        paged(Nested::new().order("name", Order::Asc).skip(1)),
        json!([
            { "name": "Acme", "products": [{ "name": "Teapot" }] },
            { "name": "Bolt", "products": [] },
        ])
    );
    // In the order of the links (Kettle's was made first), filtered through a link into
    // a third database.
    assert_eq!(
        paged(Nested::new().take(1)),
        json!([
            { "name": "Acme", "products": [{ "name": "Kettle" }] },
            { "name": "Bolt", "products": [{ "name": "Mug" }] },
        ])
    );
    assert_eq!(
        paged(Nested::new().filter("supplier.name", "Birch")),
        json!([
            { "name": "Acme", "products": [{ "name": "Teapot" }] },
            { "name": "Bolt", "products": [{ "name": "Mug" }] },
        ])
    );
    // Below a side that holds one record, and with every relation required.
    let mugs = graph(
        &databases,
        Graph::entity("product")
            .fields(["id", "brand.products.name"])
            .filter("id", "prod_3")
            .nested(
                "brand",
                Nested::new().nested("products", Nested::new().order("name", Order::Asc)),
            )
            .fail_if_relation_not_found(),
    );
    assert_eq!(
        mugs["data"],
        json!([{ "id": "prod_3", "brand": { "products": [{ "name": "Mug" }] } }])
    );

    // Which linked records: none, every, no live link at all, each resolved in the
    // application where the tables are apart.
    let brands = |filter: Filter| {
        graph(
            &databases,
            Graph::entity("brand")
                .fields(["id"])
                .filter_by(filter)
                .order("id", Order::Asc),
        )["data"]
            .clone()
    };
    let mug = || [Filter::field("name", "Mug")];
    assert_eq!(
        brands(Filter::none("products", mug())),
        json!([{ "id": "brand_1" }])
    );
    assert_eq!(
        brands(Filter::some("products", mug())),
        json!([{ "id": "brand_2" }])
    );
    assert_eq!(
        brands(Filter::every(
            "products",
            [Filter::field("name", Condition::like("%e%"))]
        )),
        json!([{ "id": "brand_1" }])
    );
    assert_eq!(
        brands(Filter::every(
            "products",
            [Filter::field("supplier.name", "Birch")]
        )),
        json!([{ "id": "brand_2" }])
    );
    let unbranded = Graph::entity("product")
        .fields(["id"])
        .filter("brand", Value::Null);
    assert_eq!(graph(&databases, unbranded.clone())["data"], json!([]));

    // A dismissed link stops matching, unless deleted rows are asked for.
    let mut links = databases.for_link::<product_brand::Link>().unwrap();
    product_brand::Link::dismiss(&mut *links, Product::id("prod_3"), Brand::id("brand_2")).unwrap();
    drop(links);
    let bolt = Graph::entity("product")
        .fields(["id"])
        .filter("brand.name", "Bolt");
    assert_eq!(graph(&databases, bolt.clone())["data"], json!([]));
    assert_eq!(
        graph(&databases, bolt.with_deleted())["data"],
        json!([{ "id": "prod_3" }])
    );
    assert_eq!(
        graph(&databases, unbranded.clone())["data"],
        json!([{ "id": "prod_3" }])
    );
    assert_eq!(
        graph(&databases, unbranded.with_deleted())["data"],
        json!([])
    );
    assert_eq!(
        brands(Filter::none("products", [])),
        json!([{ "id": "brand_2" }])
    );

    // The link as an entity, its sides in the other two databases.
    let rows = graph(
        &databases,
        Graph::entity(product_brand::Link::TABLE)
            .fields(["product_id", "product.name", "brand.name"])
            .filter("product.name", "Teapot"),
    );
    assert_eq!(
        rows["data"],
        json!([{ "product_id": "prod_2", "product": { "name": "Teapot" }, "brand": { "name": "Acme" } }])
    );

    // Counts of linked records whose link's tables are apart: counted in the application,
    // for the records of a level at once (Bolt's one link is dismissed by now).
    let counted = graph(
        &databases,
        Graph::entity("brand")
            .fields(["id", "_count.products", "products._count.brand"])
            .order("id", Order::Asc),
    );
    assert_eq!(
        counted["data"],
        json!([
            { "id": "brand_1", "_count": { "products": 2 }, "products": [
                { "_count": { "brand": 1 } }, { "_count": { "brand": 1 } },
            ] },
            { "id": "brand_2", "_count": { "products": 0 }, "products": [] },
        ])
    );
    // A typed query reads the same counts into its count fields.
    let typed = Query::across(&databases)
        .graph(BrandCounted::graph().order(|brand| brand.id.asc()))
        .unwrap();
    let typed: Vec<(&str, u64, Vec<u8>)> = typed
        .data
        .iter()
        .map(|brand| {
            let brands = brand.products.iter().map(|p| p.brand_count).collect();
            (brand.id.as_str(), brand.product_count, brands)
        })
        .collect();
    assert_eq!(typed, [("brand_1", 2, vec![1, 1]), ("brand_2", 0, vec![])]);
    let with_deleted = graph(
        &databases,
        Graph::entity("brand")
            .fields(["id", "_count.products"])
            .order("id", Order::Asc)
            .with_deleted(),
    );
    assert_eq!(with_deleted["data"][1]["_count"], json!({ "products": 1 }));
    // Which records count, filtered through a link into a third database; a page of
    // products with their supplier counted.
    let supplied = graph(
        &databases,
        Graph::entity("brand")
            .fields(["id", "_count.products"])
            .order("id", Order::Asc)
            .nested("products", Nested::new().filter("supplier.name", "Birch")),
    );
    assert_eq!(supplied["data"][0]["_count"], json!({ "products": 1 }));
    let products = graph(
        &databases,
        Graph::entity("product")
            .fields(["id", "_count.supplier", "_count.brand"])
            .order("id", Order::Asc)
            .take(2),
    );
    assert_eq!(
        products["data"],
        json!([
            { "id": "prod_1", "_count": { "supplier": 1, "brand": 1 } },
            { "id": "prod_2", "_count": { "supplier": 1, "brand": 1 } },
        ])
    );

    // A filter by such a count: every brand's count read where the links are, compared
    // in the application, and the brands that meet it (or, where a brand without links
    // does, those that do not) bound as ids.
    let brands = |filter: Condition| {
        graph(
            &databases,
            Graph::entity("brand")
                .fields(["id"])
                .filter("_count.products", filter)
                .order("id", Order::Asc),
        )["data"]
            .clone()
    };
    assert_eq!(brands(Condition::ge(1)), json!([{ "id": "brand_1" }]));
    assert_eq!(brands(Condition::eq(0)), json!([{ "id": "brand_2" }]));
    assert_eq!(brands(Condition::ne(2)), json!([{ "id": "brand_2" }]));
    assert_eq!(
        brands(Condition::eq_any([0, 2])),
        json!([{ "id": "brand_1" }, { "id": "brand_2" }])
    );
    assert_eq!(brands(Condition::lt(0)), json!([]));
    let supplied_by_birch = graph(
        &databases,
        Graph::entity("brand")
            .fields(["id"])
            .filter("_count.products", 1)
            .nested("products", Nested::new().filter("supplier.name", "Birch")),
    );
    assert_eq!(supplied_by_birch["data"], json!([{ "id": "brand_1" }]));
    // An order by such a count: every brand's count read where the links are and bound
    // into the brands' statement whole, where the order and the cursor read it.
    let by_count = |order: Order, query: Graph| {
        let query = query
            .fields(["id", "_count.products"])
            .order("_count.products", order);
        graph(&databases, query)
    };
    let ascending = by_count(Order::Asc, Graph::entity("brand"));
    assert_eq!(
        ascending["data"],
        json!([
            { "id": "brand_2", "_count": { "products": 0 } },
            { "id": "brand_1", "_count": { "products": 2 } },
        ])
    );
    let descending = by_count(Order::Desc, Graph::entity("brand").take(1));
    assert_eq!(
        descending["data"],
        json!([{ "id": "brand_1", "_count": { "products": 2 } }])
    );
    let cursor = descending["metadata"]["next_cursor"].as_str().unwrap();
    let next = by_count(Order::Desc, Graph::entity("brand").take(1).after(cursor));
    assert_eq!(
        next["data"],
        json!([{ "id": "brand_2", "_count": { "products": 0 } }])
    );
    // A page ordered by a count of its records' own links, which are in another database
    // than the records: every product's count of tags bound into the page's statement.
    let mut links = databases.for_links().unwrap();
    links
        .batch_execute(
            "CREATE TABLE tags (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
             INSERT INTO tags VALUES ('tag_1', 'Red'), ('tag_2', 'Blue');",
        )
        .unwrap();
    for tag in ["tag_1", "tag_2"] {
        product_tag::Link::create(&mut *links, Product::id("prod_2"), Tag::id(tag)).unwrap();
    }
    drop(links);
    let most_tagged = |order: Order| {
        graph(
            &databases,
            Graph::entity("brand")
                .fields(["id", "products.id", "products._count.tags"])
                .filter("id", "brand_1")
                .nested(
                    "products",
                    Nested::new().order("_count.tags", order).take(1),
                ),
        )["data"]
            .clone()
    };
    assert_eq!(
        most_tagged(Order::Desc),
        json!([{ "id": "brand_1", "products": [{ "id": "prod_2", "_count": { "tags": 2 } }] }])
    );
    assert_eq!(
        most_tagged(Order::Asc),
        json!([{ "id": "brand_1", "products": [{ "id": "prod_1", "_count": { "tags": 0 } }] }])
    );

    // Counting only the products supplied by Birch, from a third database.
    // The typed form, fewest products first.
    let typed = Query::across(&databases)
        .graph(BrandCounted::graph().order_count::<Product, _>(Order::Asc))
        .unwrap();
    let typed: Vec<(&str, u64)> = typed
        .data
        .iter()
        .map(|brand| (brand.id.as_str(), brand.product_count))
        .collect();
    assert_eq!(typed, [("brand_2", 0), ("brand_1", 2)]);
    let supplied = by_count(
        Order::Desc,
        Graph::entity("brand").nested("products", Nested::new().filter("supplier.name", "Birch")),
    );
    assert_eq!(
        supplied["data"],
        json!([
            { "id": "brand_1", "_count": { "products": 1 } },
            { "id": "brand_2", "_count": { "products": 0 } },
        ])
    );

    // Ordering by a linked field would need a join across databases: refused, by name.
    let error = Query::across(&databases)
        .graph(
            Graph::entity("product")
                .fields(["id"])
                .order("brand.name", Order::Asc),
        )
        .unwrap_err();
    assert!(
        matches!(&error, Error::InvalidOrder { path, reason, .. }
            if path == "brand.name" && reason.contains("another database")),
        "{error:?}"
    );
}

/// Returns the databases, for the backend's own checks.
fn cascade_across_three_databases<C>(three: Three<C>) -> Databases<C>
where
    C: LinkConnection + Store + 'static,
    Supplier: SoftDelete<C>,
{
    let databases = three.setup();
    let modules = Modules::new().with::<Supplier>();

    // prod_1 alone holds sup_1: deleting prod_1's links soft-deletes sup_1 in the brands'
    // database; the links go in the links' database.
    let deletion = databases
        .delete(&modules, &[Product::id("prod_1")])
        .unwrap();
    assert_eq!(deletion.link_count(), 2);
    assert_eq!(
        databases
            .for_module("supplier")
            .unwrap()
            .live_suppliers()
            .unwrap(),
        ["sup_2"]
    );
    let live_of_prod_1 = |databases: &Databases<C>| {
        let mut links = databases.for_link::<product_brand::Link>().unwrap();
        let brands = product_brand::Link::list(
            &mut *links,
            &ListFilter::new().left([Product::id("prod_1")]),
        )
        .unwrap()
        .len();
        let suppliers = product_supplier::Link::list(
            &mut *links,
            &ListFilter::new().left([Product::id("prod_1")]),
        )
        .unwrap()
        .len();
        brands + suppliers
    };
    assert_eq!(live_of_prod_1(&databases), 0);

    // sup_2 is held by prod_3 as well: deleting prod_2 keeps it.
    let kept = databases
        .delete(&modules, &[Product::id("prod_2")])
        .unwrap();
    assert!(kept.cascaded.is_empty());
    assert_eq!(kept.kept.values().flatten().collect::<Vec<_>>(), ["sup_2"]);

    let restored = databases.restore(&modules, &deletion).unwrap();
    assert_eq!(restored, 2);
    assert_eq!(live_of_prod_1(&databases), 2);
    assert_eq!(
        databases
            .for_module("supplier")
            .unwrap()
            .live_suppliers()
            .unwrap(),
        ["sup_1", "sup_2"]
    );

    // A cascade into a module that was not given fails after the links' database was
    // written: every database is rolled back.
    let error = databases
        .delete(&Modules::new(), &[Product::id("prod_1")])
        .unwrap_err();
    assert!(matches!(error, Error::NoSoftDelete { .. }), "{error:?}");
    assert_eq!(live_of_prod_1(&databases), 2, "nothing was deleted");

    // Every write ended: nothing was left for recovery.
    assert!(databases.recover().unwrap().is_empty());
    databases
}

/// Three SQLite files in a fresh folder, a new connection per checkout.
fn sqlite_files(test: &str) -> (Three<SqliteConnection>, PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "link-databases-{test}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str| {
        let path = dir
            .join(format!("{name}.db"))
            .to_string_lossy()
            .into_owned();
        Database::connect(name, move || SqliteConnection::establish(&path))
    };
    let three = Three {
        links: file("links"),
        products: file("products"),
        brands: file("brands"),
    };
    (three, dir)
}

/// Three PostgreSQL databases, each behind an r2d2 pool.
fn postgres_databases(
    test: &str,
) -> Option<(Three<PgConnection>, Vec<link_test_support::PgDatabase>)> {
    let created: Vec<_> = (0..3)
        .map(|_| link_test_support::postgres_database(test))
        .collect::<Option<_>>()?;
    let pool = |name: &str, database: &link_test_support::PgDatabase| {
        let manager = diesel::r2d2::ConnectionManager::<PgConnection>::new(database.url());
        let pool = diesel::r2d2::Pool::builder()
            .max_size(2)
            .build(manager)
            .expect("the pool connects");
        Database::pool(name, pool)
    };
    let three = Three {
        links: pool("links", &created[0]),
        products: pool("products", &created[1]),
        brands: pool("brands", &created[2]),
    };
    Some((three, created))
}

/// The product module deletes a product of its own and the supplier module soft-deletes a
/// supplier: the check reads each link table in the links' database and looks each record
/// up in its module's database, and prunes only when asked.
fn check_across_three_databases<C>(three: Three<C>)
where
    C: LinkConnection + Store + 'static,
    Supplier: SoftDelete<C>,
{
    let databases = three.setup();
    // The modules with no records here still have their tables, in the default database.
    databases
        .for_links()
        .unwrap()
        .batch_execute(
            "CREATE TABLE tags (id TEXT PRIMARY KEY NOT NULL);
             CREATE TABLE customers (id TEXT PRIMARY KEY NOT NULL);
             CREATE TABLE wishlists (id TEXT PRIMARY KEY NOT NULL);",
        )
        .unwrap();
    assert!(databases.check(false).unwrap().is_clean());

    databases
        .for_module("product")
        .unwrap()
        .batch_execute("DELETE FROM products WHERE id = 'prod_3'")
        .unwrap();
    Supplier::soft_delete(
        &mut *databases.for_module("supplier").unwrap(),
        &[Supplier::id("sup_1")],
    )
    .unwrap();

    let found = databases.check(false).unwrap();
    let dangling: Vec<_> = found
        .dangling()
        .map(|(table, d)| (table, d.left.as_str(), d.right.as_str()))
        .collect();
    assert_eq!(
        dangling,
        [
            ("product_product_brand_brand", "prod_3", "brand_2"),
            ("product_product_supplier_supplier", "prod_1", "sup_1"),
            ("product_product_supplier_supplier", "prod_3", "sup_2"),
        ]
    );
    let pruned = databases.check(true).unwrap();
    assert_eq!(pruned.dangling().count(), 3);
    assert!(databases.check(false).unwrap().is_clean());
    let mut links = databases.for_link::<product_brand::Link>().unwrap();
    assert_eq!(
        product_brand::Link::list(&mut *links, &ListFilter::new())
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn sqlite_check_finds_and_prunes_links_across_three_databases() {
    let (three, dir) = sqlite_files("check");
    check_across_three_databases(three);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn postgres_check_finds_and_prunes_links_across_three_databases() {
    let Some((three, _databases)) = postgres_databases("check_across_databases") else {
        return;
    };
    check_across_three_databases(three);
}

#[test]
fn sqlite_graph_queries_join_three_databases_in_the_application() {
    let (three, dir) = sqlite_files("graph");
    graph_across_three_databases(three);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn sqlite_delete_cascades_across_three_databases_and_restores() {
    let (three, dir) = sqlite_files("cascade");
    drop(cascade_across_three_databases(three));
    std::fs::remove_dir_all(dir).unwrap();
}

/// SQLite files commit in turn, a delete's records before its links: one cut off between
/// two commits leaves live links to soft-deleted records, which the check finds and prunes,
/// and the same delete run again finishes.
#[test]
fn sqlite_a_delete_cut_off_between_two_files_leaves_links_the_check_prunes() {
    let (three, dir) = sqlite_files("cut_off");
    let databases = three.setup();
    // The modules with no records here still have their tables, for the check.
    databases
        .for_links()
        .unwrap()
        .batch_execute(
            "CREATE TABLE tags (id TEXT PRIMARY KEY NOT NULL);
             CREATE TABLE customers (id TEXT PRIMARY KEY NOT NULL);
             CREATE TABLE wishlists (id TEXT PRIMARY KEY NOT NULL);",
        )
        .unwrap();
    let modules = Modules::new().with::<Supplier>();
    // A reader of the links' file: the delete's commit there finds it busy.
    let mut reader = SqliteConnection::establish(&dir.join("links.db").to_string_lossy()).unwrap();
    reader
        .batch_execute("BEGIN; SELECT COUNT(*) FROM product_product_supplier_supplier;")
        .unwrap();
    let error = databases
        .delete(&modules, &[Product::id("prod_1")])
        .unwrap_err();
    assert_eq!(
        error.kind(),
        link_runtime::ErrorKind::Unavailable,
        "{error:?}"
    );
    reader.batch_execute("COMMIT").unwrap();

    // The brands' file committed: sup_1 is soft-deleted, and prod_1's link to it is live.
    let suppliers = databases
        .for_module("supplier")
        .unwrap()
        .live_suppliers()
        .unwrap();
    assert_eq!(suppliers, ["sup_2"]);
    let dangling: Vec<_> = databases
        .check(false)
        .unwrap()
        .dangling()
        .map(|(table, d)| (table, d.left.clone(), d.right.clone()))
        .collect();
    assert_eq!(
        dangling,
        [(
            "product_product_supplier_supplier",
            "prod_1".to_owned(),
            "sup_1".to_owned()
        )]
    );
    assert_eq!(databases.check(true).unwrap().dangling().count(), 1);
    assert!(databases.check(false).unwrap().is_clean());

    let again = databases
        .delete(&modules, &[Product::id("prod_1")])
        .unwrap();
    assert_eq!(
        again.links.keys().copied().collect::<Vec<_>>(),
        ["product_product_brand_brand"]
    );
    drop(databases);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn postgres_graph_queries_join_three_databases_in_the_application() {
    let Some((three, _databases)) = postgres_databases("graph_across_databases") else {
        return;
    };
    graph_across_three_databases(three);
}

#[test]
fn postgres_delete_cascades_across_three_databases_and_restores() {
    let Some((three, created)) = postgres_databases("cascade_across_databases") else {
        return;
    };
    drop(cascade_across_three_databases(three));
    // The deletes and the restore wrote two databases each, in two phases: no prepared
    // transaction is left, and no decision.
    for database in &created {
        let prepared = database.connect().texts(
            "SELECT gid FROM pg_prepared_xacts WHERE database = current_database()",
            &[],
        );
        assert_eq!(prepared, Vec::<String>::new());
    }
    let decisions = created[0]
        .connect()
        .texts("SELECT id FROM link_runtime_decisions", &[]);
    assert_eq!(decisions, Vec::<String>::new());
}

#[test]
fn a_misspelt_module_is_an_error_not_the_default_database() {
    let links = Database::from_connection(link_test_support::sqlite()).named("links");
    let products = Database::from_connection(link_test_support::sqlite()).named("products");
    let databases = Databases::new(&links).module("product", &products);
    assert_eq!(format!("{links:?}"), r#"Database("links")"#);

    assert!(databases.for_module("product").is_ok());
    // A registered module without a database of its own is in the default one.
    assert!(databases.for_module("brand").is_ok());
    let error = databases.for_module("prodcut").unwrap_err();
    assert!(
        matches!(&error, Error::UnknownModule { module, known }
            if module == "prodcut" && known.iter().any(|m| m == "product")),
        "{error:?}"
    );

    // The links' database, for the `links` command; one checkout at a time.
    let held = databases.for_links().unwrap();
    let error = databases.for_module("brand").unwrap_err();
    assert!(
        matches!(&error, Error::Connection { database, .. } if database == "links"),
        "{error:?}"
    );
    drop(held);
    assert!(databases.for_module("brand").is_ok());
}
