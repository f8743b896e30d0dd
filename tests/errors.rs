//! What the runtime's errors and results mean to a web handler, on real databases (SQLite,
//! and PostgreSQL when configured): the kind and status code of refusals the databases
//! make themselves (a second brand, a duplicate pivot row written through diesel, a locked
//! SQLite file, a PostgreSQL deadlock), the JSON body an error is described with, and the
//! JSON of `Created` and `Deletion`.

use std::path::PathBuf;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use link_runtime::graph::Graph;
use link_runtime::service::ListFilter;
use link_runtime::{Created, Error, ErrorKind, LinkConnection};
use link_test_support::via::{self, Cascades, Via};
use link_tests::links::{product_brand, product_supplier, product_tag};
use link_tests::modules::supplier::{Store, Supplier};
use link_tests::modules::{brand::Brand, product::Product, tag::Tag};
use serde_json::{json, Value};

fn setup(conn: &mut impl Store) {
    via::migrate(conn).expect("link tables are created");
    conn.migrate_suppliers()
        .expect("the supplier table is created");
}

/// The JSON body a handler answers `error` with.
fn body(error: &Error) -> Value {
    serde_json::to_value(error.details()).expect("details serialize")
}

/// The id of the one pivot row, live or not, of `product` in `product_brand`.
fn brand_link_id(conn: &mut impl LinkConnection, product: &str) -> String {
    let rows = Via::<product_brand::Link>::list(
        conn,
        &ListFilter::new()
            .with_deleted()
            .left([Product::id(product)]),
    )
    .unwrap();
    match rows.as_slice() {
        [row] => row.id.clone(),
        rows => panic!("expected one row of {product}, got {rows:?}"),
    }
}

/// The id of the one pivot row, live or not, of `product` in `product_supplier`.
fn supplier_link_id(conn: &mut impl LinkConnection, product: &str) -> String {
    let rows = Via::<product_supplier::Link>::list(
        conn,
        &ListFilter::new()
            .with_deleted()
            .left([Product::id(product)]),
    )
    .unwrap();
    match rows.as_slice() {
        [row] => row.id.clone(),
        rows => panic!("expected one row of {product}, got {rows:?}"),
    }
}

link_test_support::backend_tests! {
    drivers;
    helpers {
        /// Inserts a pivot row of `product_brand` around the runtime, straight through
        /// diesel.
        fn insert_brand_row(conn: &mut Conn, row: &str, product: &str, brand: &str) -> QueryResult<usize> {
            use product_brand::pivot::dsl::*;
            diesel::insert_into(product_product_brand_brand)
                .values((id.eq(row), product_id.eq(product), brand_id.eq(brand)))
                .execute(conn)
        }
    }

    fn a_second_brand_for_a_product_is_a_conflict(conn) {
        setup(conn);
        Via::<product_brand::Link>::create(conn, Product::id("prod_1"), Brand::id("brand_1")).unwrap();

        let error = Via::<product_brand::Link>::create(conn, Product::id("prod_1"), Brand::id("brand_2"))
            .unwrap_err();
        assert!(matches!(error, Error::Cardinality { .. }), "{error:?}");
        assert_eq!(error.kind(), ErrorKind::Conflict);
        assert_eq!(error.kind().http_status(), 409);
        assert_eq!(
            body(&error),
            json!({
                "type": "conflict",
                "message": "link `product_product_brand_brand` allows one brand per product, and \
                            product `prod_1` is already linked to brand `brand_1` \
                            (refused: brand `brand_2`)",
                "link": "product_product_brand_brand",
                "model": "product",
                "record": "prod_1",
                "partner_model": "brand",
                "partner": "brand_1",
                "refused": "brand_2",
            })
        );

        // The same refusal from a batch.
        let error = Via::<product_brand::Link>::create_many(
            conn,
            &[
                (Product::id("prod_2"), Brand::id("brand_1")),
                (Product::id("prod_1"), Brand::id("brand_3")),
            ],
        )
        .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Conflict, "{error:?}");
        assert_eq!(body(&error)["refused"], "brand_3");
    }

    fn a_duplicate_pivot_row_written_through_diesel_is_a_conflict(conn) {
        setup(conn);
        Via::<product_brand::Link>::create(conn, Product::id("prod_1"), Brand::id("brand_1")).unwrap();
        let row = brand_link_id(conn, "prod_1");

        // The same pair again, by hand: the table's key refuses it.
        let refused = insert_brand_row(conn, "link_by_hand", "prod_1", "brand_1").unwrap_err();
        assert!(
            matches!(
                refused,
                diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _
                )
            ),
            "{refused:?}"
        );
        let error = Error::from(refused);
        assert_eq!(error.kind(), ErrorKind::Conflict);
        assert_eq!(error.kind().http_status(), 409);
        // The database's words name the table; the body a client gets does not.
        assert!(
            error.to_string().contains("product_product_brand_brand"),
            "{error}"
        );
        assert_eq!(
            body(&error),
            json!({
                "type": "conflict",
                "message": "the request conflicts with the current state of the data",
            })
        );

        // A second row with the pair's link id: the same kind.
        let error = Error::from(insert_brand_row(conn, &row, "prod_2", "brand_1").unwrap_err());
        assert_eq!(error.kind(), ErrorKind::Conflict, "{error:?}");
    }

    fn created_serializes_as_what_happened(conn) {
        setup(conn);
        let pair = || (Product::id("prod_1"), Brand::id("brand_1"));
        let mut outcomes = Vec::new();
        let (product, brand) = pair();
        outcomes.push(Via::<product_brand::Link>::create(conn, product, brand).unwrap());
        let (product, brand) = pair();
        outcomes.push(Via::<product_brand::Link>::create(conn, product, brand).unwrap());
        let (product, brand) = pair();
        assert!(Via::<product_brand::Link>::dismiss(conn, product, brand).unwrap());
        let (product, brand) = pair();
        outcomes.push(Via::<product_brand::Link>::create(conn, product, brand).unwrap());
        Via::<product_tag::Link>::create(conn, Product::id("prod_1"), Tag::id("tag_1")).unwrap();
        let columns = product_tag::Columns {
            position: 2,
            ..product_tag::Columns::default()
        };
        outcomes.push(
            Via::<product_tag::Link>::create_with(conn, Product::id("prod_1"), Tag::id("tag_1"), columns)
                .unwrap(),
        );

        assert_eq!(
            outcomes,
            [
                Created::Inserted,
                Created::Unchanged,
                Created::Revived,
                Created::Updated
            ]
        );
        assert_eq!(
            serde_json::to_value(&outcomes).unwrap(),
            json!(["inserted", "unchanged", "revived", "updated"])
        );
        assert_eq!(
            serde_json::to_string(&Created::Inserted).unwrap(),
            r#""inserted""#
        );
    }

    fn a_deletion_serializes_as_its_links_and_records(conn) {
        setup(conn);
        for (id, name) in [("sup_a", "Alder"), ("sup_b", "Beech")] {
            conn.add_supplier(id, name).unwrap();
        }
        // prod_1 alone has sup_a; prod_2 and prod_3 share sup_b.
        Via::<product_supplier::Link>::create_many(
            conn,
            &[
                (Product::id("prod_1"), Supplier::id("sup_a")),
                (Product::id("prod_2"), Supplier::id("sup_b")),
                (Product::id("prod_3"), Supplier::id("sup_b")),
            ],
        )
        .unwrap();
        Via::<product_brand::Link>::create(conn, Product::id("prod_1"), Brand::id("brand_1")).unwrap();
        let modules = Cascades::new().with::<Supplier>();

        // sup_a goes with prod_1.
        let deletion = via::delete(conn, &modules, &[Product::id("prod_1")]).unwrap();
        assert_eq!(
            serde_json::to_value(&deletion).unwrap(),
            json!({
                "links": {
                    "product_product_brand_brand": [brand_link_id(conn, "prod_1")],
                    "product_product_supplier_supplier": [supplier_link_id(conn, "prod_1")],
                },
                "cascaded": { "supplier.supplier": ["sup_a"] },
                "kept": {},
            })
        );

        // prod_3 still holds sup_b.
        let deletion = via::delete(conn, &modules, &[Product::id("prod_2")]).unwrap();
        assert_eq!(
            serde_json::to_value(&deletion).unwrap(),
            json!({
                "links": {
                    "product_product_supplier_supplier": [supplier_link_id(conn, "prod_2")],
                },
                "cascaded": {},
                "kept": { "supplier.supplier": ["sup_b"] },
            })
        );
        assert_eq!(conn.live_suppliers().unwrap(), ["sup_b"]);
    }
}

/// The graph queries' errors, through both drivers.
mod graph_queries {
    use super::*;

    /// Every entity the fixture crate registers, as an unknown entity's error lists them.
    const KNOWN_ENTITIES: &str = "brand, customer, product, supplier, tag, wishlist, \
         customer_customer_wishlist_wishlist, product_product_brand_brand, \
         product_product_supplier_supplier, product_tags, supplier_supplier_brand_brand";

    link_test_support::backend_tests! {
        drivers;

        fn an_unknown_entity_is_invalid(conn) {
            via::migrate(conn).unwrap();
            let error = via::graph(conn, Graph::entity("products")).unwrap_err();
            assert!(matches!(error, Error::UnknownEntity { .. }), "{error:?}");
            assert_eq!(error.kind(), ErrorKind::Invalid);
            assert_eq!(error.kind().http_status(), 400);
            assert_eq!(
                body(&error),
                json!({
                    "type": "invalid",
                    "message": format!("no entity `products` is registered (known: {KNOWN_ENTITIES})"),
                    "entity": "products",
                })
            );
        }

        fn unknown_fields_bad_filter_values_and_malformed_json_are_invalid(conn) {
            via::migrate(conn).unwrap();
            let error = via::graph(conn, Graph::entity("brand").fields(["id", "country"])).unwrap_err();
            assert_eq!(
                body(&error),
                json!({
                    "type": "invalid",
                    "message": "`brand` has no field `country` (known: id, name, products, products_link, supplier, supplier_link)",
                    "entity": "brand",
                    "field": "country",
                })
            );
            let error = via::graph(conn, Graph::entity("product_tags").filter("position", "five"))
                .unwrap_err();
            assert_eq!(
                body(&error),
                json!({
                    "type": "invalid",
                    "message": "filter on `product_tags.position`: expects an integer, got `\"five\"`",
                    "entity": "product_tags",
                    "field": "position",
                })
            );
            // A JSON query of the wrong shape is refused before it reaches a driver.
            let error = Graph::from_json(json!({ "entity": "brand", "fields": "id" })).unwrap_err();
            assert!(matches!(error, Error::MalformedQuery { .. }), "{error:?}");
            assert_eq!(error.kind().http_status(), 400);
        }
    }
}

/// A folder of its own under the system's temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("link-errors-{test}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_locked_sqlite_database_is_unavailable() {
    let dir = TempDir::new("locked");
    let file = dir.0.join("links.db").to_string_lossy().into_owned();
    let mut holder = SqliteConnection::establish(&file).unwrap();
    link_runtime::migrate(&mut holder).unwrap();
    let mut writer = SqliteConnection::establish(&file).unwrap();
    // No waiting for the lock: the writer is refused at once.
    writer.batch_execute("PRAGMA busy_timeout = 0").unwrap();

    holder.batch_execute("BEGIN IMMEDIATE").unwrap();
    let error =
        product_brand::Link::create(&mut writer, Product::id("prod_1"), Brand::id("brand_1"))
            .unwrap_err();
    // The write is tried again a few times, then given up with the database's last word.
    match &error {
        Error::Contention { attempts, source } => {
            assert_eq!(*attempts, 5);
            assert_eq!(source.to_string(), "database is locked");
        }
        other => panic!("expected the write given up, got {other:?}"),
    }
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(error.kind().http_status(), 503);
    assert_eq!(
        body(&error),
        json!({
            "type": "unavailable",
            "message": "the service is temporarily unavailable; try again",
        })
    );
    // The same refusal for a statement of the application's own.
    let error = Error::from(
        writer
            .batch_execute("CREATE TABLE brands (id TEXT PRIMARY KEY)")
            .unwrap_err(),
    );
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error:?}");

    // Once the lock is released, the same request goes through: it was worth retrying.
    holder.batch_execute("COMMIT").unwrap();
    assert_eq!(
        product_brand::Link::create(&mut writer, Product::id("prod_1"), Brand::id("brand_1"))
            .unwrap(),
        Created::Inserted
    );
}

#[test]
fn a_postgres_deadlock_is_unavailable() {
    let Some(mut db) = link_test_support::postgres("deadlock") else {
        return;
    };
    link_runtime::migrate(&mut *db).unwrap();
    for product in ["prod_1", "prod_2"] {
        product_brand::Link::create(&mut *db, Product::id(product), Brand::id("brand_1")).unwrap();
    }
    /// Locks `product`'s pivot row until the transaction ends.
    fn lock(conn: &mut PgConnection, product: &str) -> QueryResult<usize> {
        diesel::sql_query(
            "UPDATE product_product_brand_brand SET updated_at = updated_at WHERE product_id = $1",
        )
        .bind::<diesel::sql_types::Text, _>(product)
        .execute(conn)
    }

    // Each client locks one product's row, then asks for the other's: PostgreSQL ends the
    // deadlock by refusing the client that has waited longest, here the runtime's, whose
    // write runs inside its caller's transaction. The runtime does not run it again (that
    // would meet the caller's own lock again): the caller's transaction is the one to retry.
    let both_locked = Arc::new(Barrier::new(2));
    let mut other = db.connect_again();
    let other_client = {
        let both_locked = Arc::clone(&both_locked);
        thread::spawn(move || {
            other
                .transaction(|conn| {
                    lock(conn, "prod_1")?;
                    both_locked.wait();
                    // Waits after the runtime's client, which is then found first.
                    thread::sleep(Duration::from_millis(500));
                    lock(conn, "prod_2")
                })
                .map(drop)
                .map_err(Error::from)
        })
    };
    let mut conn = db.connect_again();
    let runtime_client = conn.transaction(|conn| {
        lock(conn, "prod_2")?;
        both_locked.wait();
        product_brand::Link::dismiss(conn, Product::id("prod_1"), Brand::id("brand_1")).map(drop)
    });
    let other_client = other_client.join().unwrap();

    assert!(other_client.is_ok(), "{other_client:?}");
    let Err(error) = &runtime_client else {
        panic!("the runtime's client is refused: {runtime_client:?}");
    };
    assert_eq!(error.to_string(), "deadlock detected");
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(error.kind().http_status(), 503);
    assert_eq!(body(error)["type"], "unavailable");
}
