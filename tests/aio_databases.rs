//! Modules in databases of their own on the async driver: product, brand and supplier
//! tables and the link tables in three databases (SQLite files, PostgreSQL databases when
//! configured), reached through diesel-async deadpool pools and through URLs.
//!
//! Each database holds only its own tables, so a statement that read a table of another
//! database would fail. The same queries through the blocking `Databases` on the same
//! databases must read the same.

use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use link_runtime::aio::{self, AsyncLinkConnection};
use link_runtime::graph::{Graph, Order, Query};
use link_runtime::service::ListFilter;
use link_runtime::{databases, Error, LinkConnection};
use link_test_support::TestSql;
use link_tests::links::{product_brand, product_supplier};
use link_tests::modules::supplier::Supplier;
use link_tests::modules::{brand::Brand, product::Product};
use serde_json::{json, Value};

/// The three async databases: links, products, and brands with suppliers.
fn place<C>(
    links: &aio::Database<C>,
    products: &aio::Database<C>,
    brands: &aio::Database<C>,
) -> aio::Databases<C> {
    aio::Databases::new(links)
        .module("product", products)
        .module("brand", brands)
        .module("supplier", brands)
}

/// The same three, reached by the blocking driver.
fn place_blocking<C: 'static>(
    links: &databases::Database<C>,
    products: &databases::Database<C>,
    brands: &databases::Database<C>,
) -> databases::Databases<C> {
    databases::Databases::new(links)
        .module("product", products)
        .module("brand", brands)
        .module("supplier", brands)
}

/// Each module's tables in its database, the links' in theirs, links across them; then
/// graph queries, a cascading delete and a restore, an integrity check, each across the
/// databases.
/// Returns what the graph queries read, for the blocking driver to read the same.
async fn scenario<C>(databases: &aio::Databases<C>) -> Vec<Value>
where
    C: AsyncLinkConnection + SimpleAsyncConnection + 'static,
    Supplier: aio::SoftDelete<C>,
{
    databases
        .for_module("product")
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE products (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
             INSERT INTO products VALUES
                 ('prod_1', 'Kettle'), ('prod_2', 'Teapot'), ('prod_3', 'Mug');",
        )
        .await
        .unwrap();
    databases
        .for_module("brand")
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE brands (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
             INSERT INTO brands VALUES ('brand_1', 'Acme'), ('brand_2', 'Bolt');
             CREATE TABLE supplier (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL,
                                    deleted_at TIMESTAMP);
             INSERT INTO supplier (id, name) VALUES ('sup_1', 'Alder'), ('sup_2', 'Birch');",
        )
        .await
        .unwrap();

    let synced = databases.migrate().await.unwrap();
    assert_eq!(synced.len(), 1, "only the links' database holds links");
    assert_eq!(synced[0].0, "links");

    let mut conn = databases.for_link::<product_brand::Link>().await.unwrap();
    for (product, brand) in [
        ("prod_1", "brand_1"),
        ("prod_2", "brand_1"),
        ("prod_3", "brand_2"),
    ] {
        aio::create(&mut *conn, Product::id(product), Brand::id(brand))
            .await
            .unwrap();
    }
    for (product, supplier) in [
        ("prod_1", "sup_1"),
        ("prod_2", "sup_2"),
        ("prod_3", "sup_2"),
    ] {
        aio::create(&mut *conn, Product::id(product), Supplier::id(supplier))
            .await
            .unwrap();
    }
    drop(conn);

    let mut read = Vec::new();
    let products = aio::Query::across(databases)
        .graph(
            Graph::entity("product")
                .fields(["id", "name", "brand.name", "supplier.name"])
                .filter("brand.name", "Acme")
                .order("id", Order::Asc),
        )
        .await
        .unwrap();
    assert_eq!(
        products.data,
        [
            json!({ "id": "prod_1", "name": "Kettle", "brand": { "name": "Acme" }, "supplier": { "name": "Alder" } }),
            json!({ "id": "prod_2", "name": "Teapot", "brand": { "name": "Acme" }, "supplier": { "name": "Birch" } }),
        ]
    );
    read.extend(products.data);
    let brands = aio::Query::across(databases)
        .graph(
            Graph::entity("brand")
                .fields(["name", "products.name"])
                .order("name", Order::Asc),
        )
        .await
        .unwrap();
    assert_eq!(brands.metadata.count, 2);
    read.extend(brands.data);
    // Ordered by a count of links in another database: every brand's count bound in.
    let by_count = aio::Query::across(databases)
        .graph(by_product_count())
        .await
        .unwrap();
    assert_eq!(
        by_count.data,
        [
            json!({ "id": "brand_1", "_count": { "products": 2 } }),
            json!({ "id": "brand_2", "_count": { "products": 1 } }),
        ]
    );
    read.extend(by_count.data);

    // Deleting prod_1's links cascades into the supplier module's database: sup_1 has no
    // other product and goes; sup_2 is held by prod_3.
    let modules = aio::Modules::new().with::<Supplier>();
    let deletion = databases
        .delete(&modules, &[Product::id("prod_1"), Product::id("prod_2")])
        .await
        .unwrap();
    assert_eq!(deletion.link_count(), 4);
    assert_eq!(
        deletion.cascaded.values().collect::<Vec<_>>(),
        [&vec!["sup_1".to_owned()]]
    );
    assert_eq!(
        deletion.kept.values().collect::<Vec<_>>(),
        [&vec!["sup_2".to_owned()]]
    );

    assert_eq!(databases.restore(&modules, &deletion).await.unwrap(), 4);
    let mut conn = databases
        .for_link::<product_supplier::Link>()
        .await
        .unwrap();
    let live = aio::list(&mut *conn, &ListFilter::<product_supplier::Link>::new())
        .await
        .unwrap();
    assert_eq!(live.len(), 3);
    drop(conn);

    // Checking integrity reads each side's records in its own database. The modules with
    // no records here still have their tables, in the links' database.
    databases
        .for_links()
        .await
        .unwrap()
        .batch_execute(
            "CREATE TABLE tags (id TEXT PRIMARY KEY NOT NULL);
             CREATE TABLE customers (id TEXT PRIMARY KEY NOT NULL);
             CREATE TABLE wishlists (id TEXT PRIMARY KEY NOT NULL);",
        )
        .await
        .unwrap();
    assert!(databases.check(false).await.unwrap().is_clean());
    // A product linked, then removed from its module's database behind the links' back.
    let mut products = databases.for_module("product").await.unwrap();
    products
        .batch_execute("INSERT INTO products VALUES ('prod_4', 'Jug')")
        .await
        .unwrap();
    drop(products);
    let mut conn = databases.for_link::<product_brand::Link>().await.unwrap();
    aio::create(&mut *conn, Product::id("prod_4"), Brand::id("brand_2"))
        .await
        .unwrap();
    aio::create(&mut *conn, Product::id("prod_4"), Supplier::id("sup_2"))
        .await
        .unwrap();
    drop(conn);
    databases
        .for_module("product")
        .await
        .unwrap()
        .batch_execute("DELETE FROM products WHERE id = 'prod_4'")
        .await
        .unwrap();
    let found = databases.check(false).await.unwrap();
    let dangling: Vec<_> = found
        .dangling()
        .map(|(table, d)| (table, d.left.as_str(), d.right.as_str()))
        .collect();
    assert_eq!(
        dangling,
        [
            ("product_product_brand_brand", "prod_4", "brand_2"),
            ("product_product_supplier_supplier", "prod_4", "sup_2"),
        ]
    );
    assert_eq!(databases.check(true).await.unwrap().dangling().count(), 2);
    assert!(databases.check(false).await.unwrap().is_clean());

    // Every write across the databases ended: nothing was left for recovery.
    assert!(databases.recover().await.unwrap().is_empty());

    // A module no model belongs to is named, not sent to the default database.
    let misspelt = databases.for_module("prodcut").await.map(drop);
    assert!(
        matches!(misspelt, Err(Error::UnknownModule { .. })),
        "{misspelt:?}"
    );
    read
}

/// Brands with their count of products, most first.
fn by_product_count() -> Graph {
    Graph::entity("brand")
        .fields(["id", "_count.products"])
        .order("_count.products", Order::Desc)
}

/// The graph queries of [`scenario`], through the blocking driver.
fn read_blocking<C: LinkConnection>(databases: &databases::Databases<C>) -> Vec<Value> {
    let mut read = Query::across(databases)
        .graph(
            Graph::entity("product")
                .fields(["id", "name", "brand.name", "supplier.name"])
                .filter("brand.name", "Acme")
                .order("id", Order::Asc),
        )
        .unwrap()
        .data;
    read.extend(
        Query::across(databases)
            .graph(
                Graph::entity("brand")
                    .fields(["name", "products.name"])
                    .order("name", Order::Asc),
            )
            .unwrap()
            .data,
    );
    read.extend(
        Query::across(databases)
            .graph(by_product_count())
            .unwrap()
            .data,
    );
    read
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn sqlite_files_through_urls_and_a_deadpool_pool() {
    type Conn = SyncConnectionWrapper<SqliteConnection>;
    let folder = link_test_support::SqliteFolder::new("aio-databases");
    let read = runtime().block_on(async {
        let links = aio::Database::<Conn>::connect("links", folder.file("links"));
        let pool = Pool::builder(AsyncDieselConnectionManager::<Conn>::new(
            folder.file("products"),
        ))
        .max_size(2)
        .build()
        .unwrap();
        let products = aio::Database::pool("products", pool);
        let brands = aio::Database::<Conn>::connect("brands", folder.file("brands"));
        scenario(&place(&links, &products, &brands)).await
    });

    let connect = |name: &str| {
        let path = folder.file(name);
        databases::Database::connect(name, move || SqliteConnection::establish(&path))
    };
    let blocking = place_blocking(&connect("links"), &connect("products"), &connect("brands"));
    assert_eq!(read_blocking(&blocking), read);
}

#[test]
fn postgres_databases_through_deadpool_pools() {
    let Some(links_db) = link_test_support::postgres_database("aio_databases_links") else {
        return;
    };
    let products_db = link_test_support::postgres_database("aio_databases_products").unwrap();
    let brands_db = link_test_support::postgres_database("aio_databases_brands").unwrap();
    let read = runtime().block_on(async {
        let pool = |name: &str, url: &str| {
            let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
            aio::Database::pool(name, Pool::builder(manager).max_size(4).build().unwrap())
        };
        let databases = place(
            &pool("links", links_db.url()),
            &pool("products", products_db.url()),
            &pool("brands", brands_db.url()),
        );
        // The futures of the databases' operations are Send: they run on other tasks.
        let databases = std::sync::Arc::new(databases);
        let spawned = std::sync::Arc::clone(&databases);
        tokio::spawn(async move { scenario(&spawned).await })
            .await
            .unwrap()
    });

    let connect = |name: &str, url: &str| {
        let url = url.to_owned();
        databases::Database::connect(name, move || PgConnection::establish(&url))
    };
    let blocking = place_blocking(
        &connect("links", links_db.url()),
        &connect("products", products_db.url()),
        &connect("brands", brands_db.url()),
    );
    assert_eq!(read_blocking(&blocking), read);
    // The delete and the restore wrote two databases each, in two phases: no prepared
    // transaction is left.
    for database in [&links_db, &products_db, &brands_db] {
        let prepared = database.connect().texts(
            "SELECT gid FROM pg_prepared_xacts WHERE database = current_database()",
            &[],
        );
        assert_eq!(prepared, Vec::<String>::new());
    }
}
