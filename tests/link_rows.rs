//! The link row beside the linked record (Medusa's `<alias>_link`): `brand_link` from a
//! product reads the pivot row of its brand, `products_link` from a brand the rows of its
//! products (an array, in the order of `products`), with the extra columns and timestamps;
//! dismissed rows with `with_deleted`. Filters and orders go through them, a scope reaches
//! them as far as it reaches their link (and the pivot table as an entity), and the number
//! of statements depends on the query, never on the rows; on both backends and drivers,
//! and across databases.
//!
//! The catalog is `link_tests::fixtures::catalog`'s: each product has one brand
//! (`product_product_brand_brand`, prod_4's dismissed), products and tags are many to many
//! with extra columns (`product_tags`, prod_3's dismissed).

use std::sync::{Arc, Mutex};

use diesel::connection::{InstrumentationEvent, SimpleConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use link_runtime::databases::{Database, Databases};
use link_runtime::graph::{Fields, Graph, GraphResult, Order, Query, Refusal, Scope};
use link_runtime::{Error, LinkConnection};
use link_test_support::via;
use link_tests::fixtures::catalog;
use link_tests::links::product_tag;
use link_tests::modules::{product::Product, tag::Tag};
use serde_json::{json, Value};

fn data(result: GraphResult<Value>) -> Value {
    Value::from(result.data)
}

/// The fields of a record, sorted.
fn keys(row: &Value) -> Vec<&str> {
    row.as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

link_test_support::backend_tests! {
    drivers;

    fn a_side_of_one_partner_reads_its_link_row_beside_it(conn) {
        catalog(conn);
        let query = Graph::entity("product")
            .fields(["id", "brand.name", "brand_link.brand_id", "brand_link.created_at"])
            .order("id", Order::Asc);
        assert_eq!(
            data(via::graph(conn, query).unwrap()),
            json!([
                { "id": "prod_1", "brand": { "name": "Acme" },
                  "brand_link": { "brand_id": "brand_1", "created_at": "2026-01-01T11:00:00" } },
                { "id": "prod_2", "brand": { "name": "Acme" },
                  "brand_link": { "brand_id": "brand_1", "created_at": "2026-01-01T10:00:00" } },
                { "id": "prod_3", "brand": { "name": "Birch" },
                  "brand_link": { "brand_id": "brand_2", "created_at": "2026-01-01T12:00:00" } },
                // Its link is dismissed: no brand, no link row.
                { "id": "prod_4", "brand": null, "brand_link": null },
            ])
        );

        // `*`: every column of the pivot row, and the link row alone, without its record.
        let star = via::graph(
            conn,
            Graph::entity("product").fields(["brand_link.*"]).filter("id", "prod_1"),
        )
        .unwrap();
        let row = &star.data[0]["brand_link"];
        assert_eq!(
            keys(row),
            ["brand_id", "created_at", "deleted_at", "id", "product_id", "updated_at"]
        );
        assert!(row["id"].as_str().unwrap().starts_with("link_"), "{row}");
        assert_eq!(
            (&row["product_id"], &row["brand_id"], &row["deleted_at"]),
            (&json!("prod_1"), &json!("brand_1"), &Value::Null)
        );
        assert_eq!(keys(&star.data[0]), ["brand_link"]);

        // The JSON form reads the same.
        let from_json = Graph::from_json(json!({
            "entity": "product",
            "fields": ["id", "brand.name", "brand_link.brand_id", "brand_link.created_at"],
            "pagination": { "order": { "id": "ASC" }, "take": 2 },
        }))
        .unwrap();
        let page = via::graph(conn, from_json).unwrap();
        assert_eq!(page.metadata.count, 4);
        assert_eq!(
            page.data[1],
            json!({ "id": "prod_2", "brand": { "name": "Acme" },
                    "brand_link": { "brand_id": "brand_1", "created_at": "2026-01-01T10:00:00" } })
        );
    }

    fn a_list_side_reads_an_array_of_link_rows_with_their_extra_columns(conn) {
        catalog(conn);
        // From a brand, one row per live link, in the order of `products`.
        let brands = via::graph(
            conn,
            Graph::entity("brand")
                .fields(["id", "products.id", "products_link.product_id", "products_link.created_at"])
                .order("id", Order::Asc),
        )
        .unwrap();
        assert_eq!(
            data(brands),
            json!([
                { "id": "brand_1",
                  "products": [{ "id": "prod_2" }, { "id": "prod_1" }],
                  "products_link": [
                      { "product_id": "prod_2", "created_at": "2026-01-01T10:00:00" },
                      { "product_id": "prod_1", "created_at": "2026-01-01T11:00:00" },
                  ] },
                { "id": "brand_2",
                  "products": [{ "id": "prod_3" }],
                  "products_link": [{ "product_id": "prod_3", "created_at": "2026-01-01T12:00:00" }] },
                { "id": "brand_3", "products": [], "products_link": [] },
            ])
        );

        // The extra columns of a many-to-many link, beside its records, from either side.
        let products = via::graph(
            conn,
            Graph::entity("product")
                .fields([
                    "id",
                    "tags.name",
                    "tags_link.featured",
                    "tags_link.position",
                    "tags_link.weight",
                    "tags_link.offset",
                    "tags_link.label",
                    "tags_link.note",
                ])
                .order("id", Order::Asc)
                .take(2),
        )
        .unwrap();
        assert_eq!(
            data(products),
            json!([
                { "id": "prod_1",
                  "tags": [{ "name": "gift" }, { "name": "kitchen" }],
                  "tags_link": [
                      { "featured": false, "position": 7, "weight": 0.25, "offset": 9_000_000_000i64,
                        "label": "gift", "note": null },
                      { "featured": true, "position": 2, "weight": 1.5, "offset": -3,
                        "label": "new", "note": "front page" },
                  ] },
                { "id": "prod_2",
                  "tags": [{ "name": "gift" }],
                  "tags_link": [{ "featured": true, "position": 5, "weight": 1.5, "offset": -3,
                                  "label": "new", "note": null }] },
            ])
        );
        let gift = via::graph(
            conn,
            Graph::entity("tag").fields(["products_link.product_id", "products_link.position"]).filter("id", "tag_2"),
        )
        .unwrap();
        assert_eq!(
            gift.data[0],
            json!({ "products_link": [
                { "product_id": "prod_1", "position": 7 },
                { "product_id": "prod_2", "position": 5 },
            ] })
        );
        // A link row's own links: its two records.
        let rows = via::graph(
            conn,
            Graph::entity("product").fields(["tags_link.tag.name"]).filter("id", "prod_2"),
        )
        .unwrap();
        assert_eq!(rows.data[0], json!({ "tags_link": [{ "tag": { "name": "gift" } }] }));
    }

    fn with_deleted_reads_dismissed_link_rows(conn) {
        catalog(conn);
        let brand_rows = via::graph(
            conn,
            Graph::entity("product")
                .fields(["id", "brand_link.brand_id", "brand_link.deleted_at"])
                .filter("id", "prod_4")
                .with_deleted(),
        )
        .unwrap();
        assert_eq!(
            brand_rows.data[0],
            json!({ "id": "prod_4",
                    "brand_link": { "brand_id": "brand_2", "deleted_at": "2026-01-04T00:00:00" } })
        );
        let tag_rows = via::graph(
            conn,
            Graph::entity("product")
                .fields(["tags_link.tag_id", "tags_link.deleted_at"])
                .filter("id", "prod_3")
                .with_deleted(),
        )
        .unwrap();
        assert_eq!(
            tag_rows.data[0],
            json!({ "tags_link": [{ "tag_id": "tag_3", "deleted_at": "2026-01-05T06:07:08" }] })
        );
        // Without it, none.
        let live = via::graph(
            conn,
            Graph::entity("product").fields(["tags_link.tag_id"]).filter("id", "prod_3"),
        )
        .unwrap();
        assert_eq!(live.data[0], json!({ "tags_link": [] }));
    }

    fn filters_and_orders_go_through_link_rows(conn) {
        catalog(conn);
        // Some live link row meets the filter.
        let featured = via::graph(
            conn,
            Graph::entity("product")
                .fields(["id"])
                .filter("tags_link.featured", true)
                .order("id", Order::Asc),
        )
        .unwrap();
        assert_eq!(data(featured), json!([{ "id": "prod_1" }, { "id": "prod_2" }]));
        let late = via::graph(
            conn,
            Graph::entity("brand")
                .fields(["id"])
                .filter("products_link.product_id", "prod_3"),
        )
        .unwrap();
        assert_eq!(data(late), json!([{ "id": "brand_2" }]));
        // Ordered by the link row of a side of one partner: the newest first.
        let newest = via::graph(
            conn,
            Graph::entity("product")
                .fields(["id"])
                .order("brand_link.created_at", Order::Desc)
                .order("id", Order::Asc),
        )
        .unwrap();
        assert_eq!(
            data(newest),
            json!([{ "id": "prod_4" }, { "id": "prod_3" }, { "id": "prod_1" }, { "id": "prod_2" }])
        );
        // A list's link rows have no one value to order by.
        let refused = via::graph(
            conn,
            Graph::entity("product").order("tags_link.position", Order::Asc),
        )
        .unwrap_err();
        assert!(matches!(refused, Error::InvalidOrder { .. }), "{refused:?}");
        // A link row's field that is not a column of the pivot: named, with those there are.
        let unknown = via::graph(conn, Graph::entity("product").fields(["brand_link.name"]))
            .unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "`product_product_brand_brand` has no field `name` (known: id, product_id, \
             brand_id, created_at, updated_at, deleted_at, product, brand)"
        );
    }

    fn a_scope_reaches_a_link_row_as_far_as_its_link(conn) {
        catalog(conn);
        let store = Scope::new()
            .entity("product", Fields::all())
            .entity("brand", Fields::all())
            .entity("tag", Fields::all())
            .entity("product_tags", Fields::only(["position", "tag_id"]))
            .link("product", "brand")
            .link("product", "tags");
        // The link and the pivot's columns are in the scope.
        let scoped = via::graph_scoped(
            conn,
            &store,
            Graph::entity("product").fields(["id", "tags_link.position"]).filter("id", "prod_2"),
        )
        .unwrap();
        assert_eq!(scoped.data[0], json!({ "id": "prod_2", "tags_link": [{ "position": 5 }] }));
        // `*` reads the columns the scope lets through.
        let star = via::graph_scoped(
            conn,
            &store,
            Graph::entity("product").fields(["tags_link.*"]).filter("id", "prod_2"),
        )
        .unwrap();
        assert_eq!(star.data[0], json!({ "tags_link": [{ "tag_id": "tag_2", "position": 5 }] }));

        let refused = |conn: &mut Conn, scope: &Scope, graph: Graph| {
            match via::graph_scoped(conn, scope, graph).unwrap_err() {
                Error::Forbidden { field, reason, .. } => (field.unwrap_or_default(), reason),
                other => panic!("{other:?}"),
            }
        };
        // A column the scope leaves out.
        assert_eq!(
            refused(conn, &store, Graph::entity("product").fields(["tags_link.featured"])),
            ("tags_link.featured".to_owned(), Refusal::Field)
        );
        // The pivot of `brand` is not an entity of the scope.
        assert_eq!(
            refused(conn, &store, Graph::entity("product").fields(["brand_link.brand_id"])),
            ("brand_link".to_owned(), Refusal::Entity)
        );
        // A scope that refuses the link refuses its link row, in fields and in filters.
        let no_tags = Scope::new()
            .entity("product", Fields::all())
            .entity("product_tags", Fields::all());
        assert_eq!(
            refused(conn, &no_tags, Graph::entity("product").fields(["tags_link.position"])),
            ("tags_link".to_owned(), Refusal::Link)
        );
        assert_eq!(
            refused(conn, &no_tags, Graph::entity("product").fields(["tags_link"])),
            ("tags_link".to_owned(), Refusal::Field)
        );
        assert_eq!(
            refused(
                conn,
                &no_tags,
                Graph::entity("product").filter("tags_link.featured", true)
            ),
            ("tags_link".to_owned(), Refusal::Link)
        );
    }
}

/// The text of every statement a connection starts.
#[derive(Clone, Default)]
struct Statements(Arc<Mutex<Vec<String>>>);

impl Statements {
    fn record<C: Connection>(conn: &mut C) -> Self {
        let statements = Statements::default();
        let sink = Arc::clone(&statements.0);
        link_test_support::instrument(conn, move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { query, .. } = event {
                sink.lock().unwrap().push(query.to_string());
            }
        });
        statements
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// How many statements each query of link rows runs over a catalog of `products` more
/// products, each with a brand and two tags.
fn statements_with(products: usize) -> Vec<usize> {
    let mut conn = link_test_support::sqlite();
    catalog(&mut conn);
    let mut insert = String::new();
    for i in 0..products {
        insert += &format!("INSERT INTO products VALUES ('more_{i}', 'More {i}');");
    }
    conn.batch_execute(&insert).unwrap();
    for i in 0..products {
        let product = Product::id(format!("more_{i}"));
        link_runtime::create(
            &mut conn,
            product.clone(),
            link_tests::modules::brand::Brand::id(format!("brand_{}", i % 3 + 1)),
        )
        .unwrap();
        for tag in [i % 3 + 1, (i + 1) % 3 + 1] {
            product_tag::Link::create(&mut conn, product.clone(), Tag::id(format!("tag_{tag}")))
                .unwrap();
        }
    }
    let statements = Statements::record(&mut conn);
    let queries = [
        Graph::entity("product").fields(["id", "brand.name", "brand_link.*"]),
        Graph::entity("product")
            .fields(["id", "brand_link.created_at"])
            .with_deleted(),
        Graph::entity("product").fields(["id", "tags.name", "tags_link.*"]),
        Graph::entity("brand").fields([
            "id",
            "products_link.product_id",
            "products_link.product.name",
        ]),
        Graph::entity("product")
            .fields(["id"])
            .filter("tags_link.featured", false)
            .order("brand_link.created_at", Order::Desc)
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
    let few = statements_with(3);
    assert_eq!(few, statements_with(300));
    // Each query reads one snapshot: `BEGIN` and `COMMIT` around its statements. A link
    // row of one partner is joined into the root statement (with dismissed links, it
    // takes a statement of its own); a list's link rows take one statement of their own,
    // beside the two of its records, and join the record a row holds; a page counts its
    // rows.
    assert_eq!(few, [3, 4, 6, 4, 4]);
}

/// The product and tag modules in databases of their own, the links in a third: the link
/// rows are read where the links are.
fn across<C: LinkConnection + SimpleConnection + 'static>(
    links: Database<C>,
    products: Database<C>,
    tags: Database<C>,
) {
    let databases = Databases::new(&links)
        .module("product", &products)
        .module("tag", &tags);
    databases.migrate().unwrap();
    databases
        .for_module("product")
        .unwrap()
        .batch_execute(
            "CREATE TABLE products (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
             INSERT INTO products VALUES ('prod_1', 'Kettle'), ('prod_2', 'Teapot');",
        )
        .unwrap();
    databases
        .for_module("tag")
        .unwrap()
        .batch_execute(
            "CREATE TABLE tags (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
             INSERT INTO tags VALUES ('tag_1', 'kitchen'), ('tag_2', 'gift');",
        )
        .unwrap();
    let mut linked = databases.for_links().unwrap();
    for (product, tag, position) in [
        ("prod_1", "tag_1", 3),
        ("prod_1", "tag_2", 1),
        ("prod_2", "tag_2", 2),
    ] {
        let columns = product_tag::Columns {
            position,
            ..Default::default()
        };
        product_tag::Link::create_with(&mut *linked, Product::id(product), Tag::id(tag), columns)
            .unwrap();
    }
    drop(linked);
    let graph = |graph: Graph| Query::across(&databases).graph(graph).unwrap();
    let read = graph(
        Graph::entity("product")
            .fields(["id", "tags_link.tag_id", "tags_link.position"])
            .order("id", Order::Asc),
    );
    let mut rows = data(read);
    // Links made in one second have no order between them but their tags' ids.
    assert_eq!(
        rows,
        json!([
            { "id": "prod_1", "tags_link": [
                { "tag_id": "tag_1", "position": 3 }, { "tag_id": "tag_2", "position": 1 },
            ] },
            { "id": "prod_2", "tags_link": [{ "tag_id": "tag_2", "position": 2 }] },
        ]),
        "{rows}"
    );
    let filtered = graph(
        Graph::entity("product")
            .fields(["id"])
            .filter("tags_link.position", 2),
    );
    rows = data(filtered);
    assert_eq!(rows, json!([{ "id": "prod_2" }]));
}

#[test]
fn sqlite_link_rows_reach_across_databases() {
    let folder = link_test_support::SqliteFolder::new("link-rows-across");
    let file = |name: &str| {
        let path = folder.file(name);
        Database::connect(name, move || SqliteConnection::establish(&path))
    };
    across(file("links"), file("products"), file("tags"));
}

#[test]
fn postgres_link_rows_reach_across_databases() {
    let Some(created) = (0..3)
        .map(|_| link_test_support::postgres_database("link_rows_across"))
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
        connect("tags", &created[2]),
    );
}
