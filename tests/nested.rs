//! A page inside each record (`nested.{field}`), on SQLite and PostgreSQL, through both
//! drivers: `take`, `skip`, `order` and `filters` of a list, at any depth and below a side
//! that holds one record, in the builder and the JSON form; its filters applied to the
//! field's count; dismissed links; refusals; a model of random catalogs; and statement
//! counts that do not grow with the rows.
//!
//! The catalog ([`catalog`]): Acme holds Teapot (linked first) and Kettle, Birch holds
//! Toaster (its link to Whisk is dismissed), Cedar holds nothing. Kettle has the tags
//! kitchen and gift, Teapot gift.

use diesel::connection::SimpleConnection;
use link_runtime::graph::{
    Condition, CostLimit, Fields, Filter, Graph, Limits, Nested, Order, Scope,
};
use link_runtime::{Error, ErrorKind, LinkConnection};
use link_test_support::{via, Statements};
use link_tests::fixtures::catalog;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

mod common;
use common::catalog::{assert_statements_independent_of_rows, catalogs, pages_asked};

fn rows(conn: &mut impl LinkConnection, query: Graph) -> Vec<Value> {
    via::graph(conn, query).expect("the query runs").data
}

fn from_json(conn: &mut impl LinkConnection, query: Value) -> Vec<Value> {
    rows(conn, Graph::from_json(query).expect("the document reads"))
}

fn refused(conn: &mut impl LinkConnection, query: Value) -> Error {
    match Graph::from_json(query) {
        Err(error) => error,
        Ok(query) => via::graph(conn, query).expect_err("the query is refused"),
    }
}

/// Each row's `products`' names.
fn names(rows: &[Value]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|row| {
            row["products"]
                .as_array()
                .expect("a list")
                .iter()
                .map(|product| product["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

fn brands(nested: Nested) -> Graph {
    Graph::entity("brand")
        .fields(["id", "products.name"])
        .order("id", Order::Asc)
        .nested("products", nested)
}

link_test_support::backend_tests! {
    drivers;

    fn a_page_inside_each_record(conn) {
        catalog(conn);
        let first_by_name = rows(conn, brands(Nested::new().order("name", Order::Asc).take(1)));
        assert_eq!(names(&first_by_name), [vec!["Kettle"], vec!["Toaster"], vec![]]);
        let last_by_name = rows(conn, brands(Nested::new().order("name", Order::Desc).take(1)));
        assert_eq!(names(&last_by_name), [vec!["Teapot"], vec!["Toaster"], vec![]]);
        let second = rows(conn, brands(Nested::new().order("name", Order::Asc).skip(1)));
        assert_eq!(names(&second), [vec!["Teapot"], vec![], vec![]]);
        // Without an order, the order of the links: Teapot's was made first.
        let first_linked = rows(conn, brands(Nested::new().take(1)));
        assert_eq!(names(&first_linked), [vec!["Teapot"], vec!["Toaster"], vec![]]);
        let none = rows(conn, brands(Nested::new().take(0)));
        assert_eq!(names(&none), [Vec::<String>::new(), vec![], vec![]]);
        // The same in JSON.
        let json = from_json(conn, json!({
            "entity": "brand",
            "fields": ["id", "products.name"],
            "pagination": { "order": { "id": "ASC" } },
            "nested": { "products": { "order": { "name": "DESC" }, "take": 1 } },
        }));
        assert_eq!(json, last_by_name);
        assert_eq!(
            json[0],
            json!({ "id": "brand_1", "products": [{ "name": "Teapot" }] })
        );
    }

    fn filters_keep_linked_records_and_their_count(conn) {
        catalog(conn);
        let query = json!({
            "entity": "brand",
            "fields": ["id", "products.name", "_count.products"],
            "pagination": { "order": { "id": "ASC" } },
            "nested": { "products": { "filters": { "name": { "$like": "T%" } } } },
        });
        assert_eq!(
            from_json(conn, query),
            [
                json!({ "id": "brand_1", "products": [{ "name": "Teapot" }], "_count": { "products": 1 } }),
                json!({ "id": "brand_2", "products": [{ "name": "Toaster" }], "_count": { "products": 1 } }),
                json!({ "id": "brand_3", "products": [], "_count": { "products": 0 } }),
            ]
        );
        // A count alone takes the filters too, and a page does not cut it.
        let counted = rows(
            conn,
            Graph::entity("brand")
                .fields(["id", "_count.products"])
                .order("id", Order::Asc)
                .nested("products", Nested::new().filter("name", "Kettle").take(0)),
        );
        let counts: Vec<&Value> = counted.iter().map(|row| &row["_count"]["products"]).collect();
        assert_eq!(counts, [&json!(1), &json!(0), &json!(0)]);
        // Ordering and filtering the records by the count use the same filters.
        let by_count = rows(
            conn,
            Graph::entity("brand")
                .fields(["id"])
                .filter("_count.products", Condition::ge(1))
                .order("_count.products", Order::Desc)
                .nested("products", Nested::new().filter("name", Condition::like("T%"))),
        );
        assert_eq!(by_count, [json!({ "id": "brand_1" }), json!({ "id": "brand_2" })]);
        // Filters through links and quantifiers, as the query's own.
        let tagged = rows(
            conn,
            brands(
                Nested::new()
                    .filter_by(Filter::some("tags", [Filter::field("name", "kitchen")]))
                    .order("name", Order::Asc),
            ),
        );
        assert_eq!(names(&tagged), [vec!["Kettle"], vec![], vec![]]);
    }

    fn pages_at_any_depth(conn) {
        catalog(conn);
        // Each brand's first product by name, and that product's first tag by name.
        let query = json!({
            "entity": "brand",
            "fields": ["id", "products.name", "products.tags.name", "products._count.tags"],
            "filters": { "id": "brand_1" },
            "nested": { "products": {
                "order": { "name": "ASC" }, "take": 1,
                "nested": { "tags": { "order": { "name": "ASC" }, "take": 1 } },
            } },
        });
        assert_eq!(
            from_json(conn, query),
            [json!({ "id": "brand_1", "products": [
                { "name": "Kettle", "tags": [{ "name": "gift" }], "_count": { "tags": 2 } },
            ] })]
        );
        // Below a side that holds one record: each product's brand's newest-named product.
        let products = rows(
            conn,
            Graph::entity("product")
                .fields(["id", "brand.products.name"])
                .filter("id", ["prod_1", "prod_3"])
                .order("id", Order::Asc)
                .nested(
                    "brand",
                    Nested::new().nested("products", Nested::new().order("name", Order::Desc).take(1)),
                ),
        );
        assert_eq!(
            products,
            [
                json!({ "id": "prod_1", "brand": { "products": [{ "name": "Teapot" }] } }),
                json!({ "id": "prod_3", "brand": { "products": [{ "name": "Toaster" }] } }),
            ]
        );
        // From the product side of a many-to-many list, and the same product under two
        // brands' pages: a record shows under each record it is linked from.
        let tags = rows(
            conn,
            Graph::entity("tag")
                .fields(["name", "products.name"])
                .filter("id", "tag_2")
                .nested("products", Nested::new().order("name", Order::Desc)),
        );
        assert_eq!(
            tags,
            [json!({ "name": "gift", "products": [{ "name": "Teapot" }, { "name": "Kettle" }] })]
        );
    }

    fn link_rows_follow_the_page_of_their_records(conn) {
        catalog(conn);
        // Kettle's tags: kitchen (its link at position 2), gift (position 7).
        let kettle = |conn: &mut _, order: Order| {
            rows(
                conn,
                Graph::entity("product")
                    .fields(["tags.name", "tags_link.position"])
                    .filter("id", "prod_1")
                    .nested("tags", Nested::new().order("name", order).take(1)),
            )
        };
        assert_eq!(
            kettle(&mut *conn, Order::Asc),
            [json!({ "tags": [{ "name": "gift" }], "tags_link": [{ "position": 7 }] })]
        );
        assert_eq!(
            kettle(&mut *conn, Order::Desc),
            [json!({ "tags": [{ "name": "kitchen" }], "tags_link": [{ "position": 2 }] })]
        );
        // Filtered, and in the page's order rather than the links'.
        let gift = from_json(conn, json!({
            "entity": "tag",
            "fields": ["products.name", "products_link.position"],
            "filters": { "id": "tag_2" },
            "nested": { "products": { "order": { "name": "DESC" } } },
        }));
        assert_eq!(
            gift,
            [json!({
                "products": [{ "name": "Teapot" }, { "name": "Kettle" }],
                "products_link": [{ "position": 5 }, { "position": 7 }],
            })]
        );
    }

    fn dismissed_links_come_after_live_ones(conn) {
        catalog(conn);
        let birch = rows(
            conn,
            Graph::entity("brand")
                .fields(["products.name"])
                .filter("id", "brand_2")
                .with_deleted()
                .nested("products", Nested::new().take(2)),
        );
        assert_eq!(names(&birch), [vec!["Toaster", "Whisk"]]);
        let by_name = rows(
            conn,
            Graph::entity("brand")
                .fields(["products.name"])
                .filter("id", "brand_2")
                .with_deleted()
                .nested("products", Nested::new().order("name", Order::Desc).take(1)),
        );
        assert_eq!(names(&by_name), [vec!["Whisk"]]);
    }

    fn a_required_page_finds_links_to_missing_records(conn) {
        catalog(conn);
        conn.batch_execute("DELETE FROM products WHERE id = 'prod_2'").unwrap();
        let acme = || {
            Graph::entity("brand")
                .fields(["products.name"])
                .filter("id", "brand_1")
                .nested("products", Nested::new().order("name", Order::Asc).take(1))
        };
        assert_eq!(names(&rows(conn, acme())), [vec!["Kettle"]]);
        let error = via::graph(conn, acme().fail_if_relation_not_found()).unwrap_err();
        assert!(
            matches!(&error, Error::NotFound { entity, ids, field: Some(field) }
                if entity == "product" && ids == &["prod_2"] && field == "products"),
            "{error:?}"
        );
    }

    fn misused_pages_are_typed_errors(conn) {
        catalog(conn);
        let malformed = |error: &Error, says: &str| {
            assert!(
                matches!(error, Error::MalformedQuery { reason } if reason.contains(says)),
                "{error:?} should say {says}"
            );
            assert_eq!(error.kind(), ErrorKind::Invalid);
        };
        let error = refused(conn, json!({
            "entity": "product", "fields": ["brand.name"], "nested": { "brand": { "take": 1 } },
        }));
        malformed(&error, "holds one record at most");
        let error = refused(conn, json!({
            "entity": "brand", "fields": ["name"], "nested": { "name": { "take": 1 } },
        }));
        malformed(&error, "is a field of `brand`, not a link");
        let error = refused(conn, json!({
            "entity": "brand", "fields": ["products.name"], "nested": { "gadgets": {} },
        }));
        assert!(matches!(&error, Error::UnknownField { field, .. } if field == "gadgets"), "{error:?}");
        let error = refused(conn, json!({
            "entity": "brand", "fields": ["products.name"], "nested": { "products": { "limit": 1 } },
        }));
        malformed(&error, "unknown key `limit` in `nested.products`");
        let error = refused(conn, json!({
            "entity": "brand", "fields": ["products.name"], "nested": { "products": { "take": -1 } },
        }));
        malformed(&error, "`nested.products.take` is a non-negative integer");
        let error = refused(conn, json!({
            "entity": "brand", "fields": ["products.name"], "nested": { "products": { "order": { "gadget": "ASC" } } },
        }));
        assert!(matches!(&error, Error::UnknownField { field, .. } if field == "gadget"), "{error:?}");
        let error = refused(conn, json!({
            "entity": "brand", "fields": ["products.name"], "nested": { "products": { "filters": { "price": 3 } } },
        }));
        assert!(matches!(&error, Error::UnknownField { field, .. } if field == "price"), "{error:?}");
        let error = refused(conn, json!({
            "entity": "product", "fields": ["tags_link.position"],
            "nested": { "tags": { "take": 1 } },
        }));
        malformed(&error, "`tags_link` follows the page of `tags`, which the query does not read");

        // A scope caps a page inside each record as it caps the query's, and refuses what
        // it does not let through, before any statement.
        let scope = Scope::new()
            .entity("brand", Fields::all())
            .entity("product", Fields::all())
            .link("brand", "products")
            .max_take(2);
        let statements = Statements::record(conn);
        let error = via::graph_scoped(conn, &scope, brands(Nested::new().take(3))).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Forbidden, "{error:?}");
        assert_eq!(error.to_string(), "the scope refuses `nested.products` of `brand`: take 3 over 2");
        let error = via::graph_scoped(
            conn,
            &scope,
            brands(Nested::new().filter("tags.name", "gift")),
        )
        .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Forbidden, "{error:?}");
        assert!(statements.take().is_empty());
        let allowed = via::graph_scoped(conn, &scope, brands(Nested::new().take(2))).unwrap();
        assert_eq!(allowed.data.len(), 2, "the scope's page of brands");

        // A page's filters and order keys cost as the query's own do.
        statements.take();
        let limits = Limits::new()
            .max(CostLimit::FilterValues, 3)
            .max(CostLimit::OrderKeys, 1)
            .max(CostLimit::FilterLinks, 0);
        let costly = [
            (brands(Nested::new().filter("name", Condition::eq_any(["a", "b", "c", "d"]))), CostLimit::FilterValues),
            (brands(Nested::new().order("name", Order::Asc)), CostLimit::OrderKeys),
            (brands(Nested::new().filter("tags.name", "gift")), CostLimit::FilterLinks),
        ];
        for (query, limit) in costly {
            let error = via::graph_limited(conn, None, &limits, query).unwrap_err();
            assert!(matches!(&error, Error::TooCostly { limit: l, .. } if *l == limit), "{error:?}");
        }
        assert!(statements.take().is_empty());
    }

    fn pages_are_what_a_model_pages(conn) {
        catalog(conn);
        let conn = std::cell::RefCell::new(conn);
        let config = Config { cases: 48, failure_persistence: None, ..Config::default() };
        TestRunner::new(config)
            .run(&(catalogs(), pages_asked()), |(catalog, page)| {
                let conn = &mut **conn.borrow_mut();
                catalog.store(conn);
                page.check(&catalog, &rows(conn, page.query()))
            })
            .unwrap();
    }

    fn statements_depend_on_the_query_never_on_the_rows(conn) {
        assert_statements_independent_of_rows(conn, || vec![
            brands(Nested::new().order("name", Order::Desc).take(3)),
            brands(Nested::new().take(2).skip(1)),
            Graph::entity("brand")
                .fields(["id", "products.name", "products.tags.name", "_count.products"])
                .nested("products", Nested::new().filter("name", Condition::like("T%")).take(3)
                    .nested("tags", Nested::new().take(1))),
            Graph::entity("product")
                .fields(["id", "brand.products.name"])
                .take(5)
                .nested("brand", Nested::new().nested("products", Nested::new().take(2))),
        ]);
    }
}
