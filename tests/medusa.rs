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
//! - graph queries, JSON and typed, never repeat a product and count what they return; a
//!   product's brand is the one its newest live link gives (the link the prune keeps), on
//!   one database and across databases.

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

/// Every product with its brand: the brand of its newest live link.
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

/// What graph queries read on the Medusa data, before and after the prune: a product once,
/// with the brand of its newest live link, in every form of query; pages that hold what
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

    // With dismissed links: a live link still comes before a dismissed one, and prod_3's
    // dismissed link gives it its brand.
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

        // Graph queries read each product once, with the brand of its newest live link.
        products_read_once(conn);
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
                 brand_2 (the newest: the one read, and kept by a prune), brand_1\n  \
                 product prod_4 has 2 live brand links where it may have one: \
                 brand_2 (the newest: the one read, and kept by a prune), brand_1\n"
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

        // The products read as before: the prune kept the links the queries read.
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

/// The links in a database of their own, products and brands in theirs: the pivot is read
/// by a statement of its own, which reads one link per product too.
fn products_across_databases<C: LinkConnection>(databases: &Databases<C>) -> Vec<Value> {
    let mut read = Vec::new();
    for graph in [products(), products().take(2), products().skip(2).take(2)] {
        let result = Query::across(databases).graph(graph).unwrap();
        assert_eq!(result.metadata.count, 5);
        read.push(serde_json::to_value(result).unwrap());
    }
    let typed = Query::across(databases)
        .graph(ProductBrand::graph().order(|p| p.id.asc()))
        .unwrap();
    assert_eq!(typed.data.len(), 5);
    assert_eq!(typed.data[1], self::typed("prod_2", Some("Birch")));
    assert_eq!(typed.data[3], self::typed("prod_4", Some("Birch")));
    read
}

/// The same queries through the async driver.
async fn products_across_databases_async<C>(databases: &aio::Databases<C>) -> Vec<Value>
where
    C: aio::AsyncLinkConnection + 'static,
{
    let mut read = Vec::new();
    for graph in [products(), products().take(2), products().skip(2).take(2)] {
        let result = aio::Query::across(databases).graph(graph).await.unwrap();
        read.push(serde_json::to_value(result).unwrap());
    }
    let typed = aio::Query::across(databases)
        .graph(ProductBrand::graph().order(|p| p.id.asc()))
        .await
        .unwrap();
    assert_eq!(typed.data.len(), 5);
    read
}

/// What the three queries of [`products_across_databases`] read.
fn expected_across() -> Vec<Value> {
    let every = every_product();
    let page = |skip: usize, take: usize| {
        json!({
            "data": every.as_array().unwrap()[skip..skip + take],
            "metadata": { "count": 5, "skip": skip, "take": take },
        })
    };
    vec![
        json!({ "data": every, "metadata": { "count": 5, "skip": 0, "take": null } }),
        page(0, 2),
        page(2, 2),
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
fn sqlite_files_apart_read_each_product_once() {
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
fn postgres_databases_apart_read_each_product_once() {
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
