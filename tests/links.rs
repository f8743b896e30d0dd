//! Links on real databases (SQLite, and PostgreSQL when configured): naming, migration, create, dismiss, cardinality.

use diesel::prelude::*;
use link_runtime::{Created, Error, LinkConnection, LinkDefinition};
use link_test_support::via::{self, Via};
use link_test_support::TestSql;
use link_tests::links::{customer_wishlist, product_brand, product_tag};
use link_tests::modules::{
    brand::Brand, customer::Customer, product::Product, tag::Tag, wishlist::Wishlist,
};

fn setup(conn: &mut impl LinkConnection) {
    via::migrate(conn).expect("link tables are created");
}

#[test]
fn the_schema_describes_sides_and_options() {
    let schema = <product_brand::Link as LinkDefinition>::SCHEMA;
    assert_eq!(schema.left.module(), "product");
    assert_eq!(schema.left.column, "product_id");
    assert_eq!(schema.left.table(), "products");
    assert!(schema.left.is_list);
    assert!(!schema.right.is_list);
    let wishlist = <customer_wishlist::Link as LinkDefinition>::SCHEMA;
    assert!(wishlist.right.delete_cascade);
    assert!(!wishlist.left.delete_cascade);
    let tags = <product_tag::Link as LinkDefinition>::SCHEMA;
    let names: Vec<_> = tags.columns.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        ["featured", "position", "weight", "offset", "label", "note"]
    );
    assert_eq!(
        tags.columns[4].sqlite_definition,
        r#""label" TEXT NOT NULL DEFAULT 'new'"#
    );
    assert!(tags.columns[5].nullable);
}

#[test]
fn generated_sql_is_exposed_per_backend() {
    let sqlite = product_brand::Link::SQLITE_SQL;
    assert!(sqlite.starts_with(r#"CREATE TABLE IF NOT EXISTS "product_product_brand_brand""#));
    assert!(sqlite.contains(r#"PRIMARY KEY ("product_id", "brand_id")"#));
    // Products are the list side: a product has one brand, so product_id is unique among
    // live rows, and brand_id is not.
    assert!(sqlite.contains(
        r#"CREATE UNIQUE INDEX IF NOT EXISTS "product_product_brand_brand_product_id_live_unique" ON "product_product_brand_brand" ("product_id") WHERE "deleted_at" IS NULL;"#
    ));
    assert!(sqlite.contains(
        r#"CREATE INDEX IF NOT EXISTS "product_product_brand_brand_brand_id_live_index" ON "product_product_brand_brand" ("brand_id") WHERE "deleted_at" IS NULL;"#
    ));
    let postgres = product_brand::Link::POSTGRES_SQL;
    assert!(postgres.contains(r#""created_at" TIMESTAMPTZ NOT NULL DEFAULT now()"#));
    assert!(product_tag::Link::POSTGRES_SQL
        .contains(r#""weight" DOUBLE PRECISION NOT NULL DEFAULT 1.5"#));
}

link_test_support::backend_tests! {
    drivers;
    helpers {
        fn pivot_rows(conn: &mut Conn) -> Vec<product_brand::Row> {
            // `pivot` names the generated table whatever the table's name.
            use product_brand::pivot::dsl::*;
            product_product_brand_brand
                .order((product_id, brand_id))
                .select(product_brand::Row::as_select())
                .load(conn)
                .expect("pivot rows load through the generated diesel table")
        }

        fn live_wishlist_links(conn: &mut Conn) -> Vec<(String, String)> {
            use customer_wishlist::customer_customer_wishlist_wishlist::dsl::*;
            customer_customer_wishlist_wishlist
                .filter(deleted_at.is_null())
                .order(customer_id)
                .select((customer_id, wishlist_id))
                .load(conn)
                .unwrap()
        }
    }

    fn table_and_columns_follow_the_naming_convention(conn) {
        setup(conn);
        assert_eq!(product_brand::Link::TABLE, "product_product_brand_brand");
        assert_eq!(
            customer_wishlist::Link::TABLE,
            "customer_customer_wishlist_wishlist"
        );
        assert_eq!(
            conn.column_names("product_product_brand_brand"),
            [
                "id",
                "product_id",
                "brand_id",
                "created_at",
                "updated_at",
                "deleted_at"
            ]
        );
        assert_eq!(product_tag::Link::TABLE, "product_tags");
        assert_eq!(
            conn.column_names("product_tags"),
            [
                "id",
                "product_id",
                "tag_id",
                "featured",
                "position",
                "weight",
                "offset",
                "label",
                "note",
                "created_at",
                "updated_at",
                "deleted_at"
            ]
        );
    }


    fn migrate_creates_missing_tables_once(conn) {
        let first = via::migrate(conn).unwrap();
        let created: Vec<&str> = first.tables_created().collect();
        for table in [
            "customer_customer_wishlist_wishlist",
            "product_product_brand_brand",
            "product_tags",
        ] {
            assert!(created.contains(&table), "{table} created");
        }
        assert!(first.skipped.is_empty());
        let second = via::migrate(conn).unwrap();
        assert!(second.applied.is_empty(), "{:?}", second.applied);
        assert!(second.skipped.is_empty());
    }

    fn create_then_dismiss_round_trips(conn) {
        setup(conn);
        let created =
            Via::<product_brand::Link>::create(conn, Product::id("prod_1"), Brand::id("brand_1"))
                .unwrap();
        assert_eq!(created, Created::Inserted);

        let rows = pivot_rows(conn);
        assert_eq!(rows.len(), 1);
        let created = rows[0].clone();
        assert_eq!(created.product_id, Product::id("prod_1"));
        assert_eq!(created.brand_id, Brand::id("brand_1"));
        assert!(created.id.starts_with("link_"), "{}", created.id);
        assert_eq!(created.deleted_at, None);

        let dismissed =
            Via::<product_brand::Link>::dismiss(conn, Product::id("prod_1"), Brand::id("brand_1"))
                .unwrap();
        assert!(dismissed);
        let rows = pivot_rows(conn);
        assert_eq!(rows.len(), 1, "dismiss is a soft delete");
        assert!(rows[0].deleted_at.is_some());
        assert!(
            !Via::<product_brand::Link>::dismiss(conn, Product::id("prod_1"), Brand::id("brand_1"))
                .unwrap(),
            "nothing live to dismiss the second time"
        );

        // Creating the dismissed pair again revives the same row.
        let revived =
            Via::<product_brand::Link>::create(conn, Product::id("prod_1"), Brand::id("brand_1"))
                .unwrap();
        assert_eq!(revived, Created::Revived);
        let rows = pivot_rows(conn);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].id, created.id);
        assert_eq!(rows[0].created_at, created.created_at);
        assert_eq!(rows[0].deleted_at, None);
    }

    fn the_generic_entry_points_find_the_link_from_the_id_types(conn) {
        setup(conn);
        via::create(conn, Product::id("prod_1"), Brand::id("brand_1")).unwrap();
        assert_eq!(pivot_rows(conn).len(), 1);
        assert!(via::dismiss(conn, Product::id("prod_1"), Brand::id("brand_1")).unwrap());
        assert!(pivot_rows(conn)[0].deleted_at.is_some());
    }

    fn creating_a_live_pair_again_is_idempotent(conn) {
        setup(conn);
        let outcomes: Vec<Created> = (0..3)
            .map(|_| {
                Via::<customer_wishlist::Link>::create(conn, Customer::id("cus_1"), Wishlist::id("wl_1"))
                    .unwrap()
            })
            .collect();
        assert_eq!(
            outcomes,
            [Created::Inserted, Created::Unchanged, Created::Unchanged]
        );
        use customer_wishlist::customer_customer_wishlist_wishlist::dsl::*;
        let count: i64 = customer_customer_wishlist_wishlist
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(count, 1);
    }

    fn a_one_to_one_link_refuses_a_second_partner_on_either_side(conn) {
        setup(conn);
        Via::<customer_wishlist::Link>::create(conn, Customer::id("cus_1"), Wishlist::id("wl_1"))
            .unwrap();

        let error =
            Via::<customer_wishlist::Link>::create(conn, Customer::id("cus_1"), Wishlist::id("wl_2"))
                .unwrap_err();
        match &error {
            Error::Cardinality {
                link,
                model,
                record,
                partner_model,
                partner,
                refused,
            } => {
                assert_eq!(*link, "customer_customer_wishlist_wishlist");
                assert_eq!(*model, "customer");
                assert_eq!(record, "cus_1");
                assert_eq!(*partner_model, "wishlist");
                assert_eq!(partner, "wl_1");
                assert_eq!(refused, "wl_2");
            }
            other => panic!("expected a cardinality error, got {other:?}"),
        }
        assert_eq!(
            error.to_string(),
            "link `customer_customer_wishlist_wishlist` allows one wishlist per customer, \
             and customer `cus_1` is already linked to wishlist `wl_1` (refused: wishlist `wl_2`)"
        );

        let error =
            Via::<customer_wishlist::Link>::create(conn, Customer::id("cus_2"), Wishlist::id("wl_1"))
                .unwrap_err();
        assert!(
            matches!(&error, Error::Cardinality { model: "wishlist", record, partner, refused, .. }
                if record == "wl_1" && partner == "cus_1" && refused == "cus_2"),
            "{error:?}"
        );

        assert_eq!(
            live_wishlist_links(conn),
            [("cus_1".to_owned(), "wl_1".to_owned())],
            "the refused links wrote nothing"
        );
    }

    fn a_dismissed_partner_frees_the_single_side(conn) {
        setup(conn);
        Via::<customer_wishlist::Link>::create(conn, Customer::id("cus_1"), Wishlist::id("wl_1"))
            .unwrap();
        Via::<customer_wishlist::Link>::dismiss(conn, Customer::id("cus_1"), Wishlist::id("wl_1"))
            .unwrap();
        Via::<customer_wishlist::Link>::create(conn, Customer::id("cus_1"), Wishlist::id("wl_2"))
            .unwrap();
        // Reviving the old pair would give the customer two wishlists.
        let error =
            Via::<customer_wishlist::Link>::create(conn, Customer::id("cus_1"), Wishlist::id("wl_1"))
                .unwrap_err();
        assert!(matches!(error, Error::Cardinality { .. }), "{error:?}");
        assert_eq!(
            live_wishlist_links(conn),
            [("cus_1".to_owned(), "wl_2".to_owned())]
        );
    }

    fn the_database_itself_enforces_cardinality(conn) {
        setup(conn);
        Via::<customer_wishlist::Link>::create(conn, Customer::id("cus_1"), Wishlist::id("wl_1"))
            .unwrap();
        // Around the runtime, straight through diesel: the unique index still refuses.
        use customer_wishlist::customer_customer_wishlist_wishlist::dsl::*;
        let result = diesel::insert_into(customer_customer_wishlist_wishlist)
            .values((
                id.eq("link_by_hand"),
                customer_id.eq("cus_1"),
                wishlist_id.eq("wl_2"),
            ))
            .execute(conn);
        assert!(
            matches!(
                result,
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _
                ))
            ),
            "{result:?}"
        );
    }

    fn a_list_side_accepts_many(conn) {
        setup(conn);
        for product in ["prod_1", "prod_2", "prod_3"] {
            Via::<product_brand::Link>::create(conn, Product::id(product), Brand::id("brand_1")).unwrap();
        }
        assert_eq!(pivot_rows(conn).len(), 3);
        // The product side is the list: a product still has one brand.
        let error = Via::<product_brand::Link>::create(conn, Product::id("prod_1"), Brand::id("brand_2"))
            .unwrap_err();
        assert!(
            matches!(&error, Error::Cardinality { model: "product", partner, .. } if partner == "brand_1"),
            "{error:?}"
        );

        // Many-to-many: both sides are lists.
        for (product, tag) in [("p1", "t1"), ("p1", "t2"), ("p2", "t1"), ("p2", "t2")] {
            Via::<product_tag::Link>::create(conn, Product::id(product), Tag::id(tag)).unwrap();
        }
        use product_tag::product_tags::dsl::*;
        let count: i64 = product_tags.count().get_result(conn).unwrap();
        assert_eq!(count, 4);
    }

    fn link_ids_carry_the_link_s_prefix(conn) {
        setup(conn);
        // `database(id_prefix = "ptag")`, through each way a row is written.
        Via::<product_tag::Link>::create(conn, Product::id("p1"), Tag::id("t1")).unwrap();
        Via::<product_tag::Link>::create_with(
            conn,
            Product::id("p1"),
            Tag::id("t2"),
            product_tag::Columns::default(),
        )
        .unwrap();
        Via::<product_tag::Link>::create_many(
            conn,
            &[(Product::id("p2"), Tag::id("t1")), (Product::id("p2"), Tag::id("t2"))],
        )
        .unwrap();
        use product_tag::product_tags::dsl::*;
        let ids: Vec<String> = product_tags.select(id).load(conn).unwrap();
        assert_eq!(ids.len(), 4);
        for link_id in &ids {
            let ulid = link_id.strip_prefix("ptag_").unwrap_or_else(|| panic!("{link_id}"));
            assert_eq!(ulid.len(), 26, "{link_id}");
        }
        // Without the option, Medusa's `link_`.
        Via::<product_brand::Link>::create(conn, Product::id("p1"), Brand::id("b1")).unwrap();
        let rows = pivot_rows(conn);
        assert!(rows[0].id.starts_with("link_"), "{}", rows[0].id);
    }

    fn extra_columns_take_defaults_or_given_values(conn) {
        setup(conn);
        Via::<product_tag::Link>::create(conn, Product::id("p1"), Tag::id("t1")).unwrap();
        let columns = product_tag::Columns {
            featured: true,
            note: Some("launch".to_owned()),
            ..product_tag::Columns::default()
        };
        let created =
            Via::<product_tag::Link>::create_with(conn, Product::id("p1"), Tag::id("t2"), columns)
                .unwrap();
        assert_eq!(created, Created::Inserted);

        use product_tag::product_tags::dsl::*;
        let rows: Vec<product_tag::Row> = product_tags
            .order(tag_id)
            .select(product_tag::Row::as_select())
            .load(conn)
            .unwrap();
        assert_eq!(rows.len(), 2);
        let defaults = &rows[0];
        assert_eq!(
            (
                defaults.featured,
                defaults.position,
                defaults.weight,
                defaults.offset,
                defaults.label.as_str(),
                defaults.note.as_deref()
            ),
            (false, 0, 1.5, -3, "new", None)
        );
        let given = &rows[1];
        assert_eq!(
            (
                given.featured,
                given.position,
                given.label.as_str(),
                given.note.as_deref()
            ),
            (true, 0, "new", Some("launch"))
        );

        // create_with on a live pair writes the new values over the old ones.
        let columns = product_tag::Columns {
            position: 7,
            ..product_tag::Columns::default()
        };
        let updated =
            Via::<product_tag::Link>::create_with(conn, Product::id("p1"), Tag::id("t2"), columns)
                .unwrap();
        assert_eq!(updated, Created::Updated);
        let row: product_tag::Row = product_tags
            .filter(tag_id.eq("t2"))
            .select(product_tag::Row::as_select())
            .first(conn)
            .unwrap();
        assert_eq!((row.featured, row.position, row.note), (false, 7, None));
        assert_eq!(row.id, given.id, "the same row, updated");
    }

}
