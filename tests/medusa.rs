//! Adopting a database Medusa made: its link table, as its link sync creates it, used as
//! it is, on data that breaks the link's cardinality (Medusa checks it with a read before
//! the write, so two writes at once can give a product two live brands).
//!
//! The table is `product_product_brand_brand` with Medusa's DDL: `character varying(255)`
//! ids, its primary key `(product_id, brand_id)`, `id` indexed but not unique, partial
//! indexes on each side over live rows under its own names, no unique index for the
//! cardinality; and Medusa's `link_module_migrations` table beside it. The fixture link is
//! `define_link!(Product(is_list), Brand)`: a product has one brand. Two products hold two
//! live brands: `prod_2` (Acme, then Birch a month later) and `prod_4` (both at the same
//! instant).
//!
//! What must hold, on both backends and through both drivers:
//! - the sync adopts the table, and plans the product's unique index as unsafe, naming
//!   the products that break it, until `check(prune = true)` resolves them; then as safe;
//! - a graph query, JSON or typed, that reads the brand of a product holding two live
//!   brands (in its fields, its order, with dismissed links or not) fails as a whole with
//!   `Error::OverLinked`, naming the first such product it finds and its brands, on one
//!   database and across databases; a query whose records hold one live brand each reads
//!   them; no query ever repeats a product. After the prune, every product reads its one
//!   brand.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use link_runtime::cli::LinksCommand;
use link_runtime::databases::{Database, Databases};
use link_runtime::graph::{Graph, GraphResult, GraphSelect, Order, Query};
use link_runtime::migrate::{ActionKind, Plan, Safety, SkipReason};
use link_runtime::{aio, Dialect, Error, LinkConnection};
use link_test_support::via::{self, Via};
use link_test_support::TestSql;
use link_tests::links::product_brand;
use link_tests::modules::supplier::Store;
use link_tests::modules::{brand::Brand, product::Product};
use serde::Deserialize;
use serde_json::{json, Value};

const TABLE: &str = "product_product_brand_brand";
const UNIQUE: &str = "product_product_brand_brand_product_id_live_unique";

/// The link table as Medusa's link sync creates it (PostgreSQL's DDL; SQLite takes the
/// same type names).
const MEDUSA_LINK_TABLE: &str = r#"
    CREATE TABLE product_product_brand_brand (
        product_id character varying(255) NOT NULL,
        brand_id character varying(255) NOT NULL,
        id character varying(255) NOT NULL,
        created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
        updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
        deleted_at timestamp with time zone,
        CONSTRAINT product_product_brand_brand_pkey PRIMARY KEY (product_id, brand_id)
    );
    CREATE INDEX IF NOT EXISTS "IDX_id_1d9cc22f" ON product_product_brand_brand (id);
    CREATE INDEX IF NOT EXISTS "IDX_product_id_1d9cc22f" ON product_product_brand_brand (product_id)
        WHERE deleted_at IS NULL;
    CREATE INDEX IF NOT EXISTS "IDX_brand_id_1d9cc22f" ON product_product_brand_brand (brand_id)
        WHERE deleted_at IS NULL;
    CREATE INDEX IF NOT EXISTS "IDX_deleted_at_1d9cc22f" ON product_product_brand_brand (deleted_at)
        WHERE deleted_at IS NULL;
"#;

/// Its rows: prod_2 and prod_4 hold two live brands each; prod_3's link is dismissed.
const MEDUSA_LINKS: &str = "
    INSERT INTO product_product_brand_brand (product_id, brand_id, id, created_at, updated_at, deleted_at) VALUES
        ('prod_1', 'brand_1', 'link_01JA0000000000000000000001', '2025-01-10 10:00:00', '2025-01-10 10:00:00', NULL),
        ('prod_2', 'brand_1', 'link_01JA0000000000000000000002', '2025-01-11 10:00:00', '2025-01-11 10:00:00', NULL),
        ('prod_2', 'brand_2', 'link_01JA0000000000000000000003', '2025-02-11 10:00:00', '2025-02-11 10:00:00', NULL),
        ('prod_3', 'brand_2', 'link_01JA0000000000000000000004', '2025-01-12 10:00:00', '2025-03-01 10:00:00', '2025-03-01 10:00:00'),
        ('prod_4', 'brand_1', 'link_01JA0000000000000000000005', '2025-04-01 00:00:00', '2025-04-01 00:00:00', NULL),
        ('prod_4', 'brand_2', 'link_01JA0000000000000000000006', '2025-04-01 00:00:00', '2025-04-01 00:00:00', NULL);
";

const PRODUCTS: &str = "
    CREATE TABLE products (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
    INSERT INTO products VALUES
        ('prod_1', 'Kettle'), ('prod_2', 'Teapot'), ('prod_3', 'Mug'), ('prod_4', 'Whisk'),
        ('prod_5', 'Spoon');
";

const BRANDS: &str = "
    CREATE TABLE brands (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
    INSERT INTO brands VALUES ('brand_1', 'Acme'), ('brand_2', 'Birch');
";

/// Medusa's record of its link syncs, which adoption leaves alone.
fn link_module_migrations(dialect: Dialect) -> String {
    let (id, descriptor) = match dialect {
        Dialect::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "TEXT"),
        _ => ("serial PRIMARY KEY", "jsonb"),
    };
    format!(
        r#"CREATE TABLE link_module_migrations (
               id {id},
               table_name character varying(255) NOT NULL UNIQUE,
               link_descriptor {descriptor} DEFAULT '{{}}' NOT NULL,
               created_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP
           );
           INSERT INTO link_module_migrations (table_name, link_descriptor) VALUES (
               'product_product_brand_brand',
               '{{"fromModule":"product","toModule":"brand","fromModel":"product","toModel":"brand"}}'
           );"#
    )
}

/// The Medusa-made database: its link table and `link_module_migrations`, and every fixture
/// module's table (the integrity check reads them all).
fn medusa_database(conn: &mut (impl Store + TestSql)) {
    conn.batch_execute(MEDUSA_LINK_TABLE).unwrap();
    conn.batch_execute(MEDUSA_LINKS).unwrap();
    conn.batch_execute(&link_module_migrations(dialect_of(conn)))
        .unwrap();
    conn.batch_execute(PRODUCTS).unwrap();
    conn.batch_execute(BRANDS).unwrap();
    conn.batch_execute(
        "CREATE TABLE tags (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE customers (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE wishlists (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);",
    )
    .unwrap();
    conn.migrate_suppliers().unwrap();
}

fn dialect_of<C: LinkConnection>(_: &C) -> Dialect {
    C::DIALECT
}

/// The actions `plan` has for the Medusa table.
fn medusa_actions(plan: &Plan) -> Vec<(ActionKind, bool)> {
    plan.actions()
        .iter()
        .filter(|action| action.table() == TABLE)
        .map(|action| (action.kind().clone(), action.is_safe()))
        .collect()
}

fn create_index(index: &str) -> ActionKind {
    ActionKind::CreateIndex {
        index: index.to_owned(),
    }
}

/// A product and its brand, typed.
#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Product)]
struct ProductBrand {
    id: String,
    #[graph(link)]
    brand: Option<BrandName>,
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Brand)]
struct BrandName {
    name: String,
}

fn typed(id: &str, brand: Option<&str>) -> ProductBrand {
    ProductBrand {
        id: id.to_owned(),
        brand: brand.map(|name| BrandName {
            name: name.to_owned(),
        }),
    }
}

/// Every product with its brand, once the prune kept the newest live link of each.
fn every_product() -> Value {
    json!([
        { "id": "prod_1", "brand": { "name": "Acme" } },
        { "id": "prod_2", "brand": { "name": "Birch" } },
        { "id": "prod_3", "brand": null },
        { "id": "prod_4", "brand": { "name": "Birch" } },
        { "id": "prod_5", "brand": null },
    ])
}

fn products() -> Graph {
    Graph::entity("product")
        .fields(["id", "brand.name"])
        .order("id", Order::Asc)
}

/// `error` is the over-linked product `record`'s, with its two brands.
fn assert_over_linked(error: &Error, record: &str) {
    match error {
        Error::OverLinked {
            link,
            model,
            record: found,
            partner_model,
            partners,
        } => {
            assert_eq!(
                (*link, *model, found.as_str(), *partner_model),
                (TABLE, "product", record, "brand")
            );
            assert_eq!(partners, &["brand_1", "brand_2"]);
        }
        other => panic!("expected {record} over-linked, got {other:?}"),
    }
    assert_eq!(error.kind(), link_runtime::ErrorKind::Conflict);
}

/// What graph queries read on the Medusa data before the prune: a query that reads the
/// brand of prod_2 or prod_4 fails, naming the first of them it finds; one that reads
/// other products' brands, or filters through the brand, reads them once each.
fn over_linked_products_are_refused<C: LinkConnection>(conn: &mut C) {
    let refused = via::graph(conn, products()).unwrap_err();
    assert_over_linked(&refused, "prod_2");
    assert_eq!(
        refused.to_string(),
        "link `product_product_brand_brand` allows one brand per product, and product \
         `prod_2` has 2 live links, to brand `brand_1`, `brand_2`: `links check --prune` \
         keeps the newest and dismisses the others"
    );
    let details = serde_json::to_value(refused.details()).unwrap();
    assert_eq!(
        (&details["type"], &details["record"], &details["link"]),
        (&json!("conflict"), &json!("prod_2"), &json!(TABLE))
    );
    // The JSON form, the typed form, a page, dismissed links, a link row, an order through
    // the brand: each reads the brand of an over-linked product.
    assert_over_linked(
        &via::graph(conn, products().to_json()).unwrap_err(),
        "prod_2",
    );
    assert_over_linked(
        &via::graph(conn, ProductBrand::graph().order(|p| p.id.asc())).unwrap_err(),
        "prod_2",
    );
    assert_over_linked(
        &via::graph(conn, products().skip(2).take(2)).unwrap_err(),
        "prod_4",
    );
    assert_over_linked(
        &via::graph(conn, products().with_deleted()).unwrap_err(),
        "prod_2",
    );
    assert_over_linked(
        &via::graph(
            conn,
            Graph::entity("product")
                .fields(["id", "brand_link.brand_id"])
                .filter("id", "prod_4"),
        )
        .unwrap_err(),
        "prod_4",
    );
    assert_over_linked(
        &via::graph(
            conn,
            Graph::entity("product")
                .fields(["id"])
                .order("brand.name", Order::Desc)
                .order("id", Order::Asc),
        )
        .unwrap_err(),
        "prod_2",
    );

    // Records that hold one live brand at most read as they are, each once.
    let others = via::graph(
        conn,
        products().filter("id", ["prod_1", "prod_3", "prod_5"]),
    )
    .unwrap();
    assert_eq!(
        Value::from(others.data),
        json!([
            { "id": "prod_1", "brand": { "name": "Acme" } },
            { "id": "prod_3", "brand": null },
            { "id": "prod_5", "brand": null },
        ])
    );
    let last_page = via::graph(conn, products().skip(4).take(2)).unwrap();
    assert_eq!(last_page.metadata.count, 5);
    assert_eq!(
        Value::from(last_page.data),
        json!([{ "id": "prod_5", "brand": null }])
    );
    // A filter through the brand reads no one brand of a product: a product some live
    // brand of which matches is kept, once.
    let birch = via::graph(
        conn,
        Graph::entity("product")
            .fields(["id"])
            .filter("brand.name", "Birch")
            .order("id", Order::Asc),
    )
    .unwrap();
    assert_eq!(
        Value::from(birch.data),
        json!([{ "id": "prod_2" }, { "id": "prod_4" }])
    );
    assert_eq!(birch.metadata.count, 2);
}

/// What graph queries read on the Medusa data after the prune: a product once, with the
/// brand of the live link the prune kept, in every form of query; pages that hold what
/// they count.
fn products_read_once<C: LinkConnection>(conn: &mut C) {
    let all = via::graph(conn, products()).unwrap();
    assert_eq!(Value::from(all.data.clone()), every_product());
    assert_eq!(all.metadata.count, 5);

    // Written as JSON without values: the same.
    let written = via::graph(conn, products().to_json()).unwrap();
    assert_eq!(
        serde_json::to_value(&written).unwrap(),
        serde_json::to_value(&all).unwrap()
    );

    // Pages: each as long as it says, together every product once.
    let mut paged = Vec::new();
    for skip in [0, 2, 4] {
        let page = via::graph(conn, products().skip(skip).take(2)).unwrap();
        assert_eq!(page.metadata.count, 5);
        assert_eq!(page.data.len(), if skip == 4 { 1 } else { 2 });
        paged.extend(page.data);
    }
    assert_eq!(Value::from(paged), every_product());

    // Typed, and typed pages.
    let typed_all = via::graph(conn, ProductBrand::graph().order(|p| p.id.asc())).unwrap();
    assert_eq!(
        typed_all,
        GraphResult {
            data: vec![
                typed("prod_1", Some("Acme")),
                typed("prod_2", Some("Birch")),
                typed("prod_3", None),
                typed("prod_4", Some("Birch")),
                typed("prod_5", None),
            ],
            metadata: all.metadata,
        }
    );
    let page = via::graph(conn, ProductBrand::graph().order(|p| p.id.asc()).take(3)).unwrap();
    assert_eq!(page.data.len(), 3);
    assert_eq!(page.metadata.count, 5);

    // Ordered by the brand's name: by the brand the product shows.
    let by_brand = via::graph(
        conn,
        Graph::entity("product")
            .fields(["id"])
            .order("brand.name", Order::Desc)
            .order("id", Order::Asc),
    )
    .unwrap();
    assert_eq!(
        Value::from(by_brand.data),
        json!([
            { "id": "prod_3" }, { "id": "prod_5" },
            { "id": "prod_2" }, { "id": "prod_4" },
            { "id": "prod_1" },
        ])
    );

    // With dismissed links: a live link still comes before a dismissed one (the prune
    // dismissed prod_2's and prod_4's links to Acme), and prod_3's dismissed link gives it
    // its brand.
    let with_deleted = via::graph(conn, products().with_deleted()).unwrap();
    assert_eq!(
        with_deleted.data[1],
        json!({ "id": "prod_2", "brand": { "name": "Birch" } })
    );
    assert_eq!(
        with_deleted.data[2],
        json!({ "id": "prod_3", "brand": { "name": "Birch" } })
    );
    assert_eq!(with_deleted.data.len(), 5);
}

link_test_support::backend_tests! {
    drivers;

    fn a_medusa_database_is_adopted_pruned_and_then_indexed(conn) {
        medusa_database(conn);

        // The sync adopts the table: it adds our indexes beside Medusa's, but the product's
        // unique index waits, unsafe, naming the products that break it.
        let plan = via::plan(conn).unwrap();
        assert_eq!(
            medusa_actions(&plan),
            [
                (create_index("product_product_brand_brand_id_unique"), true),
                (create_index(UNIQUE), false),
                (create_index("product_product_brand_brand_brand_id_live_index"), true),
                (ActionKind::RecordLink, true),
            ]
        );
        let unique = plan
            .actions()
            .iter()
            .find(|action| *action.kind() == create_index(UNIQUE))
            .unwrap();
        let Safety::Unsafe { reason } = unique.safety() else {
            panic!("{plan}");
        };
        assert_eq!(
            reason,
            "`product_product_brand_brand` holds 2 product(s) with more than one live brand \
             (`prod_2`, `prod_4`), where a product has one brand at most, so the index cannot \
             be built: `links check` lists them, and `links check --prune` keeps the newest \
             live link of each and dismisses the others"
        );
        let sql = plan.to_string();
        assert!(
            sql.contains(&format!(
                "-- [UNSAFE: {reason}] create index `{UNIQUE}` on `{TABLE}`\n"
            )),
            "{sql}"
        );

        // Its safe part runs; the index and the link's record wait.
        let applied = via::apply(conn, &plan, false).unwrap();
        let skipped: Vec<_> = applied
            .skipped
            .iter()
            .map(|skip| (skip.action.kind().clone(), skip.reason.clone()))
            .collect();
        assert_eq!(
            skipped,
            [
                (create_index(UNIQUE), SkipReason::Unsafe { reason: reason.clone() }),
                (ActionKind::RecordLink, SkipReason::LinkIncomplete),
            ]
        );
        assert!(!conn.index_names(TABLE).contains(&UNIQUE.to_owned()));

        // A graph query that reads an over-linked product's brand fails, naming it.
        over_linked_products_are_refused(conn);
        // From a brand, a list: every live link.
        let brands = || {
            Graph::entity("brand")
                .fields(["id", "products.id"])
                .order("id", Order::Asc)
        };
        assert_eq!(
            Value::from(via::graph(conn, brands()).unwrap().data),
            json!([
                { "id": "brand_1", "products": [{ "id": "prod_1" }, { "id": "prod_2" }, { "id": "prod_4" }] },
                { "id": "brand_2", "products": [{ "id": "prod_2" }, { "id": "prod_4" }] },
            ])
        );

        // The check lists them, the newest live link first.
        let found = via::check(conn, false).unwrap();
        let overlinked: Vec<_> = found
            .overlinked()
            .map(|(table, o)| (table, o.model, o.record.as_str(), o.partner_model, o.partners.join(" ")))
            .collect();
        assert_eq!(
            overlinked,
            [
                (TABLE, "product", "prod_2", "brand", "brand_2 brand_1".to_owned()),
                (TABLE, "product", "prod_4", "brand", "brand_2 brand_1".to_owned()),
            ]
        );
        assert!(!found.is_clean());
        assert_eq!(found.dangling().count(), 0);

        let mut listed = Vec::new();
        LinksCommand::Check { prune: false }.run(conn, &mut listed).unwrap();
        let listed = String::from_utf8(listed).unwrap();
        assert!(
            listed.contains(
                "product_product_brand_brand: 5 live link(s), 0 to missing or deleted records, \
                 2 record(s) with more live partners than the link allows\n  \
                 product prod_2 has 2 live brand links where it may have one: \
                 brand_2 (the newest, which a prune keeps), brand_1\n  \
                 product prod_4 has 2 live brand links where it may have one: \
                 brand_2 (the newest, which a prune keeps), brand_1\n"
            ),
            "{listed}"
        );
        assert!(listed.ends_with("`links check --prune` soft-deletes the links found\n"), "{listed}");

        // The prune keeps each product's newest live link and dismisses the others.
        let pruned = via::check(conn, true).unwrap();
        let link = pruned.links.iter().find(|link| link.table == TABLE).unwrap();
        assert_eq!(link.pruned, 2);
        assert_eq!(link.overlinked.len(), 2);
        assert!(via::check(conn, false).unwrap().is_clean());
        assert_eq!(
            conn.rows(
                "SELECT product_id, brand_id FROM product_product_brand_brand \
                 WHERE deleted_at IS NULL ORDER BY product_id",
                &[],
            ),
            [["prod_1", "brand_1"], ["prod_2", "brand_2"], ["prod_4", "brand_2"]]
        );

        // The index is safe now.
        let plan = via::plan(conn).unwrap();
        assert_eq!(
            medusa_actions(&plan),
            [(create_index(UNIQUE), true), (ActionKind::RecordLink, true)]
        );
        let applied = via::apply(conn, &plan, false).unwrap();
        assert!(applied.skipped.is_empty(), "{:?}", applied.skipped);
        assert!(conn.index_names(TABLE).contains(&UNIQUE.to_owned()));
        assert!(via::plan(conn).unwrap().is_empty());

        // What the metadata records is the table as it is: Medusa's varchar ids.
        let recorded = conn.texts(
            "SELECT create_sql FROM link_metadata WHERE table_name = ?",
            &[TABLE],
        );
        for column in ["id", "product_id", "brand_id"] {
            let definition = format!("\"{column}\" character varying(255) NOT NULL");
            assert!(recorded[0].contains(&definition), "{}", recorded[0]);
        }
        // Medusa's record of its syncs is left as it was, and so are its indexes.
        assert_eq!(conn.texts("SELECT table_name FROM link_module_migrations", &[]), [TABLE]);
        assert!(conn.index_names(TABLE).contains(&"IDX_product_id_1d9cc22f".to_owned()));

        // Each product reads its one brand now: the newest live link, which the prune kept.
        products_read_once(conn);
        assert_eq!(
            Value::from(via::graph(conn, brands()).unwrap().data),
            json!([
                { "id": "brand_1", "products": [{ "id": "prod_1" }] },
                { "id": "brand_2", "products": [{ "id": "prod_2" }, { "id": "prod_4" }] },
            ])
        );

        // And the database enforces the product's one brand on Medusa's table.
        Via::<product_brand::Link>::create(conn, Product::id("prod_5"), Brand::id("brand_1"))
            .unwrap();
        let refused =
            Via::<product_brand::Link>::create(conn, Product::id("prod_5"), Brand::id("brand_2"))
                .unwrap_err();
        assert!(matches!(refused, Error::Cardinality { .. }), "{refused:?}");
    }
}

/// The queries across databases: every product (refused), a page of products that hold
/// one brand at most, a filter that leaves the others out.
fn across_queries() -> [Graph; 3] {
    [
        products(),
        products().skip(4).take(2),
        products().filter("id", ["prod_1", "prod_3"]),
    ]
}

/// The links in a database of their own, products and brands in theirs: the pivot is read
/// by a statement of its own, which finds the over-linked products too.
fn products_across_databases<C: LinkConnection>(databases: &Databases<C>) -> Vec<Value> {
    let mut read = Vec::new();
    for graph in across_queries() {
        read.push(match Query::across(databases).graph(graph) {
            Ok(result) => serde_json::to_value(result).unwrap(),
            Err(error) => json!(error.to_string()),
        });
    }
    let typed = Query::across(databases)
        .graph(ProductBrand::graph().order(|p| p.id.asc()))
        .unwrap_err();
    assert_over_linked(&typed, "prod_2");
    read
}

/// The same queries through the async driver.
async fn products_across_databases_async<C>(databases: &aio::Databases<C>) -> Vec<Value>
where
    C: aio::AsyncLinkConnection + 'static,
{
    let mut read = Vec::new();
    for graph in across_queries() {
        read.push(match aio::Query::across(databases).graph(graph).await {
            Ok(result) => serde_json::to_value(result).unwrap(),
            Err(error) => json!(error.to_string()),
        });
    }
    let typed = aio::Query::across(databases)
        .graph(ProductBrand::graph().order(|p| p.id.asc()))
        .await
        .unwrap_err();
    assert_over_linked(&typed, "prod_2");
    read
}

/// What the three queries of [`products_across_databases`] read: the refusal's message, or
/// the result.
fn expected_across() -> Vec<Value> {
    vec![
        json!(
            "link `product_product_brand_brand` allows one brand per product, and product \
             `prod_2` has 2 live links, to brand `brand_1`, `brand_2`: `links check --prune` \
             keeps the newest and dismisses the others"
        ),
        json!({
            "data": [{ "id": "prod_5", "brand": null }],
            "metadata": { "count": 5, "skip": 4, "take": 2, "next_cursor": null },
        }),
        json!({
            "data": [{ "id": "prod_1", "brand": { "name": "Acme" } }, { "id": "prod_3", "brand": null }],
            "metadata": { "count": 2, "skip": 0, "take": null },
        }),
    ]
}

/// Writes the Medusa link table, the products and the brands into their databases.
fn split(
    links: &mut impl SimpleConnection,
    products: &mut impl SimpleConnection,
    brands: &mut impl SimpleConnection,
) {
    links.batch_execute(MEDUSA_LINK_TABLE).unwrap();
    links.batch_execute(MEDUSA_LINKS).unwrap();
    products.batch_execute(PRODUCTS).unwrap();
    brands.batch_execute(BRANDS).unwrap();
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn sqlite_files_apart_refuse_over_linked_products() {
    let folder = link_test_support::SqliteFolder::new("medusa-across");
    let connect = |name: &str| SqliteConnection::establish(&folder.file(name)).unwrap();
    split(
        &mut connect("links"),
        &mut connect("products"),
        &mut connect("brands"),
    );

    let database = |name: &str| {
        let path = folder.file(name);
        Database::connect(name, move || SqliteConnection::establish(&path))
    };
    let (links, products, brands) = (database("links"), database("products"), database("brands"));
    let databases = Databases::new(&links)
        .module("product", &products)
        .module("brand", &brands);
    assert_eq!(products_across_databases(&databases), expected_across());

    type Conn = diesel_async::sync_connection_wrapper::SyncConnectionWrapper<SqliteConnection>;
    let read = runtime().block_on(async {
        let database = |name: &str| aio::Database::<Conn>::connect(name, folder.file(name));
        let (links, products, brands) =
            (database("links"), database("products"), database("brands"));
        let databases = aio::Databases::new(&links)
            .module("product", &products)
            .module("brand", &brands);
        products_across_databases_async(&databases).await
    });
    assert_eq!(read, expected_across());
}

#[test]
fn postgres_databases_apart_refuse_over_linked_products() {
    let Some(links_db) = link_test_support::postgres_database("medusa_links") else {
        return;
    };
    let products_db = link_test_support::postgres_database("medusa_products").unwrap();
    let brands_db = link_test_support::postgres_database("medusa_brands").unwrap();
    split(
        &mut links_db.connect(),
        &mut products_db.connect(),
        &mut brands_db.connect(),
    );

    let database = |name: &str, url: &str| {
        let url = url.to_owned();
        Database::connect(name, move || PgConnection::establish(&url))
    };
    let (links, products, brands) = (
        database("links", links_db.url()),
        database("products", products_db.url()),
        database("brands", brands_db.url()),
    );
    let databases = Databases::new(&links)
        .module("product", &products)
        .module("brand", &brands);
    assert_eq!(products_across_databases(&databases), expected_across());

    let read = runtime().block_on(async {
        let database = |name: &str, url: &str| {
            aio::Database::<diesel_async::AsyncPgConnection>::connect(name, url.to_owned())
        };
        let (links, products, brands) = (
            database("links", links_db.url()),
            database("products", products_db.url()),
            database("brands", brands_db.url()),
        );
        let databases = aio::Databases::new(&links)
            .module("product", &products)
            .module("brand", &brands);
        products_across_databases_async(&databases).await
    });
    assert_eq!(read, expected_across());
}
