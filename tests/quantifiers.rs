//! Which linked records a filter asks about, on SQLite and PostgreSQL, through both drivers:
//! `$some` (a filter through a link, as ever), `$every` (true for a record with no linked
//! record), `$none`, and `{ "brand": null }` for a record with no live link, in the builder
//! and the JSON form, nested under other links, with dismissed links and soft-deleted
//! records left out unless asked for.
//!
//! The catalog ([`catalog`]): Acme holds Kettle and Teapot, Birch holds Toaster (its link
//! to Whisk is dismissed), Cedar holds nothing; Whisk's supplier, Cherry, is soft-deleted.

use link_runtime::graph::{Condition, Filter, Graph, Quantifier};
use link_runtime::{Error, ErrorKind, LinkConnection};
use link_test_support::via;
use link_tests::fixtures::catalog;
use serde_json::{json, Value};

/// The ids `query` answers, in id order.
fn ids(conn: &mut impl LinkConnection, query: Graph) -> Vec<String> {
    let rows = via::graph(
        conn,
        query
            .fields(["id"])
            .order("id", link_runtime::graph::Order::Asc),
    )
    .expect("the query runs");
    rows.data
        .iter()
        .map(|row| row["id"].as_str().expect("an id").to_owned())
        .collect()
}

fn brands(conn: &mut impl LinkConnection, filter: Filter) -> Vec<String> {
    ids(conn, Graph::entity("brand").filter_by(filter))
}

fn products(conn: &mut impl LinkConnection, filter: Filter) -> Vec<String> {
    ids(conn, Graph::entity("product").filter_by(filter))
}

fn from_json(conn: &mut impl LinkConnection, entity: &str, filters: Value) -> Vec<String> {
    let query = Graph::from_json(json!({ "entity": entity, "filters": filters }))
        .expect("the document reads");
    ids(conn, query)
}

fn named(pattern: &str) -> Vec<Filter> {
    vec![Filter::field("name", Condition::like(pattern))]
}

link_test_support::backend_tests! {
    drivers;

    fn some_every_and_none_of_a_list(conn) {
        catalog(conn);
        // Some product starts with K: Acme (Kettle).
        assert_eq!(brands(conn, Filter::some("products", named("K%"))), ["brand_1"]);
        // No product starts with K: Birch (Toaster, its Whisk dismissed) and Cedar (none).
        assert_eq!(brands(conn, Filter::none("products", named("K%"))), ["brand_2", "brand_3"]);
        // Every product starts with T: Birch (Toaster; the dismissed Whisk does not count)
        // and Cedar, which has no product at all; not Acme (Kettle).
        assert_eq!(brands(conn, Filter::every("products", named("T%"))), ["brand_2", "brand_3"]);
        // Every product starts with K or T: all three.
        assert_eq!(
            brands(conn, Filter::every("products", [Filter::or([
                Filter::field("name", Condition::like("K%")),
                Filter::field("name", Condition::like("T%")),
            ])])),
            ["brand_1", "brand_2", "brand_3"]
        );
        // Several filters in one quantifier ask about one linked record: no product both
        // starts with T and is Kettle, so every brand has none such.
        assert_eq!(
            brands(conn, Filter::none("products", [
                Filter::field("name", Condition::like("T%")),
                Filter::field("id", "prod_1"),
            ])),
            ["brand_1", "brand_2", "brand_3"]
        );
        // Quantifiers combine with other filters and with each other.
        assert_eq!(
            brands(conn, Filter::and([
                Filter::some("products", named("T%")),
                Filter::none("products", named("K%")),
            ])),
            ["brand_2"]
        );
        assert_eq!(
            brands(conn, Filter::or([
                Filter::field("name", "Acme"),
                Filter::every("products", named("Z%")),
            ])),
            ["brand_1", "brand_3"]
        );
    }

    fn the_json_form_names_them_as_operators(conn) {
        catalog(conn);
        assert_eq!(
            from_json(conn, "brand", json!({ "products": { "$some": { "name": { "$like": "K%" } } } })),
            ["brand_1"]
        );
        assert_eq!(
            from_json(conn, "brand", json!({ "products": { "$none": { "name": { "$like": "K%" } } } })),
            ["brand_2", "brand_3"]
        );
        assert_eq!(
            from_json(conn, "brand", json!({ "products": { "$every": { "name": { "$like": "T%" } } } })),
            ["brand_2", "brand_3"]
        );
        // With no filter inside: whether there is a linked record at all.
        assert_eq!(from_json(conn, "brand", json!({ "products": { "$none": {} } })), ["brand_3"]);
        assert_eq!(
            from_json(conn, "brand", json!({ "products": { "$some": {} } })),
            ["brand_1", "brand_2"]
        );
        // Under another link: products whose brand has no product named Kettle.
        assert_eq!(
            from_json(conn, "product", json!({ "brand": { "products": { "$none": { "name": "Kettle" } } } })),
            ["prod_3"]
        );
        // And a link filter inside a quantifier: brands none of whose products has a tag
        // named gift (Kettle and Teapot have it).
        assert_eq!(
            from_json(conn, "brand", json!({ "products": { "$none": { "tags": { "name": "gift" } } } })),
            ["brand_2", "brand_3"]
        );
        // The builder's form is the same query.
        let built = Graph::entity("brand")
            .filter_by(Filter::none("products", [Filter::field("tags.name", "gift")]));
        let read = Graph::from_json(json!({
            "entity": "brand",
            "filters": { "products": { "$none": { "tags": { "name": "gift" } } } },
        }))
        .unwrap();
        assert_eq!(read.filters_requested(), built.filters_requested());
        assert_eq!(Quantifier::None.operator(), "$none");
    }

    fn null_asks_for_a_record_with_no_live_link(conn) {
        catalog(conn);
        // Whisk's link to Birch is dismissed: it has no live brand.
        assert_eq!(products(conn, Filter::field("brand", Value::Null)), ["prod_4"]);
        assert_eq!(products(conn, Filter::none("brand", [])), ["prod_4"]);
        assert_eq!(from_json(conn, "product", json!({ "brand": null })), ["prod_4"]);
        assert_eq!(
            from_json(conn, "product", json!({ "brand": { "$ne": null } })),
            ["prod_1", "prod_2", "prod_3"]
        );
        assert_eq!(
            products(conn, Filter::field("brand", Condition::IsNotNull)),
            ["prod_1", "prod_2", "prod_3"]
        );
        // A linked record that is soft-deleted is no linked record: Whisk's supplier.
        assert_eq!(from_json(conn, "product", json!({ "supplier": null })), ["prod_4"]);
        // With deleted rows asked for, the dismissed link and the deleted supplier count.
        let with_deleted = |filters: Value| {
            Graph::from_json(json!({
                "entity": "product",
                "filters": filters,
                "withDeleted": true,
            }))
            .unwrap()
        };
        assert!(ids(conn, with_deleted(json!({ "brand": null }))).is_empty());
        assert!(ids(conn, with_deleted(json!({ "supplier": null }))).is_empty());
        // From the list side: Cedar has no product.
        assert_eq!(from_json(conn, "brand", json!({ "products": null })), ["brand_3"]);
        // A field's null is still the field's.
        assert!(from_json(conn, "product", json!({ "name": null })).is_empty());
    }

    fn a_page_counts_what_the_quantifier_keeps(conn) {
        catalog(conn);
        let page = via::graph(
            conn,
            Graph::entity("brand")
                .fields(["id", "products.name"])
                .filter_by(Filter::none("products", named("K%")))
                .order("id", link_runtime::graph::Order::Asc)
                .take(1),
        )
        .unwrap();
        assert_eq!(page.metadata.count, 2);
        assert_eq!(page.data, [json!({ "id": "brand_2", "products": [{ "name": "Toaster" }] })]);
    }

    fn misused_quantifiers_are_typed_errors(conn) {
        catalog(conn);
        let refused = |conn: &mut _, filters: Value| -> Error {
            match Graph::from_json(json!({ "entity": "brand", "filters": filters })) {
                Err(error) => error,
                Ok(query) => via::graph(conn, query).expect_err("the query is refused"),
            }
        };
        let error = refused(conn, json!({ "name": { "$none": { "id": "x" } } }));
        assert!(
            matches!(&error, Error::InvalidFilter { field, reason, .. }
                if field == "name" && reason.contains("$none")),
            "{error:?}"
        );
        assert_eq!(error.kind(), ErrorKind::Invalid);
        let error = refused(conn, json!({ "products": { "$none": {}, "$some": {} } }));
        assert!(
            matches!(&error, Error::MalformedQuery { reason } if reason.contains("stands alone")),
            "{error:?}"
        );
        let error = refused(conn, json!({ "products": { "$every": [1] } }));
        assert!(
            matches!(&error, Error::MalformedQuery { reason } if reason.contains("takes an object")),
            "{error:?}"
        );
        let error = refused(conn, json!({ "products": { "$none": { "colour": "red" } } }));
        assert!(
            matches!(&error, Error::UnknownField { field, .. } if field == "colour"),
            "{error:?}"
        );
        let error = refused(conn, json!({ "gadgets": { "$none": {} } }));
        assert!(
            matches!(&error, Error::UnknownField { field, .. } if field == "gadgets"),
            "{error:?}"
        );
    }
}
