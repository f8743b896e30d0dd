//! Counts of linked records (`_count.{field}`), on SQLite and PostgreSQL, through both
//! drivers: as fields at any depth, as filters and as order keys, in the builder and the JSON
//! form; dismissed links and soft-deleted records left out unless asked for; refusals.
//!
//! The catalog ([`catalog`]): Acme holds Kettle and Teapot, Birch holds Toaster (its link
//! to Whisk is dismissed), Cedar holds nothing. Kettle has the tags gift and kitchen,
//! Teapot gift, Toaster's only tag is dismissed. Whisk's supplier, Cherry, is soft-deleted.

use link_runtime::graph::{Condition, Fields, Graph, Order, Scope};
use link_runtime::{Error, ErrorKind, LinkConnection};
use link_test_support::{via, Statements};
use link_tests::fixtures::catalog;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

mod common;
use common::catalog::{assert_statements_independent_of_rows, catalogs};

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

link_test_support::backend_tests! {
    drivers;

    fn a_count_is_a_field_of_its_record(conn) {
        catalog(conn);
        let brands = rows(
            conn,
            Graph::entity("brand").fields(["id", "_count.products"]).order("id", Order::Asc),
        );
        assert_eq!(
            brands,
            [
                json!({ "id": "brand_1", "_count": { "products": 2 } }),
                json!({ "id": "brand_2", "_count": { "products": 1 } }),
                json!({ "id": "brand_3", "_count": { "products": 0 } }),
            ]
        );
        // A side that holds one record counts 0 or 1; a soft-deleted supplier is none.
        let products = rows(
            conn,
            Graph::entity("product")
                .fields(["id", "_count.brand", "_count.tags", "_count.supplier"])
                .order("id", Order::Asc),
        );
        assert_eq!(
            products,
            [
                json!({ "id": "prod_1", "_count": { "brand": 1, "tags": 2, "supplier": 1 } }),
                json!({ "id": "prod_2", "_count": { "brand": 1, "tags": 1, "supplier": 1 } }),
                json!({ "id": "prod_3", "_count": { "brand": 1, "tags": 0, "supplier": 1 } }),
                json!({ "id": "prod_4", "_count": { "brand": 0, "tags": 0, "supplier": 0 } }),
            ]
        );
        // With deleted rows, the dismissed links and the deleted supplier count.
        let all = rows(
            conn,
            Graph::entity("product")
                .fields(["id", "_count.brand", "_count.tags", "_count.supplier"])
                .order("id", Order::Asc)
                .with_deleted(),
        );
        assert_eq!(all[2]["_count"], json!({ "brand": 1, "tags": 1, "supplier": 1 }));
        assert_eq!(all[3]["_count"], json!({ "brand": 1, "tags": 0, "supplier": 1 }));
    }

    fn counts_at_any_depth_and_beside_fields_and_links(conn) {
        catalog(conn);
        let brands = from_json(conn, json!({
            "entity": "brand",
            "fields": ["name", "_count.products", "products.name", "products._count.tags"],
            "filters": { "id": ["brand_1", "brand_3"] },
            "pagination": { "order": { "id": "ASC" } },
        }));
        assert_eq!(
            brands,
            [
                // A list in the order its links were made: Teapot's first.
                json!({ "name": "Acme", "_count": { "products": 2 }, "products": [
                    { "name": "Teapot", "_count": { "tags": 1 } },
                    { "name": "Kettle", "_count": { "tags": 2 } },
                ] }),
                json!({ "name": "Cedar", "_count": { "products": 0 }, "products": [] }),
            ]
        );
        // Through a side that holds one record: the brand's count, beside its fields.
        let products = rows(
            conn,
            Graph::entity("product")
                .fields(["id", "brand.name", "brand._count.products"])
                .order("id", Order::Asc),
        );
        assert_eq!(products[0], json!({ "id": "prod_1", "brand": { "name": "Acme", "_count": { "products": 2 } } }));
        assert_eq!(products[2], json!({ "id": "prod_3", "brand": { "name": "Birch", "_count": { "products": 1 } } }));
        assert_eq!(products[3], json!({ "id": "prod_4", "brand": null }));
        // The JSON written from the records (or, where every link is joined, from each row
        // as it is read) is the JSON of the values.
        for query in [
            Graph::entity("brand")
                .fields(["id", "_count.products", "products._count.tags"])
                .order("id", Order::Asc),
            Graph::entity("brand").fields(["id", "_count.products"]),
            Graph::entity("brand").fields(["id", "_count.products"]).filter("name", "Acme"),
            Graph::entity("product")
                .fields(["id", "brand.name", "supplier.name", "_count.tags", "_count.brand"])
                .order("_count.tags", Order::Desc)
                .take(3),
        ] {
            let shown = format!("{query:?}");
            let values = via::graph(conn, query.clone()).unwrap();
            let written = via::graph(conn, query.to_json()).unwrap();
            assert_eq!(
                serde_json::to_string(&written).unwrap(),
                serde_json::to_string(&values).unwrap(),
                "{shown}"
            );
        }
    }

    fn records_filter_and_order_by_a_count(conn) {
        catalog(conn);
        let ids = |rows: Vec<Value>| -> Vec<String> {
            rows.iter().map(|row| row["id"].as_str().unwrap().to_owned()).collect()
        };
        let some = rows(
            conn,
            Graph::entity("brand")
                .fields(["id"])
                .filter("_count.products", Condition::ge(1))
                .order("id", Order::Asc),
        );
        assert_eq!(ids(some), ["brand_1", "brand_2"]);
        let none = from_json(conn, json!({
            "entity": "brand", "fields": ["id"], "filters": { "_count.products": 0 },
        }));
        assert_eq!(ids(none), ["brand_3"]);
        let two_or_more = from_json(conn, json!({
            "entity": "brand", "fields": ["id"], "filters": { "_count.products": { "$gte": 2 } },
        }));
        assert_eq!(ids(two_or_more), ["brand_1"]);
        // Through a link: products whose brand holds two products.
        let of_big_brands = from_json(conn, json!({
            "entity": "product", "fields": ["id"],
            "filters": { "brand": { "_count.products": 2 } },
            "pagination": { "order": { "id": "ASC" } },
        }));
        assert_eq!(ids(of_big_brands), ["prod_1", "prod_2"]);
        // Ordered by the count, the key breaking ties; a page counts every match.
        let by_count = via::graph(conn, Graph::from_json(json!({
            "entity": "brand", "fields": ["id", "_count.products"],
            "pagination": { "order": { "_count.products": "DESC" }, "take": 2 },
        })).unwrap()).unwrap();
        assert_eq!(ids(by_count.data), ["brand_1", "brand_2"]);
        assert_eq!(by_count.metadata.count, 3);
        let ascending = rows(
            conn,
            Graph::entity("product").fields(["id"]).order("_count.tags", Order::Asc),
        );
        assert_eq!(ids(ascending), ["prod_3", "prod_4", "prod_2", "prod_1"]);
    }

    fn misused_counts_are_typed_errors(conn) {
        catalog(conn);
        let error = refused(conn, json!({ "entity": "brand", "fields": ["_count"] }));
        assert!(matches!(&error, Error::MalformedQuery { reason } if reason.contains("names the link field")), "{error:?}");
        let error = refused(conn, json!({ "entity": "brand", "fields": ["_count.name"] }));
        assert!(matches!(&error, Error::MalformedQuery { reason } if reason.contains("not a link")), "{error:?}");
        let error = refused(conn, json!({ "entity": "brand", "fields": ["_count.products.tags"] }));
        assert!(matches!(&error, Error::MalformedQuery { reason } if reason.contains("products._count.tags")), "{error:?}");
        let error = refused(conn, json!({ "entity": "brand", "fields": ["_count.gadgets"] }));
        assert!(matches!(&error, Error::UnknownField { field, .. } if field == "gadgets"), "{error:?}");
        let error = refused(conn, json!({
            "entity": "brand", "filters": { "_count.products": { "$like": "1%" } },
        }));
        assert!(matches!(&error, Error::InvalidFilter { .. }), "{error:?}");
        assert_eq!(error.kind(), ErrorKind::Invalid);
        let error = refused(conn, json!({
            "entity": "brand", "filters": { "_count.products": "many" },
        }));
        assert!(matches!(&error, Error::InvalidFilter { field, .. } if field == "_count.products"), "{error:?}");

        // A scope that does not let a query follow a link does not let it count it either,
        // and refuses before any statement.
        let scope = Scope::new().entity("brand", Fields::all()).entity("product", Fields::all());
        let statements = Statements::record(conn);
        for query in [
            Graph::entity("brand").fields(["id", "_count.products"]),
            Graph::entity("brand").filter("_count.products", 1),
            Graph::entity("brand").order("_count.products", Order::Asc),
        ] {
            let error = via::graph_scoped(conn, &scope, query).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Forbidden, "{error:?}");
        }
        assert!(statements.take().is_empty());
    }

    fn counts_are_what_a_model_counts(conn) {
        catalog(conn);
        let conn = std::cell::RefCell::new(conn);
        let config = Config { cases: 48, failure_persistence: None, ..Config::default() };
        TestRunner::new(config)
            .run(&(catalogs(), 0..4u64), |(catalog, at_least)| {
                let conn = &mut **conn.borrow_mut();
                catalog.store(conn);
                let counted = |brand: usize| catalog.names_of(brand).len() as u64;
                // Each brand's count, and the brands ordered by it (most first, then by id).
                let mut expected: Vec<(String, u64)> =
                    (0..catalog.brands).map(|b| (format!("brand_{b}"), counted(b))).collect();
                expected.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                let answered: Vec<(String, u64)> = rows(
                    conn,
                    Graph::entity("brand")
                        .fields(["id", "_count.products"])
                        .order("_count.products", Order::Desc),
                )
                .iter()
                .map(|row| (row["id"].as_str().unwrap().to_owned(), row["_count"]["products"].as_u64().unwrap()))
                .collect();
                prop_assert_eq!(&answered, &expected);
                // The brands with at least `at_least` products.
                let kept: Vec<String> = rows(
                    conn,
                    Graph::entity("brand")
                        .fields(["id"])
                        .filter("_count.products", Condition::ge(at_least))
                        .order("id", Order::Asc),
                )
                .iter()
                .map(|row| row["id"].as_str().unwrap().to_owned())
                .collect();
                let mut wanted: Vec<String> = expected
                    .iter()
                    .filter(|(_, n)| *n >= at_least)
                    .map(|(id, _)| id.clone())
                    .collect();
                wanted.sort();
                prop_assert_eq!(kept, wanted);
                // Each product's one brand: 1 with a live link, else 0.
                let products = rows(
                    conn,
                    Graph::entity("product").fields(["id", "_count.brand"]),
                );
                prop_assert_eq!(products.len(), catalog.products.len());
                for row in products {
                    let i: usize = row["id"].as_str().unwrap()["prod_".len()..].parse().unwrap();
                    let live = matches!(catalog.products[i].1, Some((_, false)));
                    prop_assert_eq!(row["_count"]["brand"].as_u64(), Some(u64::from(live)), "{}", row);
                }
                Ok(())
            })
            .unwrap();
    }

    fn statements_depend_on_the_query_never_on_the_rows(conn) {
        assert_statements_independent_of_rows(conn, || vec![
            Graph::entity("brand").fields(["id", "_count.products"]),
            Graph::entity("brand").fields(["id", "products._count.tags"]),
            Graph::entity("product").fields(["id", "brand._count.products"]).take(5),
            Graph::entity("brand").fields(["id"]).filter("_count.products", Condition::gt(1)).order("_count.products", Order::Desc),
        ]);
    }
}
