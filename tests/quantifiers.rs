//! Which linked records a filter asks about, on SQLite and PostgreSQL, through both drivers:
//! `$some` (a filter through a link, as ever), `$every` (true for a record with no linked
//! record), `$none`, and `{ "brand": null }` for a record with no live link, in the builder
//! and the JSON form, nested under other links, with dismissed links and soft-deleted
//! records left out unless asked for.
//!
//! The catalog ([`catalog`]): Acme holds Kettle and Teapot, Birch holds Toaster (its link
//! to Whisk is dismissed), Cedar holds nothing; Whisk's supplier, Cherry, is soft-deleted.

use link_runtime::graph::{Condition, Filter, Graph, Quantifier};
use link_runtime::graph::{Fields, Scope};
use link_runtime::{Error, ErrorKind, LinkConnection};
use link_test_support::{via, Statements};
use link_tests::fixtures::catalog;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};

mod common;
use common::catalog::{assert_statements_independent_of_rows, catalogs, Catalog, NAMES};

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

// ---------------------------------------------------------------------------------------
// Against a model: random catalogs, every quantifier, the answer a brute force gives.

/// What the products must meet: nothing (whether there are any), a name, a pattern.
#[derive(Debug, Clone, Copy)]
enum Test {
    Any,
    Named(&'static str),
    StartsWithT,
}

impl Test {
    fn filters(self) -> Vec<Filter> {
        match self {
            Test::Any => Vec::new(),
            Test::Named(name) => vec![Filter::field("name", name)],
            Test::StartsWithT => vec![Filter::field("name", Condition::like("T%"))],
        }
    }

    fn holds(self, name: &str) -> bool {
        match self {
            Test::Any => true,
            Test::Named(wanted) => name == wanted,
            Test::StartsWithT => name.starts_with('T'),
        }
    }
}

fn tests() -> impl Strategy<Value = Test> {
    prop_oneof![
        Just(Test::Any),
        select(&NAMES[..]).prop_map(Test::Named),
        Just(Test::StartsWithT),
    ]
}

fn quantifiers() -> impl Strategy<Value = Quantifier> {
    select(&[Quantifier::Some, Quantifier::Every, Quantifier::None][..])
}

/// Whether `quantifier` of the names holds `test`, as logic has it.
fn brute(quantifier: Quantifier, names: &[&str], test: Test) -> bool {
    match quantifier {
        Quantifier::Some => names.iter().any(|name| test.holds(name)),
        Quantifier::Every => names.iter().all(|name| test.holds(name)),
        Quantifier::None => !names.iter().any(|name| test.holds(name)),
    }
}

impl Catalog {
    /// The brands `quantifier` of their products meeting `test` keeps.
    fn brands_kept(&self, quantifier: Quantifier, test: Test) -> Vec<String> {
        (0..self.brands)
            .filter(|&brand| brute(quantifier, &self.names_of(brand), test))
            .map(|brand| format!("brand_{brand}"))
            .collect()
    }

    /// The products `quantifier` of their brand (one at most) meeting `test` keeps: the
    /// brand's name is `Brand {i}`, so a test on it asks about the brand's index.
    fn products_kept(&self, quantifier: Quantifier, brand_wanted: Option<usize>) -> Vec<String> {
        let mut kept: Vec<String> = self
            .products
            .iter()
            .enumerate()
            .filter(|(_, (_, link))| {
                let live: Vec<usize> = link.iter().filter(|(_, d)| !d).map(|(b, _)| *b).collect();
                let holds = |b: &usize| brand_wanted.is_none_or(|wanted| *b == wanted);
                match quantifier {
                    Quantifier::Some => live.iter().any(holds),
                    Quantifier::Every => live.iter().all(holds),
                    Quantifier::None => !live.iter().any(holds),
                }
            })
            .map(|(i, _)| format!("prod_{i}"))
            .collect();
        kept.sort();
        kept
    }
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
        // A scope that does not let a query through a link refuses its quantifiers and its
        // null alike, before any statement.
        let scope = Scope::new()
            .entity("product", Fields::all())
            .entity("brand", Fields::all())
            .link("brand", "products");
        let statements = Statements::record(conn);
        for filters in [json!({ "brand": null }), json!({ "brand": { "$none": { "name": "Acme" } } })] {
            let query = Graph::from_json(json!({ "entity": "product", "filters": filters })).unwrap();
            let error = via::graph_scoped(conn, &scope, query).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Forbidden, "{error:?}");
            assert!(error.to_string().contains("brand"), "{error}");
        }
        assert!(statements.take().is_empty(), "a refused query runs no statement");
        let allowed = Graph::entity("brand").filter_by(Filter::none("products", []));
        assert_eq!(via::graph_scoped(conn, &scope, allowed.fields(["id"])).unwrap().data, [json!({ "id": "brand_3" })]);

        let error = refused(conn, json!({ "gadgets": { "$none": {} } }));
        assert!(
            matches!(&error, Error::UnknownField { field, .. } if field == "gadgets"),
            "{error:?}"
        );
    }

    fn quantifiers_keep_what_a_brute_force_keeps(conn) {
        catalog(conn);
        let conn = std::cell::RefCell::new(conn);
        let config = Config { cases: 48, failure_persistence: None, ..Config::default() };
        let strategy = (catalogs(), quantifiers(), tests(), proptest::option::of(0..4usize));
        TestRunner::new(config)
            .run(&strategy, |(catalog, quantifier, test, brand)| {
                let conn = &mut **conn.borrow_mut();
                catalog.store(conn);
                let through_list = brands(conn, Filter::linked("products", quantifier, test.filters()));
                prop_assert_eq!(through_list, catalog.brands_kept(quantifier, test), "brands");
                let filters = brand.map(|b| Filter::field("name", format!("Brand {b}")));
                let through_one = products(
                    conn,
                    Filter::linked("brand", quantifier, filters),
                );
                let mut through_one = through_one;
                through_one.sort();
                prop_assert_eq!(through_one, catalog.products_kept(quantifier, brand), "products");
                Ok(())
            })
            .unwrap();
    }

    fn statements_depend_on_the_query_never_on_the_rows(conn) {
        // Each query is its statement (and its transaction's), whatever the rows.
        assert_statements_independent_of_rows(conn, || {
            [
                Graph::entity("brand").filter_by(Filter::every("products", named("T%"))),
                Graph::entity("brand").filter_by(Filter::none("products", [Filter::field("tags.name", "gift")])),
                Graph::entity("product").filter_by(Filter::none("brand", [])),
                Graph::entity("product").filter_by(Filter::some("brand", [Filter::every("products", named("K%"))])).take(5),
            ]
            .into_iter()
            .map(|query| query.fields(["id"]))
            .collect()
        });
    }
}
