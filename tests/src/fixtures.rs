//! The catalog the graph suites read: every fixture model's table with rows, and links
//! between them, on any backend.

use crate::links::{product_supplier, product_tag};
use crate::modules::brand::Brand;
use crate::modules::customer::Customer;
use crate::modules::supplier::{Store, Supplier};
use crate::modules::wishlist::Wishlist;
use crate::modules::{product::Product, tag::Tag};

/// The link tables, the supplier table, and stand-ins for the product and tag modules'
/// tables with two products and three tags.
pub fn setup(conn: &mut impl Store) {
    link_runtime::migrate(conn).expect("link tables are created");
    conn.migrate_suppliers()
        .expect("the supplier table is created");
    // The fixture product and tag modules keep no tables of their own; these stand in.
    conn.batch_execute(
        "CREATE TABLE products (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE tags (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         INSERT INTO products VALUES ('prod_1', 'Kettle'), ('prod_2', 'Teapot');
         INSERT INTO tags VALUES ('tag_1', 'kitchen'), ('tag_2', 'gift'), ('tag_3', 'sale');",
    )
    .expect("fixture tables are created");
}

/// The catalog most tests read, on top of [`setup`]'s products and tags:
///
/// | product         | brand                   | supplier                     | tags            |
/// |-----------------|-------------------------|------------------------------|-----------------|
/// | prod_1 Kettle   | brand_1 Acme            | sup_a Alder                  | gift, kitchen   |
/// | prod_2 Teapot   | brand_1 Acme            | sup_b Beech                  | gift            |
/// | prod_3 Toaster  | brand_2 Birch           | sup_a Alder                  | sale, dismissed |
/// | prod_4 Whisk    | brand_2 Birch, dismissed| sup_c Cherry, soft-deleted   |                 |
///
/// brand_3 Cedar has no products. Alder supplies Acme and Birch, Beech supplies Cedar.
/// Customer cus_1 Ada has wishlist wish_1 Birthday; cus_2 Grace and wish_2 Holiday have
/// none. Every pivot row's timestamps are set, so that a list's order (the order its links
/// were made, then the linked id) is the same on every backend: prod_2 joined Acme before
/// prod_1 did, and prod_1 was tagged gift before kitchen.
pub fn catalog(conn: &mut impl Store) {
    setup(conn);
    conn.batch_execute(
        "CREATE TABLE brands (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE customers (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE wishlists (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         INSERT INTO products VALUES ('prod_3', 'Toaster'), ('prod_4', 'Whisk');
         INSERT INTO brands VALUES ('brand_1', 'Acme'), ('brand_2', 'Birch'), ('brand_3', 'Cedar');
         INSERT INTO customers VALUES ('cus_1', 'Ada'), ('cus_2', 'Grace');
         INSERT INTO wishlists VALUES ('wish_1', 'Birthday'), ('wish_2', 'Holiday');
         INSERT INTO supplier (id, name) VALUES ('sup_a', 'Alder'), ('sup_b', 'Beech');
         INSERT INTO supplier (id, name, deleted_at)
             VALUES ('sup_c', 'Cherry', '2026-02-03 04:05:06');",
    )
    .expect("the catalog's tables are created");

    for (product, brand) in [
        ("prod_1", "brand_1"),
        ("prod_2", "brand_1"),
        ("prod_3", "brand_2"),
        ("prod_4", "brand_2"),
    ] {
        link_runtime::create(conn, Product::id(product), Brand::id(brand)).unwrap();
    }
    assert!(link_runtime::dismiss(conn, Product::id("prod_4"), Brand::id("brand_2")).unwrap());
    for (product, supplier) in [
        ("prod_1", "sup_a"),
        ("prod_2", "sup_b"),
        ("prod_3", "sup_a"),
        ("prod_4", "sup_c"),
    ] {
        product_supplier::Link::create(conn, Product::id(product), Supplier::id(supplier)).unwrap();
    }
    for (supplier, brand) in [
        ("sup_a", "brand_1"),
        ("sup_a", "brand_2"),
        ("sup_b", "brand_3"),
    ] {
        link_runtime::create(conn, Supplier::id(supplier), Brand::id(brand)).unwrap();
    }
    link_runtime::create(conn, Customer::id("cus_1"), Wishlist::id("wish_1")).unwrap();

    for (product, tag, columns) in [
        (
            "prod_1",
            "tag_1",
            product_tag::Columns {
                featured: true,
                position: 2,
                note: Some("front page".to_owned()),
                ..Default::default()
            },
        ),
        (
            "prod_1",
            "tag_2",
            product_tag::Columns {
                featured: false,
                position: 7,
                weight: 0.25,
                offset: 9_000_000_000,
                label: "gift".to_owned(),
                ..Default::default()
            },
        ),
        (
            "prod_2",
            "tag_2",
            product_tag::Columns {
                featured: true,
                position: 5,
                ..Default::default()
            },
        ),
        (
            "prod_3",
            "tag_3",
            product_tag::Columns {
                featured: false,
                position: 1,
                ..Default::default()
            },
        ),
    ] {
        product_tag::Link::create_with(conn, Product::id(product), Tag::id(tag), columns).unwrap();
    }
    assert!(product_tag::Link::dismiss(conn, Product::id("prod_3"), Tag::id("tag_3")).unwrap());

    conn.batch_execute(
        "UPDATE product_product_brand_brand
             SET created_at = '2026-01-01 12:00:00', updated_at = '2026-01-01 12:00:00';
         UPDATE product_product_brand_brand SET created_at = '2026-01-01 10:00:00'
             WHERE product_id = 'prod_2';
         UPDATE product_product_brand_brand SET created_at = '2026-01-01 11:00:00'
             WHERE product_id = 'prod_1';
         UPDATE product_product_brand_brand SET deleted_at = '2026-01-04 00:00:00'
             WHERE deleted_at IS NOT NULL;
         UPDATE product_product_supplier_supplier
             SET created_at = '2026-01-01 12:00:00', updated_at = '2026-01-01 12:00:00';
         UPDATE supplier_supplier_brand_brand
             SET created_at = '2026-01-01 12:00:00', updated_at = '2026-01-01 12:00:00';
         UPDATE customer_customer_wishlist_wishlist
             SET created_at = '2026-01-01 12:00:00', updated_at = '2026-01-01 12:00:00';
         UPDATE product_tags
             SET created_at = '2026-01-01 09:00:00', updated_at = '2026-01-02 09:30:00'
             WHERE product_id = 'prod_1' AND tag_id = 'tag_2';
         UPDATE product_tags
             SET created_at = '2026-01-01 10:00:00', updated_at = '2026-01-02 10:30:00'
             WHERE product_id = 'prod_1' AND tag_id = 'tag_1';
         UPDATE product_tags
             SET created_at = '2026-01-01 11:00:00', updated_at = '2026-01-02 11:30:00'
             WHERE product_id = 'prod_2';
         UPDATE product_tags
             SET created_at = '2026-01-01 12:00:00', updated_at = '2026-01-02 12:30:00',
                 deleted_at = '2026-01-05 06:07:08'
             WHERE product_id = 'prod_3';",
    )
    .expect("the pivot rows' timestamps are set");
}
