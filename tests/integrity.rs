//! Links whose records are gone: `check` finds them per link table and prunes them only
//! when asked; a delete cascade never leaves a live link pointing at a record it deleted.

use diesel::connection::SimpleConnection;
use link_runtime::cli::LinksCommand;
use link_runtime::graph::Graph;
use link_runtime::service::{Gone, ListFilter, SoftDelete};
use link_runtime::{Error, LinkConnection};
use link_test_support::via::{self, Cascades, Via};
use link_test_support::TestSql;
use link_tests::links::{product_brand, product_supplier};
use link_tests::modules::supplier::{Store, Supplier};
use link_tests::modules::{brand::Brand, product::Product};
use serde_json::json;

/// Every fixture module's table, with a few records: products 1 to 3, brands 1 and 2,
/// suppliers a to c.
fn setup(conn: &mut (impl Store + TestSql)) {
    via::migrate(conn).expect("link tables are created");
    conn.migrate_suppliers().unwrap();
    conn.batch_execute(
        "CREATE TABLE products (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE tags (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE brands (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE customers (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE wishlists (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         INSERT INTO products VALUES ('prod_1', 'Kettle'), ('prod_2', 'Teapot'), ('prod_3', 'Mug');
         INSERT INTO brands VALUES ('brand_1', 'Acme'), ('brand_2', 'Birch');",
    )
    .unwrap();
    for (id, name) in [("sup_a", "Alder"), ("sup_b", "Beech"), ("sup_c", "Cherry")] {
        conn.add_supplier(id, name).unwrap();
    }
}

fn live_supplier_links(conn: &mut impl LinkConnection) -> Vec<(String, String)> {
    let mut rows: Vec<_> = Via::<product_supplier::Link>::list(conn, &ListFilter::new())
        .unwrap()
        .into_iter()
        .map(|row| (row.product_id.into_inner(), row.supplier_id.into_inner()))
        .collect();
    rows.sort();
    rows
}

fn pairs(rows: &[(&str, &str)]) -> Vec<(String, String)> {
    rows.iter()
        .map(|&(a, b)| (a.to_owned(), b.to_owned()))
        .collect()
}

link_test_support::backend_tests! {
    drivers;
    fn links_to_missing_or_deleted_records_are_listed_and_pruned_only_when_asked(conn) {
        setup(conn);
        Via::<product_supplier::Link>::create_many(
            conn,
            &[
                (Product::id("prod_1"), Supplier::id("sup_a")),
                (Product::id("prod_2"), Supplier::id("sup_b")),
                (Product::id("prod_3"), Supplier::id("sup_c")),
                (Product::id("prod_9"), Supplier::id("sup_a")), // no such product
            ],
        )
        .unwrap();
        Via::<product_brand::Link>::create(conn, Product::id("prod_1"), Brand::id("brand_1")).unwrap();
        Via::<product_brand::Link>::create(conn, Product::id("prod_2"), Brand::id("brand_9")).unwrap();
        // A dismissed link to a missing record is not a live one: not reported.
        Via::<product_brand::Link>::create(conn, Product::id("prod_8"), Brand::id("brand_8")).unwrap();
        Via::<product_brand::Link>::dismiss(conn, Product::id("prod_8"), Brand::id("brand_8")).unwrap();
        // The supplier module soft-deletes sup_c on its own: links are not its business.
        Supplier::soft_delete(conn, &[Supplier::id("sup_c")]).unwrap();

        let found = via::check(conn, false).unwrap();
        let tables: Vec<_> = found.links.iter().map(|link| link.table).collect();
        assert_eq!(
            tables,
            [
                "customer_customer_wishlist_wishlist",
                "product_product_brand_brand",
                "product_product_supplier_supplier",
                "product_tags",
                "supplier_supplier_brand_brand",
            ]
        );
        let seen: Vec<_> = found
            .dangling()
            .map(|(table, d)| {
                (table, d.left.as_str(), d.left_gone, d.right.as_str(), d.right_gone)
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("product_product_brand_brand", "prod_2", None, "brand_9", Some(Gone::Missing)),
                ("product_product_supplier_supplier", "prod_3", None, "sup_c", Some(Gone::Deleted)),
                ("product_product_supplier_supplier", "prod_9", Some(Gone::Missing), "sup_a", None),
            ]
        );
        let supplier_check = &found.links[2];
        assert_eq!((supplier_check.live, supplier_check.pruned), (4, 0));
        // Nothing was written.
        assert_eq!(live_supplier_links(conn).len(), 4);

        let pruned = via::check(conn, true).unwrap();
        assert_eq!(
            pruned.links.iter().map(|link| link.pruned).collect::<Vec<_>>(),
            [0, 1, 2, 0, 0]
        );
        assert_eq!(
            live_supplier_links(conn),
            pairs(&[("prod_1", "sup_a"), ("prod_2", "sup_b")])
        );
        assert!(via::check(conn, false).unwrap().is_clean());

        // A pruned link is a dismissed one: creating it again revives its row.
        let revived = Via::<product_brand::Link>::create(conn, Product::id("prod_2"), Brand::id("brand_9"));
        assert_eq!(revived.unwrap(), link_runtime::Created::Revived);
    }

    fn the_check_reads_in_batches_whatever_the_number_of_links(conn) {
        setup(conn);
        // 12,001 links over three pages of ids; every thousandth product is missing.
        let ids: Vec<String> = (0..12_001).map(|i| format!("p{i:05}")).collect();
        let present: Vec<String> = ids
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 1000 != 7)
            .map(|(_, id)| format!("('{id}', 'x')"))
            .collect();
        for chunk in present.chunks(2_000) {
            conn.batch_execute(&format!("INSERT INTO products VALUES {}", chunk.join(", ")))
                .unwrap();
        }
        let links: Vec<_> = ids
            .iter()
            .map(|id| (Product::id(id.clone()), Supplier::id("sup_a")))
            .collect();
        Via::<product_supplier::Link>::create_many(conn, &links).unwrap();

        let found = via::check(conn, false).unwrap();
        let missing: Vec<&str> = found.dangling().map(|(_, d)| d.left.as_str()).collect();
        let expected: Vec<String> = (0..12_001)
            .filter(|i| i % 1000 == 7)
            .map(|i| format!("p{i:05}"))
            .collect();
        assert_eq!(missing, expected);
        assert_eq!(found.links[2].live, 12_001);
    }

    fn a_missing_module_table_is_a_typed_error_and_nothing_is_pruned(conn) {
        setup(conn);
        Via::<product_brand::Link>::create(conn, Product::id("prod_9"), Brand::id("brand_1")).unwrap();
        conn.batch_execute("DROP TABLE brands").unwrap();

        let error = via::check(conn, true).unwrap_err();
        assert!(
            matches!(&error, Error::MissingTable { table: "brands", owner } if owner == "module `brand`"),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "the table `brands` of module `brand` does not exist in its database"
        );
        assert_eq!(Via::<product_brand::Link>::list(conn, &ListFilter::new()).unwrap().len(), 1);
    }

    fn the_links_command_checks_and_prunes(conn) {
        setup(conn);
        Via::<product_brand::Link>::create(conn, Product::id("prod_9"), Brand::id("brand_1")).unwrap();
        let run = |conn: &mut Conn, command: LinksCommand| {
            let mut out = Vec::new();
            command.run(conn, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let listed = run(conn, LinksCommand::Check { prune: false });
        let id = &Via::<product_brand::Link>::list(conn, &ListFilter::new()).unwrap()[0].id;
        assert!(
            listed.contains(&format!(
                "product_product_brand_brand: 1 live link(s), 1 to missing or deleted records\n  \
                 {id}: product prod_9 (missing) -> brand brand_1\n"
            )),
            "{listed}"
        );
        assert!(listed.ends_with("`links check --prune` soft-deletes the links found\n"), "{listed}");

        let pruned = run(conn, LinksCommand::Check { prune: true });
        assert!(pruned.contains("  pruned 1 link(s): soft-deleted\n"), "{pruned}");
        let clean = run(conn, LinksCommand::Check { prune: false });
        assert!(clean.ends_with("every live link points at live records\n"), "{clean}");
    }

    /// Two products share a supplier, the side with `delete_cascade`: deleting one keeps
    /// the supplier and the other product's live link to it; deleting the last product of
    /// a supplier deletes the supplier and every live link to it. No live link is left
    /// pointing at a deleted record, which `check` confirms.
    fn a_cascade_never_leaves_a_live_link_to_a_record_it_deleted(conn) {
        setup(conn);
        Via::<product_supplier::Link>::create_many(
            conn,
            &[
                (Product::id("prod_1"), Supplier::id("sup_a")),
                (Product::id("prod_2"), Supplier::id("sup_a")),
                (Product::id("prod_3"), Supplier::id("sup_b")),
            ],
        )
        .unwrap();
        let modules = Cascades::new().with::<Supplier>();

        let deletion = via::delete(conn, &modules, &[Product::id("prod_1")]).unwrap();
        assert!(deletion.cascaded.is_empty(), "{deletion:?}");
        assert_eq!(conn.live_suppliers().unwrap(), ["sup_a", "sup_b", "sup_c"]);
        assert_eq!(
            live_supplier_links(conn),
            pairs(&[("prod_2", "sup_a"), ("prod_3", "sup_b")])
        );
        // The other product still reaches its supplier through the graph.
        let prod_2 = via::graph(
            conn,
            Graph::entity("product").fields(["id", "supplier.id"]).filter("id", "prod_2"),
        )
        .unwrap();
        assert_eq!(prod_2.data, [json!({ "id": "prod_2", "supplier": { "id": "sup_a" } })]);
        assert!(via::check(conn, false).unwrap().is_clean());

        // prod_3 is sup_b's only product: sup_b goes, and no live link points at it.
        let deletion = via::delete(conn, &modules, &[Product::id("prod_3")]).unwrap();
        assert_eq!(deletion.cascaded.values().flatten().collect::<Vec<_>>(), ["sup_b"]);
        assert_eq!(conn.live_suppliers().unwrap(), ["sup_a", "sup_c"]);
        assert_eq!(live_supplier_links(conn), pairs(&[("prod_2", "sup_a")]));
        assert!(via::check(conn, false).unwrap().is_clean());
    }
}
