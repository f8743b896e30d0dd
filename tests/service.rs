//! The link service on real databases (SQLite, and PostgreSQL when configured): batches, list, delete with cascade, restore.

use link_runtime::service::ListFilter;
use link_runtime::{Created, Error, Id, LinkConnection};
use link_test_support::via::{self, Cascades, Via};
use link_tests::links::{
    customer_wishlist, product_brand, product_supplier, product_tag, supplier_brand,
};
use link_tests::modules::supplier::{Store, Supplier};
use link_tests::modules::{
    brand::Brand, customer::Customer, product::Product, tag::Tag, wishlist::Wishlist,
};

fn setup(conn: &mut impl Store) {
    via::migrate(conn).expect("link tables are created");
    conn.migrate_suppliers()
        .expect("the supplier table is created");
}

fn products(n: usize) -> Vec<Id<Product>> {
    (0..n)
        .map(|i| Product::id(format!("prod_{i:03}")))
        .collect()
}

fn live_brand_rows(conn: &mut impl LinkConnection) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> =
        Via::<product_brand::Link>::list(conn, &ListFilter::new())
            .expect("rows list")
            .into_iter()
            .map(|row| (row.product_id.into_inner(), row.brand_id.into_inner()))
            .collect();
    rows.sort();
    rows
}

fn modules() -> Cascades {
    Cascades::new().with::<Supplier>()
}

fn live_suppliers(conn: &mut impl Store) -> Vec<String> {
    conn.live_suppliers().unwrap()
}

link_test_support::backend_tests! {
    drivers;
    fn an_update_sets_the_values_of_live_links_and_refuses_pairs_not_linked(conn) {
        setup(conn);
        let tag = |label: &str| product_tag::Columns {
            label: label.to_owned(),
            ..product_tag::Columns::default()
        };
        let p1 = || Product::id("prod_1");
        type Tags = Via<product_tag::Link>;
        Tags::create_with(conn, p1(), Tag::id("tag_1"), tag("first")).unwrap();
        Tags::create_with(conn, p1(), Tag::id("tag_2"), tag("second")).unwrap();
        Tags::dismiss(conn, p1(), Tag::id("tag_2")).unwrap();
        let labels = |conn: &mut _| -> Vec<(String, String, bool)> {
            let mut rows: Vec<_> = Tags::list(conn, &ListFilter::new().with_deleted())
                .unwrap()
                .into_iter()
                .map(|row| (row.tag_id.into_inner(), row.label, row.deleted_at.is_none()))
                .collect();
            rows.sort();
            rows
        };
        let before = labels(conn);

        // A dismissed pair and a pair never linked: both named, nothing written.
        let error = Tags::update_many(
            conn,
            &[
                (p1(), Tag::id("tag_3"), tag("x")),
                (p1(), Tag::id("tag_1"), tag("x")),
                (p1(), Tag::id("tag_2"), tag("x")),
            ],
        )
        .unwrap_err();
        assert_eq!(error.kind(), link_runtime::ErrorKind::NotFound);
        match &error {
            Error::LinkNotFound { link, missing, .. } => {
                assert_eq!(*link, "product_tags");
                assert_eq!(
                    missing,
                    &[
                        ("prod_1".to_owned(), "tag_2".to_owned()),
                        ("prod_1".to_owned(), "tag_3".to_owned()),
                    ]
                );
            }
            other => panic!("expected LinkNotFound, got {other:?}"),
        }
        assert_eq!(
            error.to_string(),
            "link `product_tags` has no live link between product `prod_1` and tag `tag_2` \
             (and 1 more pair)"
        );
        assert_eq!(labels(conn), before);

        // A live pair, given twice: the last values, one link updated.
        let updated = Tags::update_many(
            conn,
            &[
                (p1(), Tag::id("tag_1"), tag("changed")),
                (p1(), Tag::id("tag_1"), tag("last")),
            ],
        )
        .unwrap();
        assert_eq!(updated, 1);
        Tags::update(conn, p1(), Tag::id("tag_1"), tag("again")).unwrap();
        Tags::update(conn, p1(), Tag::id("tag_1"), tag("latest")).unwrap();
        assert_eq!(
            labels(conn),
            [
                ("tag_1".to_owned(), "latest".to_owned(), true),
                ("tag_2".to_owned(), "second".to_owned(), false),
            ]
        );
    }

    fn a_batch_of_a_hundred_with_one_bad_pair_writes_nothing(conn) {
        setup(conn);
        Via::<product_brand::Link>::create(conn, Product::id("prod_050"), Brand::id("brand_x")).unwrap();
        let before = live_brand_rows(conn);

        // prod_050 has brand_x already: its pair in the batch is the one bad pair.
        let pairs: Vec<_> = products(100)
            .into_iter()
            .map(|product| (product, Brand::id("brand_1")))
            .collect();
        let error = Via::<product_brand::Link>::create_many(conn, &pairs).unwrap_err();
        match error {
            Error::Cardinality {
                record,
                partner,
                refused,
                ..
            } => {
                assert_eq!(
                    (record.as_str(), partner.as_str(), refused.as_str()),
                    ("prod_050", "brand_x", "brand_1")
                );
            }
            other => panic!("expected a cardinality error, got {other:?}"),
        }
        assert_eq!(live_brand_rows(conn), before);
        let all = Via::<product_brand::Link>::list(conn, &ListFilter::new().with_deleted()).unwrap();
        assert_eq!(all.len(), 1, "not even a dismissed row was left behind");

        // Without the bad pair the same batch goes in whole.
        let good: Vec<_> = pairs
            .into_iter()
            .filter(|(p, _)| p.as_str() != "prod_050")
            .collect();
        let created = Via::<product_brand::Link>::create_many(conn, &good).unwrap();
        assert_eq!(created.len(), 99);
        assert!(created.iter().all(|c| *c == Created::Inserted));
        assert_eq!(live_brand_rows(conn).len(), 100);
    }

    fn a_batch_that_gives_one_record_two_partners_is_refused_before_writing(conn) {
        setup(conn);
        let pairs = [
            (Product::id("prod_1"), Brand::id("brand_1")),
            (Product::id("prod_2"), Brand::id("brand_1")),
            (Product::id("prod_1"), Brand::id("brand_2")),
        ];
        let error = Via::<product_brand::Link>::create_many(conn, &pairs).unwrap_err();
        assert!(
            matches!(&error, Error::Cardinality { model: "product", record, partner, refused, .. }
                if record == "prod_1" && partner == "brand_1" && refused == "brand_2"),
            "{error:?}"
        );
        assert!(live_brand_rows(conn).is_empty());
    }

    fn batches_are_idempotent_and_revive_dismissed_pairs(conn) {
        setup(conn);
        let pairs: Vec<_> = products(3)
            .into_iter()
            .map(|product| (product, Brand::id("brand_1")))
            .collect();
        Via::<product_brand::Link>::create_many(conn, &pairs).unwrap();
        let ids_before: Vec<String> = Via::<product_brand::Link>::list(conn, &ListFilter::new())
            .unwrap()
            .into_iter()
            .map(|row| row.id)
            .collect();

        assert_eq!(
            Via::<product_brand::Link>::dismiss_many(conn, &pairs[..2]).unwrap(),
            2
        );
        assert_eq!(
            Via::<product_brand::Link>::dismiss_many(conn, &pairs[..2]).unwrap(),
            0
        );

        // A pair given twice is written once; every occurrence reports its outcome.
        let mut again = pairs.clone();
        again.push(pairs[0].clone());
        let created = Via::<product_brand::Link>::create_many(conn, &again).unwrap();
        assert_eq!(
            created,
            [
                Created::Revived,
                Created::Revived,
                Created::Unchanged,
                Created::Revived
            ]
        );
        let mut ids_after: Vec<String> =
            Via::<product_brand::Link>::list(conn, &ListFilter::new().with_deleted())
                .unwrap()
                .into_iter()
                .map(|row| row.id)
                .collect();
        let mut ids_before = ids_before;
        ids_before.sort();
        ids_after.sort();
        assert_eq!(
            ids_after, ids_before,
            "revived rows keep their ids; no second row"
        );
    }

    fn a_batch_of_new_dismissed_and_live_pairs_reports_each(conn) {
        setup(conn);
        let pair = |p: String, b: &str| (Product::id(p), Brand::id(b));
        let live = pair("prod_live".into(), "brand_1");
        let dismissed = pair("prod_dismissed".into(), "brand_1");
        Via::<product_brand::Link>::create_many(conn, &[live.clone(), dismissed.clone()]).unwrap();
        Via::<product_brand::Link>::dismiss_many(conn, std::slice::from_ref(&dismissed)).unwrap();

        // Big enough for a plain insert of the new pairs (a few pairs are one upsert);
        // the statement that meets existing rows revives the dismissed pair and leaves the
        // live one alone, wherever they are in the batch.
        let new_pairs = |round: usize| -> Vec<_> {
            (0..150)
                .map(|i| pair(format!("prod_{round}_{i:03}"), ["brand_1", "brand_2"][i % 2]))
                .collect()
        };
        for (round, at) in [0, 75, 151].into_iter().enumerate() {
            let (live_at, dismissed_at) = (at, (at + 40) % 152);
            let mut batch = new_pairs(round);
            batch.insert(live_at.min(batch.len()), live.clone());
            batch.insert(dismissed_at.min(batch.len()), dismissed.clone());
            let created = Via::<product_brand::Link>::create_many(conn, &batch).unwrap();
            for (pair, created) in batch.iter().zip(&created) {
                let expected = if *pair == live {
                    Created::Unchanged
                } else if *pair == dismissed {
                    Created::Revived
                } else {
                    Created::Inserted
                };
                assert_eq!(*created, expected, "{pair:?} at {at}");
            }
            assert_eq!(live_brand_rows(conn).len(), 2 + 150 * (round + 1));
            Via::<product_brand::Link>::dismiss_many(conn, std::slice::from_ref(&dismissed)).unwrap();
        }

        // A new pair that gives a product a second brand is refused, and nothing of the
        // batch is written.
        let mut refused = new_pairs(3);
        refused.push(pair("prod_live".into(), "brand_2"));
        let error = Via::<product_brand::Link>::create_many(conn, &refused).unwrap_err();
        assert!(matches!(error, Error::Cardinality { .. }), "{error:?}");
        assert_eq!(live_brand_rows(conn).len(), 1 + 3 * 150);
    }

    fn batches_with_extra_columns_write_the_values(conn) {
        setup(conn);
        let rows = vec![
            (
                Product::id("prod_1"),
                Tag::id("tag_1"),
                product_tag::Columns {
                    featured: true,
                    position: 1,
                    ..Default::default()
                },
            ),
            (
                Product::id("prod_1"),
                Tag::id("tag_2"),
                product_tag::Columns {
                    note: Some("it's on sale".into()),
                    ..Default::default()
                },
            ),
        ];
        let created = Via::<product_tag::Link>::create_many_with(conn, &rows).unwrap();
        assert_eq!(created, [Created::Inserted, Created::Inserted]);

        let mut listed =
            Via::<product_tag::Link>::list(conn, &ListFilter::new().left([Product::id("prod_1")]))
                .unwrap();
        listed.sort_by(|a, b| a.tag_id.cmp(&b.tag_id));
        assert_eq!(listed.len(), 2);
        assert!(listed[0].featured);
        assert_eq!(listed[0].position, 1);
        assert_eq!(listed[1].note.as_deref(), Some("it's on sale"));
        assert_eq!(listed[1].label, "new");

        // Writing again with other values updates the live rows.
        let rows = vec![(
            Product::id("prod_1"),
            Tag::id("tag_1"),
            product_tag::Columns {
                position: 7,
                ..Default::default()
            },
        )];
        assert_eq!(
            Via::<product_tag::Link>::create_many_with(conn, &rows).unwrap(),
            [Created::Updated]
        );
        let listed =
            Via::<product_tag::Link>::list(conn, &ListFilter::new().right([Tag::id("tag_1")])).unwrap();
        assert_eq!((listed[0].position, listed[0].featured), (7, false));
    }

    fn list_filters_by_either_side_and_hides_dismissed_rows(conn) {
        setup(conn);
        let pairs: Vec<_> = products(6)
            .into_iter()
            .enumerate()
            .map(|(i, product)| (product, Brand::id(format!("brand_{}", i % 2))))
            .collect();
        Via::<product_brand::Link>::create_many(conn, &pairs).unwrap();
        Via::<product_brand::Link>::dismiss(conn, Product::id("prod_000"), Brand::id("brand_0")).unwrap();

        let by_brand =
            Via::<product_brand::Link>::list(conn, &ListFilter::new().right([Brand::id("brand_0")]))
                .unwrap();
        let mut ids: Vec<&str> = by_brand.iter().map(|row| row.product_id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["prod_002", "prod_004"]);
        assert!(by_brand.iter().all(|row| row.deleted_at.is_none()));

        let with_deleted = Via::<product_brand::Link>::list(
            conn,
            &ListFilter::new()
                .right([Brand::id("brand_0")])
                .with_deleted(),
        )
        .unwrap();
        assert_eq!(with_deleted.len(), 3);

        let both = Via::<product_brand::Link>::list(
            conn,
            &ListFilter::new()
                .left([Product::id("prod_001"), Product::id("prod_002")])
                .right([Brand::id("brand_1")]),
        )
        .unwrap();
        assert_eq!(both.len(), 1);
        assert_eq!(both[0].product_id.as_str(), "prod_001");

        let none = Via::<product_brand::Link>::list(conn, &ListFilter::new().left([])).unwrap();
        assert!(none.is_empty(), "an empty id list matches nothing");
    }

    fn list_reads_id_lists_longer_than_one_statement_holds(conn) {
        setup(conn);
        let ids = products(5_000);
        let pairs: Vec<_> = ids
            .iter()
            .map(|p| (p.clone(), Brand::id("brand_1")))
            .collect();
        Via::<product_brand::Link>::create_many(conn, &pairs).unwrap();
        let rows = Via::<product_brand::Link>::list(conn, &ListFilter::new().left(ids)).unwrap();
        assert_eq!(rows.len(), 5_000);
    }

    fn delete_cascades_into_records_no_other_link_holds_and_restore_undoes_it(conn) {
        setup(conn);
        for (id, name) in [("sup_a", "Acme"), ("sup_b", "Bolt")] {
            conn.add_supplier(id, name).unwrap();
        }
        // prod_1 and prod_2 share sup_a; prod_3 alone has sup_b; sup_b carries brand_1.
        Via::<product_supplier::Link>::create_many(
            conn,
            &[
                (Product::id("prod_1"), Supplier::id("sup_a")),
                (Product::id("prod_2"), Supplier::id("sup_a")),
                (Product::id("prod_3"), Supplier::id("sup_b")),
            ],
        )
        .unwrap();
        Via::<supplier_brand::Link>::create(conn, Supplier::id("sup_b"), Brand::id("brand_1")).unwrap();
        Via::<product_brand::Link>::create(conn, Product::id("prod_1"), Brand::id("brand_1")).unwrap();
        Via::<product_brand::Link>::create(conn, Product::id("prod_3"), Brand::id("brand_1")).unwrap();

        let deletion = via::delete(
            conn,
            &modules(),
            &[Product::id("prod_1"), Product::id("prod_3")],
        )
        .unwrap();

        // Both products' links are gone, in both links they are in.
        let live = Via::<product_supplier::Link>::list(conn, &ListFilter::new()).unwrap();
        let live: Vec<_> = live
            .iter()
            .map(|r| (r.product_id.as_str(), r.supplier_id.as_str()))
            .collect();
        assert_eq!(live, [("prod_2", "sup_a")]);
        assert!(live_brand_rows(conn).is_empty());

        // sup_b went with prod_3, and its own link to brand_1 went with it; sup_a is still
        // prod_2's supplier, so it was kept, and no live link points at a deleted supplier.
        assert_eq!(live_suppliers(conn), ["sup_a"]);
        let supplier_record = link_runtime::service::Record {
            module: "supplier",
            model: "supplier",
        };
        assert_eq!(deletion.cascaded[&supplier_record], ["sup_b"]);
        assert_eq!(deletion.kept[&supplier_record], ["sup_a"]);
        assert!(Via::<supplier_brand::Link>::list(conn, &ListFilter::new())
            .unwrap()
            .is_empty());
        assert_eq!(deletion.link_count(), 5);

        // A link dismissed before the delete is not brought back by the restore.
        Via::<product_brand::Link>::create(conn, Product::id("prod_9"), Brand::id("brand_9")).unwrap();
        Via::<product_brand::Link>::dismiss(conn, Product::id("prod_9"), Brand::id("brand_9")).unwrap();

        let restored = via::restore(conn, &modules(), &deletion).unwrap();
        assert_eq!(restored, 5);
        assert_eq!(live_suppliers(conn), ["sup_a", "sup_b"]);
        assert_eq!(
            live_brand_rows(conn),
            [
                ("prod_1".to_owned(), "brand_1".to_owned()),
                ("prod_3".to_owned(), "brand_1".to_owned())
            ]
        );
        assert_eq!(
            Via::<product_supplier::Link>::list(conn, &ListFilter::new())
                .unwrap()
                .len(),
            3
        );
        assert_eq!(
            Via::<supplier_brand::Link>::list(conn, &ListFilter::new())
                .unwrap()
                .len(),
            1
        );
    }

    fn a_cascade_into_a_module_that_was_not_given_deletes_nothing(conn) {
        setup(conn);
        Via::<customer_wishlist::Link>::create(conn, Customer::id("cus_1"), Wishlist::id("wl_1"))
            .unwrap();
        let error = via::delete(conn, &modules(), &[Customer::id("cus_1")]).unwrap_err();
        assert!(
            matches!(
                error,
                Error::NoSoftDelete {
                    module: "wishlist",
                    model: "wishlist"
                }
            ),
            "{error:?}"
        );
        assert_eq!(
            Via::<customer_wishlist::Link>::list(conn, &ListFilter::new())
                .unwrap()
                .len(),
            1
        );
    }

    fn deleting_the_cascading_side_leaves_the_other_records_alone(conn) {
        setup(conn);
        conn.add_supplier("sup_a", "Acme").unwrap();
        Via::<product_supplier::Link>::create(conn, Product::id("prod_1"), Supplier::id("sup_a"))
            .unwrap();
        // `delete_cascade` is on the supplier side: deleting a supplier's links does not reach
        // products, so no product module is needed.
        let deletion =
            via::delete(conn, &Cascades::new(), &[Supplier::id("sup_a")]).unwrap();
        assert_eq!(deletion.link_count(), 1);
        assert!(deletion.cascaded.is_empty());
        assert_eq!(
            live_suppliers(conn),
            ["sup_a"],
            "delete never removes the record itself"
        );
    }

    fn restore_refuses_a_pair_whose_record_found_another_partner(conn) {
        setup(conn);
        Via::<product_brand::Link>::create(conn, Product::id("prod_1"), Brand::id("brand_1")).unwrap();
        let deletion =
            via::delete(conn, &Cascades::new(), &[Brand::id("brand_1")]).unwrap();
        Via::<product_brand::Link>::create(conn, Product::id("prod_1"), Brand::id("brand_2")).unwrap();

        let error = via::restore(conn, &Cascades::new(), &deletion).unwrap_err();
        assert!(
            matches!(&error, Error::Cardinality { record, partner, refused, .. }
                if record == "prod_1" && partner == "brand_2" && refused == "brand_1"),
            "{error:?}"
        );
        assert_eq!(
            live_brand_rows(conn),
            [("prod_1".to_owned(), "brand_2".to_owned())]
        );
    }
}
