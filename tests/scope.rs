//! Graph queries under a `Scope`, on SQLite and PostgreSQL, through both drivers: what a
//! scope refuses (entities, fields, links, in fields, filters and orders; depth, page size,
//! `with_deleted`), in the builder, the JSON form and typed queries; that a refused query
//! runs no statement and its error names nothing outside the scope; that a query the scope
//! allows reads what it reads without one; and a property over random scopes and queries.
//!
//! The fixtures have no product ↔ wishlist link, so a storefront's leak
//! (`product { wishlists.customer.email }`) is played by its equivalents here: from a
//! product, `brand.supplier.name` (a link out of the scope past one inside it) and
//! `wishlists.customer.name` (a link the registry does not have), and from a wishlist, its
//! customer.

use std::cell::RefCell;
use std::collections::BTreeMap;

use diesel::SqliteConnection;
use link_runtime::databases::{Database, Databases};
use link_runtime::graph::{Fields, Graph, GraphResult, GraphSelect, Order, Query, Refusal, Scope};
use link_runtime::{Error, ErrorKind, LinkConnection};
use link_test_support::via;
use link_test_support::Statements;
use link_tests::fixtures::catalog;
use link_tests::modules::brand::Brand;
use link_tests::modules::product::Product;
use link_tests::modules::supplier::{Store, Supplier};
use link_tests::modules::tag::Tag;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde::Deserialize;
use serde_json::{json, Value};

/// A storefront's scope: products with their brand, supplier's name and tags' names;
/// brands with their products. No customer, no wishlist, no pivot rows, no supplier's
/// `deleted_at`; two links deep at most, 100 rows a page at most.
fn store() -> Scope {
    Scope::new()
        .entity("product", Fields::all())
        .entity("brand", Fields::only(["id", "name"]))
        .entity("supplier", Fields::only(["name"]))
        .entity("tag", Fields::only(["name"]))
        .link("product", "brand")
        .link("product", "supplier")
        .link("product", "tags")
        .link("brand", "products")
        .max_depth(2)
        .max_take(100)
}

/// `graph` under `scope`, which must refuse it without running a statement: the refusal.
#[track_caller]
fn forbidden<C: LinkConnection>(
    conn: &mut C,
    statements: &Statements,
    scope: &Scope,
    graph: Graph,
) -> Error {
    statements.take();
    let shown = format!("{graph:?}");
    let error = match via::graph_scoped(conn, scope, graph) {
        Ok(result) => panic!("{shown} ran under the scope: {:?}", result.data),
        Err(error) => error,
    };
    assert_eq!(error.kind(), ErrorKind::Forbidden, "{shown}: {error:?}");
    assert_eq!(
        statements.take(),
        Vec::<String>::new(),
        "{shown}: a refused query runs no statement"
    );
    error
}

/// The path refused and why.
#[track_caller]
fn refusal(error: &Error) -> (Option<&str>, Refusal) {
    match error {
        Error::Forbidden { field, reason, .. } => (field.as_deref(), *reason),
        other => panic!("not a scope's refusal: {other:?}"),
    }
}

/// `graph` under `scope` and without any, which must read the same rows: the scoped result.
#[track_caller]
fn same_as_unscoped<C: LinkConnection>(
    conn: &mut C,
    scope: &Scope,
    graph: Graph,
) -> GraphResult<Value> {
    let shown = format!("{graph:?}");
    let scoped = via::graph_scoped(conn, scope, graph.clone())
        .unwrap_or_else(|error| panic!("{shown} is refused: {error:?}"));
    let plain = via::graph(conn, graph).expect("the query runs without a scope");
    assert_eq!(scoped.data, plain.data, "{shown}");
    assert_eq!(scoped.metadata.count, plain.metadata.count, "{shown}");
    scoped
}

/// Every registered entity's name: none of them outside a scope may show in its refusals.
const ENTITIES: [&str; 11] = [
    "brand",
    "customer",
    "product",
    "supplier",
    "tag",
    "wishlist",
    "customer_customer_wishlist_wishlist",
    "product_product_brand_brand",
    "product_product_supplier_supplier",
    "product_tags",
    "supplier_supplier_brand_brand",
];

/// A product card that reads its supplier's `deleted_at`, which the store keeps out.
#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Product)]
struct AuditedProduct {
    name: String,
    #[graph(link)]
    supplier: Option<SupplierState>,
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Supplier)]
struct SupplierState {
    name: String,
    deleted_at: Option<String>,
}

/// A product card inside the store's scope.
#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Product)]
struct StoreCard {
    id: String,
    name: String,
    #[graph(link)]
    brand: Option<BrandName>,
    #[graph(link)]
    tags: Vec<TagName>,
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Brand)]
struct BrandName {
    name: String,
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Tag)]
struct TagName {
    name: String,
}

link_test_support::backend_tests! {
    drivers;

    fn a_client_s_query_cannot_reach_past_the_scope(conn) {
        catalog(conn);
        let statements = Statements::record(conn);
        let store = store();

        // Past a link the scope allows, to one it does not: refused at that link.
        let leak = Graph::from_json(json!({
            "entity": "product",
            "fields": ["id", "brand.supplier.name"],
        }))
        .unwrap();
        let error = forbidden(conn, &statements, &store, leak);
        assert_eq!(refusal(&error), (Some("brand.supplier"), Refusal::Link));
        assert_eq!(
            error.to_string(),
            "the scope refuses `brand.supplier` of `product`: link not in scope"
        );
        assert_eq!(
            serde_json::to_value(error.details()).unwrap(),
            json!({
                "type": "forbidden",
                "message": "the scope refuses `brand.supplier` of `product`: link not in scope",
                "entity": "product",
                "field": "brand.supplier",
            })
        );

        // A link the registry does not have is refused as one it has: nothing tells them
        // apart, nor lists what the product has.
        let unknown = forbidden(
            conn,
            &statements,
            &store,
            Graph::entity("product").fields(["id", "wishlists.customer.name"]),
        );
        assert_eq!(
            unknown.to_string(),
            "the scope refuses `wishlists` of `product`: link not in scope"
        );

        // A gift registry's scope: wishlists, but not whose they are.
        let registry = Scope::new().entity("wishlist", Fields::all());
        let owner = forbidden(
            conn,
            &statements,
            &registry,
            Graph::from_json(json!({ "entity": "wishlist", "fields": ["name", "customer.name"] }))
                .unwrap(),
        );
        assert_eq!(refusal(&owner), (Some("customer"), Refusal::Link));
        // Selected whole, the link is refused as the path's last name: a field.
        let whole = forbidden(
            conn,
            &statements,
            &registry,
            Graph::entity("wishlist").fields(["customer"]),
        );
        assert_eq!(refusal(&whole), (Some("customer"), Refusal::Field));
        // A link in the scope to an entity outside it.
        let to_outside = forbidden(
            conn,
            &statements,
            &registry.clone().link("wishlist", "customer"),
            Graph::entity("wishlist").fields(["customer.name"]),
        );
        assert_eq!(refusal(&to_outside), (Some("customer"), Refusal::Entity));
        assert_eq!(
            to_outside.to_string(),
            "the scope refuses `customer` of `wishlist`: entity not in scope"
        );
        // Everything past the refused name is left unread: its unknown field is no error.
        let past = forbidden(
            conn,
            &statements,
            &store,
            Graph::entity("product").fields(["brand.supplier.nothing_here"]),
        );
        assert_eq!(refusal(&past), (Some("brand.supplier"), Refusal::Link));

        // The same queries run without a scope: the scope is what refused them.
        let read = via::graph(conn, Graph::entity("wishlist").fields(["name", "customer.name"]))
            .unwrap();
        assert_eq!(
            read.data,
            [
                json!({ "name": "Birthday", "customer": { "name": "Ada" } }),
                json!({ "name": "Holiday", "customer": null }),
            ]
        );
        // The recorder sees this driver's statements: the refusals above ran none.
        assert!(!statements.take().is_empty());
    }

    fn entities_outside_the_scope_are_forbidden_and_never_listed(conn) {
        catalog(conn);
        let statements = Statements::record(conn);
        let store = store();
        // One registered, one not, one a link's table: the same answer for all.
        for entity in ["customer", "customers", "product_tags"] {
            let error = forbidden(conn, &statements, &store, Graph::entity(entity));
            assert_eq!(refusal(&error), (None, Refusal::Entity));
            assert_eq!(
                error.to_string(),
                format!("the scope refuses `{entity}`: entity not in scope")
            );
            let details = serde_json::to_value(error.details()).unwrap();
            assert_eq!(details["entity"], json!(entity));
            assert_eq!(details.get("field"), None);
        }
        // Without a scope, an unknown entity's error lists every entity there is.
        let open = via::graph(conn, Graph::entity("customers")).unwrap_err();
        assert!(open.to_string().contains("wishlist"), "{open}");

        // A scope that lists an entity no module registers: the registry's error, listing
        // only the scope's entities.
        let listed = store.clone().entity("review", Fields::all());
        let unknown = via::graph_scoped(conn, &listed, Graph::entity("review")).unwrap_err();
        match &unknown {
            Error::UnknownEntity { entity, known } => {
                assert_eq!(entity, "review");
                assert_eq!(known, &["brand", "product", "supplier", "tag"]);
            }
            other => panic!("{other:?}"),
        }
        // A field the scope lists that the model lacks: its error lists the scope's names.
        let priced = store.clone().entity("tag", Fields::only(["name", "price"]));
        let price = via::graph_scoped(conn, &priced, Graph::entity("tag").fields(["price"]))
            .unwrap_err();
        assert_eq!(
            price.to_string(),
            "`tag` has no field `price` (known: name)"
        );
        // Under `Scope::all`, the registry's errors are whole.
        let everything = via::graph_scoped(conn, &Scope::all(), Graph::entity("customers"))
            .unwrap_err();
        assert_eq!(everything.to_string(), open.to_string());

        // No refusal under the store names anything outside it.
        let outside: Vec<&str> = ENTITIES
            .iter()
            .copied()
            .filter(|entity| !store.allows_entity(entity))
            .collect();
        let refusals = [
            Graph::entity("customers"),
            Graph::entity("review"),
            Graph::entity("product").fields(["wishlists.customer.name"]),
            Graph::entity("product").fields(["nothing"]),
            Graph::entity("product").filter("supplier.deleted_at", json!(null)),
            Graph::entity("brand").fields(["supplier.products.name"]),
            Graph::entity("tag").fields(["id"]),
        ];
        for graph in refusals {
            let asked = format!("{graph:?}");
            let message = forbidden(conn, &statements, &store, graph).to_string();
            // Only what the query itself names.
            for name in outside.iter().filter(|name| !asked.contains(*name)) {
                assert!(!message.contains(name), "{message} names {name}");
            }
            assert!(!message.contains("known"), "{message}");
        }
    }

    fn an_allowed_query_reads_what_it_reads_without_a_scope(conn) {
        catalog(conn);
        let store = store();
        let cards = same_as_unscoped(
            conn,
            &store,
            Graph::entity("product")
                .fields(["id", "name", "brand.name", "supplier.name", "tags.name"])
                .order("name", Order::Desc)
                .take(3),
        );
        assert_eq!(cards.metadata.count, 4);
        assert_eq!(
            cards.data,
            [
                json!({ "id": "prod_4", "name": "Whisk", "brand": null,
                        "supplier": null, "tags": [] }),
                json!({ "id": "prod_3", "name": "Toaster", "brand": { "name": "Birch" },
                        "supplier": { "name": "Alder" }, "tags": [] }),
                json!({ "id": "prod_2", "name": "Teapot", "brand": { "name": "Acme" },
                        "supplier": { "name": "Beech" }, "tags": [{ "name": "gift" }] }),
            ]
        );
        // Two links deep, filtered through a link, in JSON.
        let shelves = same_as_unscoped(
            conn,
            &store,
            Graph::from_json(json!({
                "entity": "brand",
                "fields": ["name", "products.name", "products.tags.name"],
                "filters": { "products": { "tags": { "name": "gift" } } },
                "pagination": { "take": 100, "order": { "name": "ASC" } },
            }))
            .unwrap(),
        );
        assert_eq!(
            shelves.data,
            [json!({ "name": "Acme", "products": [
                { "name": "Teapot", "tags": [{ "name": "gift" }] },
                { "name": "Kettle", "tags": [{ "name": "gift" }, { "name": "kitchen" }] },
            ] })]
        );
        // A filter and an order on fields the scope lets through, in `$or`.
        same_as_unscoped(
            conn,
            &store,
            Graph::from_json(json!({
                "entity": "product",
                "fields": ["id"],
                "filters": { "$or": [{ "name": "Whisk" }, { "brand": { "name": "Acme" } }] },
                "pagination": { "order": [{ "brand.id": "DESC" }, { "id": "ASC" }] },
            }))
            .unwrap(),
        );
        // Under `Scope::all`, anything runs as it runs without one.
        same_as_unscoped(
            conn,
            &Scope::all(),
            Graph::entity("wishlist")
                .fields(["*", "customer.*"])
                .with_deleted(),
        );
    }

    fn star_reads_only_the_fields_in_the_scope(conn) {
        catalog(conn);
        let statements = Statements::record(conn);
        let store = store();
        let tags = via::graph_scoped(conn, &store, Graph::entity("product")
            .fields(["id", "tags", "supplier.*"])
            .filter("id", "prod_1"))
        .unwrap();
        assert_eq!(
            tags.data,
            [json!({ "id": "prod_1", "tags": [{ "name": "gift" }, { "name": "kitchen" }],
                     "supplier": { "name": "Alder" } })]
        );
        // Without fields, a query reads its entity's fields in the scope; `*` too.
        let plain = Scope::new().entity("tag", Fields::only(["name"]));
        for graph in [Graph::entity("tag"), Graph::entity("tag").fields(["*"])] {
            let read = via::graph_scoped(conn, &plain, graph.order("name", Order::Asc)).unwrap();
            assert_eq!(
                read.data,
                [json!({ "name": "gift" }), json!({ "name": "kitchen" }), json!({ "name": "sale" })]
            );
        }
        // Named, a field outside the scope is refused.
        let id = forbidden(conn, &statements, &plain, Graph::entity("tag").fields(["*", "id"]));
        assert_eq!(refusal(&id), (Some("id"), Refusal::Field));
        // A scope that lets no field of an entity through still lets its links be followed.
        let linked = Scope::new()
            .entity("product", Fields::only(Vec::<String>::new()))
            .entity("brand", Fields::only(["name"]))
            .link("product", "brand");
        let read = via::graph_scoped(
            conn,
            &linked,
            Graph::entity("product").fields(["*", "brand"]).filter("brand.name", "Birch"),
        )
        .unwrap();
        assert_eq!(read.data, [json!({ "brand": { "name": "Birch" } })]);
        // Nor any link: each row is an empty object, and the rows are counted.
        let nothing = via::graph_scoped(conn, &linked, Graph::entity("product").fields(["*"]))
            .unwrap();
        assert_eq!(nothing.data, vec![json!({}); 4]);
        assert_eq!(nothing.metadata.count, 4);
    }

    fn filters_and_orders_are_fields_too(conn) {
        catalog(conn);
        let statements = Statements::record(conn);
        let store = store();
        // (query, the path refused, why)
        let cases: Vec<(Value, &str, Refusal)> = vec![
            (json!({ "entity": "product", "filters": { "supplier": { "deleted_at": null } } }),
             "supplier.deleted_at", Refusal::Field),
            (json!({ "entity": "product", "filters": { "tags": { "id": "tag_1" } } }),
             "tags.id", Refusal::Field),
            (json!({ "entity": "brand", "filters": { "supplier": { "name": "Alder" } } }),
             "supplier", Refusal::Link),
            (json!({ "entity": "product", "filters": { "$or": [
                { "name": "Kettle" },
                { "brand": { "supplier": { "name": "Alder" } } },
             ] } }),
             "brand.supplier", Refusal::Link),
            (json!({ "entity": "product", "filters": { "$and": [
                { "brand": { "name": "Acme" } },
                { "brand": { "country": "NZ" } },
             ] } }),
             "brand.country", Refusal::Field),
            (json!({ "entity": "product", "filters": { "cost": { "$gt": 3 } } }),
             "cost", Refusal::Field),
            (json!({ "entity": "product", "pagination": { "order": { "supplier.deleted_at": "ASC" } } }),
             "supplier.deleted_at", Refusal::Field),
            (json!({ "entity": "brand", "pagination": { "order": { "supplier.name": "ASC" } } }),
             "supplier", Refusal::Link),
            (json!({ "entity": "tag", "pagination": { "order": { "id": "DESC" } } }),
             "id", Refusal::Field),
            // The fields are checked first, then the filters, then the order.
            (json!({ "entity": "product", "fields": ["tags.id"],
                     "filters": { "cost": 1 }, "pagination": { "order": { "price": "ASC" } } }),
             "tags.id", Refusal::Field),
            (json!({ "entity": "product", "filters": { "cost": 1 },
                     "pagination": { "order": { "price": "ASC" } } }),
             "cost", Refusal::Field),
        ];
        for (query, path, reason) in cases {
            let shown = query.to_string();
            let error = forbidden(conn, &statements, &store, Graph::from_json(query).unwrap());
            assert_eq!(refusal(&error), (Some(path), reason), "{shown}");
        }
        // Each of them runs without a scope, or fails on its own names, not on a scope.
        let open = via::graph(
            conn,
            Graph::entity("product").fields(["id"]).filter("supplier.deleted_at", json!(null)),
        )
        .unwrap();
        assert_eq!(open.data.len(), 3);
    }

    fn paths_deeper_than_the_scope_allows_are_refused(conn) {
        catalog(conn);
        let statements = Statements::record(conn);
        let store = store();
        // Two links: allowed.
        same_as_unscoped(
            conn,
            &store,
            Graph::entity("brand").fields(["name", "products.tags.name"]),
        );
        // Three, in fields, filters and through the pivot rows of an order's link alike.
        let deep = forbidden(
            conn,
            &statements,
            &store,
            Graph::entity("brand").fields(["products.brand.products.name"]),
        );
        assert_eq!(refusal(&deep), (Some("products.brand.products"), Refusal::Depth { max: 2 }));
        assert_eq!(
            deep.to_string(),
            "the scope refuses `products.brand.products` of `brand`: deeper than 2"
        );
        let filtered = forbidden(
            conn,
            &statements,
            &store,
            Graph::entity("product").filter("brand.products.brand.name", "Acme"),
        );
        assert_eq!(
            refusal(&filtered),
            (Some("brand.products.brand"), Refusal::Depth { max: 2 })
        );
        // No link at all.
        let flat = store.clone().max_depth(0);
        let one = forbidden(conn, &statements, &flat, Graph::entity("product").fields(["brand.name"]));
        assert_eq!(refusal(&one), (Some("brand"), Refusal::Depth { max: 0 }));
        let ordered = forbidden(
            conn,
            &statements,
            &flat,
            Graph::entity("product").order("brand.name", Order::Asc),
        );
        assert_eq!(refusal(&ordered), (Some("brand"), Refusal::Depth { max: 0 }));
        same_as_unscoped(conn, &flat, Graph::entity("product").fields(["id", "name"]));
    }

    fn the_page_size_is_capped(conn) {
        catalog(conn);
        let statements = Statements::record(conn);
        let store = store();
        let over = forbidden(conn, &statements, &store, Graph::entity("product").take(101));
        assert_eq!(refusal(&over), (None, Refusal::Take { asked: 101, max: 100 }));
        let json = Graph::from_json(json!({ "entity": "product", "pagination": { "take": 500 } }))
            .unwrap();
        assert_eq!(
            forbidden(conn, &statements, &store, json).to_string(),
            "the scope refuses `product`: take 500 over 100"
        );
        let at_most = via::graph_scoped(conn, &store, Graph::entity("product").take(100)).unwrap();
        assert_eq!((at_most.data.len(), at_most.metadata.take), (4, Some(100)));

        // Without `take`, a query reads a page of `max_take` rows, and counts them all.
        let small = store.clone().max_take(2);
        let page = via::graph_scoped(
            conn,
            &small,
            Graph::entity("product").fields(["id"]).skip(1),
        )
        .unwrap();
        assert_eq!(page.data, [json!({ "id": "prod_2" }), json!({ "id": "prod_3" })]);
        assert_eq!((page.metadata.count, page.metadata.take), (4, Some(2)));
        assert_eq!(
            page.data,
            via::graph(conn, Graph::entity("product").fields(["id"]).skip(1).take(2))
                .unwrap()
                .data
        );
    }

    fn with_deleted_is_refused_unless_the_scope_allows_it(conn) {
        catalog(conn);
        let statements = Statements::record(conn);
        let store = store();
        let asked = Graph::entity("product").fields(["id", "brand.name"]).with_deleted();
        let error = forbidden(conn, &statements, &store, asked.clone());
        assert_eq!(refusal(&error), (None, Refusal::WithDeleted));
        assert_eq!(error.to_string(), "the scope refuses `product`: with_deleted not allowed");
        for key in ["with_deleted", "withDeleted"] {
            let mut query = json!({ "entity": "product" });
            query[key] = json!(true);
            let error = forbidden(conn, &statements, &store, Graph::from_json(query.clone()).unwrap());
            assert_eq!(refusal(&error), (None, Refusal::WithDeleted));
            query[key] = json!(false);
            assert!(via::graph_scoped(conn, &store, Graph::from_json(query).unwrap()).is_ok());
        }
        // Allowed, it reads the dismissed link of prod_4 as it does without a scope.
        let audit = store.clone().allow_with_deleted();
        let read = same_as_unscoped(conn, &audit, asked);
        assert_eq!(read.data[3], json!({ "id": "prod_4", "brand": { "name": "Birch" } }));
    }

    fn typed_queries_are_held_to_the_scope(conn) {
        catalog(conn);
        let statements = Statements::record(conn);
        let store = store();
        let error = forbidden(conn, &statements, &store, AuditedProduct::graph().into_graph());
        assert_eq!(refusal(&error), (Some("supplier.deleted_at"), Refusal::Field));
        let typed = via::graph_scoped(conn, &store, AuditedProduct::graph()).unwrap_err();
        assert_eq!(typed.to_string(), error.to_string());
        assert_eq!(
            statements.take(),
            Vec::<String>::new(),
            "a refused typed query runs no statement"
        );

        // A typed filter on a linked field outside the scope.
        let filtered = via::graph_scoped(
            conn,
            &store,
            StoreCard::graph().filter_linked::<Supplier, _>(|supplier| supplier.deleted_at.is_null()),
        )
        .unwrap_err();
        assert_eq!(refusal(&filtered), (Some("supplier.deleted_at"), Refusal::Field));
        assert_eq!(statements.take(), Vec::<String>::new());

        // Inside the scope, a typed query reads what it reads without one.
        let graph = || {
            StoreCard::graph()
                .filter(|product| product.name.ne("Whisk"))
                .order(|product| product.name.asc())
        };
        let scoped = via::graph_scoped(conn, &store, graph()).unwrap();
        let plain = via::graph(conn, graph()).unwrap();
        assert_eq!(scoped.data, plain.data);
        assert_eq!(scoped.metadata.take, Some(100));
        assert_eq!(
            scoped.data.iter().map(|card| card.name.as_str()).collect::<Vec<_>>(),
            ["Kettle", "Teapot", "Toaster"]
        );
        assert_eq!(
            scoped.data[0],
            StoreCard {
                id: "prod_1".into(),
                name: "Kettle".into(),
                brand: Some(BrandName { name: "Acme".into() }),
                tags: vec![TagName { name: "gift".into() }, TagName { name: "kitchen".into() }],
            }
        );
    }

    fn random_queries_run_as_without_a_scope_or_are_refused_before_any_sql(conn) {
        property_scoped_or_refused(conn);
    }
}

/// Across databases, the query is checked as on one connection: refused before any
/// database is asked for a connection, and allowed queries read the same rows.
#[test]
fn a_scope_holds_across_databases() {
    let mut conn = link_test_support::sqlite();
    catalog(&mut conn);
    let statements = Statements::record(&mut conn);
    let database = Database::from_connection(conn);
    let databases: Databases<SqliteConnection> = Databases::new(&database);
    let store = store();

    let refused = Query::across(&databases)
        .scope(&store)
        .graph(Graph::entity("product").fields(["brand.supplier.name"]))
        .unwrap_err();
    assert_eq!(refusal(&refused), (Some("brand.supplier"), Refusal::Link));
    assert_eq!(statements.take(), Vec::<String>::new());

    let graph = Graph::entity("brand")
        .fields(["name", "products.name"])
        .take(2);
    let scoped = Query::across(&databases)
        .scope(&store)
        .graph(graph.clone())
        .unwrap();
    let plain = Query::across(&databases).graph(graph).unwrap();
    assert_eq!(scoped, plain);
    assert_eq!(scoped.data.len(), 2);
}

#[test]
fn a_query_shows_its_scope() {
    let mut conn = link_test_support::sqlite();
    let store = Scope::new().entity("brand", Fields::all());
    let shown = format!("{:?}", Query::new(&mut conn).scope(&store));
    assert!(
        shown.starts_with("Query(one connection, Scope {"),
        "{shown}"
    );
    assert_eq!(
        format!("{:?}", Query::new(&mut conn)),
        "Query(one connection)"
    );
}

// ---------------------------------------------------------------------------------------
// Property: a query under a random scope runs exactly as without one, or is refused with
// no statement run, at a name a model of the fixture registry says is outside the scope.

/// The fixture registry's models: fields, and link fields with the model each leads to.
fn model(entity: &str) -> Option<Model> {
    let model: Model = match entity {
        "product" => (
            &["id", "name"],
            &[
                ("brand", "brand"),
                ("supplier", "supplier"),
                ("tags", "tag"),
            ],
        ),
        "brand" => (
            &["id", "name"],
            &[("products", "product"), ("supplier", "supplier")],
        ),
        "supplier" => (
            &["id", "name", "deleted_at"],
            &[("products", "product"), ("brands", "brand")],
        ),
        "tag" => (&["id", "name"], &[("products", "product")]),
        "customer" => (&["id", "name"], &[("wishlist", "wishlist")]),
        "wishlist" => (&["id", "name"], &[("customer", "customer")]),
        _ => return None,
    };
    Some(model)
}

/// A model's fields, and its link fields with the model each leads to.
type Model = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

const MODELS: [&str; 6] = [
    "product", "brand", "supplier", "tag", "customer", "wishlist",
];

/// Every name a path may hold: the models' fields and link fields, and names of nothing.
const NAMES: [&str; 14] = [
    "id",
    "name",
    "deleted_at",
    "brand",
    "brands",
    "supplier",
    "tags",
    "products",
    "customer",
    "wishlist",
    "wishlists",
    "email",
    "cost",
    "*",
];

/// What the model says of one path under a scope.
#[derive(Debug, PartialEq)]
enum Verdict {
    Allowed,
    /// Refused at this prefix of the path.
    Refused(String, Refusal),
    /// A field the path goes on from: malformed, once the scope lets the field through.
    Malformed,
    /// A name the registry lacks that the scope names: the registry's error.
    Unknown,
}

/// The verdict of `path` from `root`, walked as the scope's documentation says.
fn verdict(scope: &Scope, root: &str, path: &str) -> Verdict {
    let segments: Vec<&str> = path.split('.').collect();
    let mut entity = root.to_owned();
    for (i, segment) in segments.iter().enumerate() {
        let prefix = segments[..=i].join(".");
        let last = i + 1 == segments.len();
        if *segment == "*" {
            return if last {
                Verdict::Allowed
            } else {
                Verdict::Malformed
            };
        }
        let (fields, links) = model(&entity).expect("only models are walked");
        if fields.contains(segment) {
            if !scope.allows_field(&entity, segment) {
                let reason = if last { Refusal::Field } else { Refusal::Link };
                return Verdict::Refused(prefix, reason);
            }
            if !last {
                return Verdict::Malformed;
            }
            return Verdict::Allowed;
        }
        let Some((_, target)) = links.iter().find(|(name, _)| name == segment) else {
            // Named by the scope: under `Scope::all` (which lets an entity no model has
            // through), or in a list of fields (which `allows_field` tells from every field
            // by a name no model has).
            let nothing = "\u{1}";
            let named = scope.allows_entity(nothing)
                || (scope.allows_field(&entity, segment) && !scope.allows_field(&entity, nothing));
            if named {
                return Verdict::Unknown;
            }
            let reason = if last { Refusal::Field } else { Refusal::Link };
            return Verdict::Refused(prefix, reason);
        };
        if !scope.allows_link(&entity, segment) {
            let reason = if last { Refusal::Field } else { Refusal::Link };
            return Verdict::Refused(prefix, reason);
        }
        if let Some(max) = scope.depth_limit() {
            if i + 1 > max {
                return Verdict::Refused(prefix, Refusal::Depth { max });
            }
        }
        if !scope.allows_entity(target) {
            return Verdict::Refused(prefix, Refusal::Entity);
        }
        entity = (*target).to_owned();
    }
    Verdict::Allowed
}

/// A random scope over the fixture models.
fn scopes() -> impl Strategy<Value = Scope> {
    let entity = (
        prop_oneof![1 => Just(false), 3 => Just(true)],
        prop_oneof![
            Just(None),
            subsequence(vec!["id", "name", "deleted_at"], 0..=3).prop_map(Some)
        ],
    );
    let links: Vec<(&str, &str)> = MODELS
        .iter()
        .flat_map(|entity| {
            model(entity)
                .unwrap()
                .1
                .iter()
                .map(move |(link, _)| (*entity, *link))
        })
        .collect();
    let count = links.len();
    (
        vec(entity, MODELS.len()),
        subsequence(links, 0..=count),
        prop_oneof![Just(None), (0usize..=3).prop_map(Some)],
        prop_oneof![Just(None), (1u64..=5).prop_map(Some)],
        any::<bool>(),
        0u8..20,
    )
        .prop_map(|(entities, links, depth, take, with_deleted, all)| {
            let mut scope = if all == 0 { Scope::all() } else { Scope::new() };
            for (model, (listed, fields)) in MODELS.iter().zip(entities) {
                if listed {
                    let fields = fields.map_or_else(Fields::all, Fields::only);
                    scope = scope.entity(*model, fields);
                }
            }
            for (entity, link) in links {
                scope = scope.link(entity, link);
            }
            if let Some(depth) = depth {
                scope = scope.max_depth(depth);
            }
            if let Some(take) = take {
                scope = scope.max_take(take);
            }
            if with_deleted {
                scope = scope.allow_with_deleted();
            }
            scope
        })
}

/// A random query of fields over the fixture's names.
#[derive(Debug, Clone)]
struct Asked {
    root: &'static str,
    paths: Vec<String>,
    take: Option<u64>,
    with_deleted: bool,
}

fn queries() -> impl Strategy<Value = Asked> {
    select(&MODELS[..]).prop_flat_map(|root| {
        // Mostly paths the registry has, walked from the root; some of any names.
        let path = prop_oneof![
            3 => vec(any::<usize>(), 1..=4).prop_map(move |choices| walk(root, &choices)),
            1 => vec(select(&NAMES[..]), 1..=4).prop_map(|names| names.join(".")),
        ];
        (
            vec(path, 0..=3),
            prop_oneof![Just(None), (1u64..=6).prop_map(Some)],
            prop_oneof![4 => Just(false), 1 => Just(true)],
        )
            .prop_map(move |(paths, take, with_deleted)| Asked {
                root,
                paths,
                take,
                with_deleted,
            })
    })
}

/// A path the registry has: from `root`, each choice picks a field, `*` or a link of the
/// model reached, until a field or `*` ends it (or the choices run out, on a link).
fn walk(root: &str, choices: &[usize]) -> String {
    let mut entity = root;
    let mut names = Vec::new();
    for choice in choices {
        let (fields, links) = model(entity).expect("a model");
        let options = fields.len() + 1 + links.len();
        match choice % options {
            i if i < fields.len() => {
                names.push(fields[i]);
                break;
            }
            i if i == fields.len() => {
                names.push("*");
                break;
            }
            i => {
                let (link, target) = links[i - fields.len() - 1];
                names.push(link);
                entity = target;
            }
        }
    }
    names.join(".")
}

impl Asked {
    fn graph(&self) -> Graph {
        let mut graph = Graph::entity(self.root).fields(self.paths.clone());
        if let Some(take) = self.take {
            graph = graph.take(take);
        }
        if self.with_deleted {
            graph = graph.with_deleted();
        }
        graph
    }
}

fn property_scoped_or_refused<C: Store>(conn: &mut C) {
    catalog(conn);
    let statements = Statements::record(conn);
    let conn = RefCell::new(conn);
    let outcomes: RefCell<BTreeMap<&'static str, u32>> = RefCell::default();
    let config = Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    };
    let result = TestRunner::new(config).run(&(scopes(), queries()), |(scope, asked)| {
        let conn = &mut **conn.borrow_mut();
        statements.take();
        let scoped = via::graph_scoped(conn, &scope, asked.graph());
        let ran = statements.take();

        // What the model says: the query-wide refusals first, then each path's.
        let query_wide = if !scope.allows_entity(asked.root) {
            Some(Refusal::Entity)
        } else if asked.with_deleted && !scope.allows_with_deleted() {
            Some(Refusal::WithDeleted)
        } else {
            match (asked.take, scope.take_limit()) {
                (Some(asked), Some(max)) if asked > max => Some(Refusal::Take { asked, max }),
                _ => None,
            }
        };
        let verdicts: Vec<Verdict> = asked
            .paths
            .iter()
            .map(|path| verdict(&scope, asked.root, path))
            .collect();
        let refused: Vec<(&str, Refusal)> = verdicts
            .iter()
            .filter_map(|verdict| match verdict {
                Verdict::Refused(prefix, reason) => Some((prefix.as_str(), *reason)),
                _ => None,
            })
            .collect();
        let malformed = verdicts.contains(&Verdict::Malformed);
        let unknown = verdicts.contains(&Verdict::Unknown);

        match scoped {
            Ok(result) => {
                prop_assert!(
                    query_wide.is_none() && refused.is_empty() && !malformed && !unknown,
                    "ran, but the model refuses it: {verdicts:?} {query_wide:?}"
                );
                // It reads what the same query reads without the scope, with the scope's
                // page when it asked for none.
                let mut plain = asked.graph();
                if let (None, Some(max)) = (asked.take, scope.take_limit()) {
                    plain = plain.take(max);
                }
                let plain = via::graph(conn, plain).expect("it runs without a scope");
                // `*` reads the fields in the scope only: compare those the scope shows.
                prop_assert_eq!(result.data.len(), plain.data.len());
                prop_assert_eq!(result.metadata, plain.metadata);
                for (scoped_row, plain_row) in result.data.iter().zip(&plain.data) {
                    prop_assert!(
                        within(scoped_row, plain_row),
                        "{scoped_row} is not within {plain_row}"
                    );
                }
                statements.take();
                *outcomes.borrow_mut().entry("ran").or_default() += 1;
            }
            Err(Error::Forbidden { field, reason, .. }) => {
                prop_assert_eq!(
                    &ran,
                    &Vec::<String>::new(),
                    "a refused query ran statements"
                );
                match (query_wide, field.as_deref()) {
                    (Some(expected), None) => prop_assert_eq!(reason, expected),
                    (None, Some(field)) => prop_assert!(
                        refused.contains(&(field, reason)),
                        "refused at {field} ({reason}), the model refuses {refused:?}"
                    ),
                    other => prop_assert!(false, "{other:?}, the model: {refused:?}"),
                }
                *outcomes.borrow_mut().entry("refused").or_default() += 1;
            }
            Err(Error::MalformedQuery { .. }) => {
                prop_assert!(malformed, "malformed, but the model says {verdicts:?}");
                prop_assert_eq!(&ran, &Vec::<String>::new());
                *outcomes.borrow_mut().entry("malformed").or_default() += 1;
            }
            Err(Error::UnknownField { .. }) => {
                prop_assert!(unknown, "unknown, but the model says {verdicts:?}");
                prop_assert_eq!(&ran, &Vec::<String>::new());
                *outcomes.borrow_mut().entry("unknown").or_default() += 1;
            }
            Err(other) => prop_assert!(false, "{other:?}"),
        }
        Ok::<(), TestCaseError>(())
    });
    if let Err(error) = result {
        panic!("scope property: {error}");
    }
    let outcomes = outcomes.into_inner();
    println!("scope property: {outcomes:?}");
    // The property saw queries run and queries refused: it is not vacuous. (Malformed and
    // unknown names are rarer, a few cases in 256.)
    for outcome in ["ran", "refused"] {
        assert!(
            outcomes.get(outcome).copied().unwrap_or(0) > 0,
            "no case {outcome}: {outcomes:?}"
        );
    }
}

/// Whether every field of `scoped` holds what `plain` holds there, links recursively:
/// `*` under a scope reads fewer fields than without one, never other values.
fn within(scoped: &Value, plain: &Value) -> bool {
    match (scoped, plain) {
        (Value::Object(scoped), Value::Object(plain)) => scoped
            .iter()
            .all(|(key, value)| plain.get(key).is_some_and(|other| within(value, other))),
        (Value::Array(scoped), Value::Array(plain)) => {
            scoped.len() == plain.len() && scoped.iter().zip(plain).all(|(a, b)| within(a, b))
        }
        (scoped, plain) => scoped == plain,
    }
}
