//! Graph queries over the fixture modules, on SQLite and PostgreSQL: both directions of a
//! link, nesting, dismissed links and soft-deleted records, pages and orders, filters by
//! value, list, range and pattern (through one and two links), the JSON form, a link's
//! table as an entity with its typed extra columns, bad names and values, and typed
//! queries.

use diesel::connection::SimpleConnection;
use link_runtime::graph::{Condition, Filter, Graph, GraphResult, GraphSelect, Order};
use link_runtime::{ColumnKind, Error, ErrorKind, LinkConnection, Linkable};
use link_test_support::{via, TestSql};
use link_tests::links::{product_supplier, product_tag};
use link_tests::modules::brand::Brand;
use link_tests::modules::supplier::{Store, Supplier};
use link_tests::modules::{product::Product, tag::Tag};
use serde::Deserialize;
use serde_json::{json, Value};

use link_tests::fixtures::{catalog, setup};

fn graph(conn: &mut impl LinkConnection, graph: Graph) -> GraphResult<Value> {
    via::graph(conn, graph).expect("the query runs")
}

/// The error a query is refused with.
fn refused(conn: &mut impl LinkConnection, graph: Graph) -> Error {
    via::graph(conn, graph).expect_err("the query is refused")
}

/// An error's variant and message, to compare whole.
fn described(error: &Error) -> (&'static str, String) {
    let kind = match error {
        Error::UnknownEntity { .. } => "UnknownEntity",
        Error::UnknownField { .. } => "UnknownField",
        Error::InvalidFilter { .. } => "InvalidFilter",
        Error::InvalidOrder { .. } => "InvalidOrder",
        Error::MalformedQuery { .. } => "MalformedQuery",
        Error::Deserialize { .. } => "Deserialize",
        other => panic!("not a graph query's error: {other:?}"),
    };
    (kind, error.to_string())
}

/// A paged answer as JSON, its `next_cursor` (whose text is not the point here: the
/// keyset suite reads it) replaced by `true` when rows follow the page.
fn paged(answer: GraphResult<Value>) -> Value {
    let mut answer = serde_json::to_value(answer).unwrap();
    let metadata = answer["metadata"].as_object_mut().expect("the metadata");
    let cursor = metadata
        .remove("next_cursor")
        .expect("a page has a next_cursor");
    if let Value::String(cursor) = &cursor {
        assert!(!cursor.is_empty());
        metadata.insert("next_cursor".into(), Value::Bool(true));
    } else {
        assert_eq!(cursor, Value::Null);
        metadata.insert("next_cursor".into(), Value::Null);
    }
    answer
}

/// Rows of only an `id`, as a query of `fields(["id"])` returns them.
fn ids(ids: &[&str]) -> Vec<Value> {
    ids.iter().map(|id| json!({ "id": id })).collect()
}

/// Pivot rows of `product_tags` as `fields(["product_id", "tag_id"])` returns them.
fn pairs(pairs: &[(&str, &str)]) -> Vec<Value> {
    pairs
        .iter()
        .map(|(product, tag)| json!({ "product_id": product, "tag_id": tag }))
        .collect()
}

/// Every entity the fixture crate registers, as an unknown entity's error lists them.
const KNOWN_ENTITIES: &str = "brand, customer, product, supplier, tag, wishlist, \
     customer_customer_wishlist_wishlist, product_product_brand_brand, \
     product_product_supplier_supplier, product_tags, supplier_supplier_brand_brand";

/// A product as a storefront card: its brand, its supplier and its tags.
#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Product)]
struct ProductCard {
    id: String,
    name: String,
    #[graph(link)]
    brand: Option<BrandName>,
    #[graph(link)]
    supplier: Option<SupplierLine>,
    #[graph(link)]
    tags: Vec<TagName>,
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Brand)]
struct BrandName {
    name: String,
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Supplier)]
struct SupplierLine {
    name: String,
    /// The timestamp as the query reads it (chrono's ISO form).
    deleted_at: Option<String>,
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Tag)]
struct TagName {
    name: String,
}

/// A brand with its products and their tags: two levels of lists.
#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Brand)]
struct BrandShelf {
    name: String,
    #[graph(link)]
    products: Vec<ShelfProduct>,
    #[graph(link)]
    supplier: Option<SupplierLine>,
}

#[derive(Debug, PartialEq, Deserialize, GraphSelect)]
#[graph(entity = Product)]
struct ShelfProduct {
    name: String,
    #[graph(link)]
    tags: Vec<TagName>,
}

/// A brand's name read as a number: every row fails to deserialize.
#[derive(Debug, Deserialize, GraphSelect)]
#[graph(entity = Brand)]
struct Misread {
    #[allow(dead_code, reason = "never read: deserializing fails")]
    name: i64,
}

/// A [`ProductCard`] whose supplier, if any, is live.
fn card(
    id: &str,
    name: &str,
    brand: Option<&str>,
    supplier: Option<&str>,
    tags: &[&str],
) -> ProductCard {
    ProductCard {
        id: id.to_owned(),
        name: name.to_owned(),
        brand: brand.map(|name| BrandName {
            name: name.to_owned(),
        }),
        supplier: supplier.map(|name| SupplierLine {
            name: name.to_owned(),
            deleted_at: None,
        }),
        tags: tags
            .iter()
            .map(|name| TagName {
                name: (*name).to_owned(),
            })
            .collect(),
    }
}

#[test]
fn the_derive_describes_a_model_as_an_entity() {
    let entity = Supplier::ENTITY;
    assert_eq!(
        (
            entity.module,
            entity.model,
            entity.table,
            entity.primary_key
        ),
        ("supplier", "supplier", "supplier", "id")
    );
    let deleted_at = entity.field("deleted_at").unwrap();
    assert_eq!(
        (deleted_at.kind, deleted_at.nullable),
        (Some(ColumnKind::Timestamp), true)
    );
    let name = entity.field("name").unwrap();
    assert_eq!((name.kind, name.nullable), (Some(ColumnKind::Text), false));
}

link_test_support::backend_tests! {
    drivers;

    fn records_asked_for_by_id_or_linked_to_must_be_found_when_the_query_says_so(conn) {
        catalog(conn);
        let by_ids = || {
            Graph::entity("product")
                .fields(["id"])
                .filter("id", ["prod_1", "prod_9", "prod_8"])
        };
        assert_eq!(graph(conn, by_ids()).data, ids(&["prod_1"]));
        let error = refused(conn, by_ids().fail_if_key_not_found());
        assert!(
            matches!(&error, Error::NotFound { entity, ids, field: None }
                if entity == "product" && ids == &["prod_9", "prod_8"]),
            "{error:?}"
        );
        assert_eq!(error.to_string(), "not found: product `prod_9`, `prod_8`");
        assert_eq!(error.kind(), ErrorKind::NotFound);
        // An id the query's other filters refuse is not found either.
        let other = Graph::entity("product")
            .filter("id", "prod_1")
            .filter("name", "Teapot")
            .fail_if_key_not_found();
        assert_eq!(refused(conn, other).to_string(), "not found: product `prod_1`");
        // Every id found: the rows, as without.
        let found = Graph::entity("product")
            .fields(["id"])
            .filter("id", ["prod_2", "prod_1"])
            .order("id", Order::Asc)
            .fail_if_key_not_found();
        assert_eq!(graph(conn, found).data, ids(&["prod_1", "prod_2"]));
        // Without ids to find, the option is a mistake.
        assert_eq!(
            described(&refused(conn, Graph::entity("product").fail_if_key_not_found())),
            (
                "MalformedQuery",
                "malformed graph query: `fail_if_key_not_found` needs a filter on `product`'s \
                 primary key, `id`, at the top level: a value or a list"
                    .to_owned()
            )
        );

        // prod_4's supplier, sup_c, is soft-deleted; prod_4 is linked to brand_9, which
        // no brand module holds.
        link_runtime::create(conn, Product::id("prod_4"), Brand::id("brand_9")).unwrap();
        let linked = || {
            Graph::entity("product")
                .fields(["id", "brand.name", "supplier.name"])
                .order("id", Order::Asc)
        };
        let rows = graph(conn, linked()).data;
        assert_eq!(rows[3], json!({ "id": "prod_4", "brand": null, "supplier": null }));
        let error = refused(conn, linked().fail_if_relation_not_found());
        assert!(
            matches!(&error, Error::NotFound { entity, ids, field: Some(field) }
                if ids == &["brand_9"] && entity == "brand" && field == "brand"),
            "{error:?}"
        );
        assert_eq!(error.to_string(), "not found: brand `brand_9`, linked as `brand`");
        let error = refused(conn, linked().fail_if_relation_not_found_in(["supplier"]));
        assert_eq!(error.to_string(), "not found: supplier `sup_c`, linked as `supplier`");
        // With deleted records asked for, sup_c is found.
        let error = refused(conn, linked().with_deleted().fail_if_relation_not_found());
        assert_eq!(error.to_string(), "not found: brand `brand_9`, linked as `brand`");
        let json = Graph::from_json(json!({
            "entity": "product",
            "fields": ["id", "brand.name", "supplier.name"],
            "with_deleted": true,
            "options": { "throwIfRelationNotFound": ["supplier"], "fail_if_key_not_found": true },
            "filters": { "id": ["prod_4", "prod_3"] },
            "pagination": { "order": { "id": "ASC" } },
        }))
        .unwrap();
        assert_eq!(
            graph(conn, json).data,
            [
                json!({ "id": "prod_3", "brand": { "name": "Birch" }, "supplier": { "name": "Alder" } }),
                // With deleted links asked for, its live link still counts before its
                // dismissed link to Birch, and brand_9 is no record: no brand.
                json!({ "id": "prod_4", "brand": null, "supplier": { "name": "Cherry" } }),
            ]
        );
        // A path the fields do not follow is a mistake.
        assert_eq!(
            described(&refused(conn, linked().fail_if_relation_not_found_in(["tags"]))),
            (
                "MalformedQuery",
                "malformed graph query: `fail_if_relation_not_found` names `tags`, a link the \
                 query's fields do not follow"
                    .to_owned()
            )
        );
    }

    fn soft_deleted_records_are_hidden_unless_asked_for(conn) {
        setup(conn);
        conn.add_supplier("sup_a", "Alder & Co").unwrap();
        conn.add_supplier("sup_b", "Birch Ltd").unwrap();
        product_supplier::Link::create(conn, Product::id("prod_1"), Supplier::id("sup_a"))
            .unwrap();
        product_supplier::Link::create(conn, Product::id("prod_2"), Supplier::id("sup_b"))
            .unwrap();
        conn.batch_execute("UPDATE supplier SET deleted_at = '2026-01-02 03:04:05' WHERE id = 'sup_b'")
            .unwrap();

        let live = graph(conn, Graph::entity("supplier").fields(["id"]));
        assert_eq!(live.data, [json!({ "id": "sup_a" })]);
        let all = graph(
            conn,
            Graph::entity("supplier")
                .fields(["id", "deleted_at"])
                .order("id", Order::Asc)
                .with_deleted(),
        );
        assert_eq!(
            all.data,
            [
                json!({ "id": "sup_a", "deleted_at": null }),
                json!({ "id": "sup_b", "deleted_at": "2026-01-02T03:04:05" }),
            ]
        );

        // A linked record that is soft-deleted is left out too: a one side shows null.
        let products = || {
            Graph::entity("product")
                .fields(["id", "supplier.name"])
                .order("id", Order::Asc)
        };
        assert_eq!(
            graph(conn, products()).data,
            [
                json!({ "id": "prod_1", "supplier": { "name": "Alder & Co" } }),
                json!({ "id": "prod_2", "supplier": null }),
            ]
        );
        assert_eq!(
            graph(conn, products().with_deleted()).data[1],
            json!({ "id": "prod_2", "supplier": { "name": "Birch Ltd" } })
        );

        // And it does not match a filter through the link.
        let by_birch = || {
            Graph::entity("product")
                .fields(["id"])
                .filter("supplier.name", "Birch Ltd")
        };
        assert!(graph(conn, by_birch()).data.is_empty());
        assert_eq!(
            graph(conn, by_birch().with_deleted()).data,
            [json!({ "id": "prod_2" })]
        );
    }

    fn extra_columns_are_read_and_filtered_with_their_types(conn) {
        setup(conn);
        for (tag, featured, position, note) in [
            ("tag_1", true, 2, Some("front page")),
            ("tag_2", false, 7, None),
            ("tag_3", true, 5, None),
        ] {
            product_tag::Link::create_with(
                conn,
                Product::id("prod_1"),
                Tag::id(tag),
                product_tag::Columns {
                    featured,
                    position,
                    note: note.map(str::to_owned),
                    ..Default::default()
                },
            )
            .unwrap();
        }

        let featured = graph(
            conn,
            Graph::entity("product_tags")
                .fields([
                    "tag_id", "featured", "position", "weight", "label", "note", "tag.name",
                ])
                .filter("featured", true)
                .order("position", Order::Desc),
        );
        assert_eq!(
            featured.data,
            [
                json!({ "tag_id": "tag_3", "featured": true, "position": 5, "weight": 1.5,
                        "label": "new", "note": null, "tag": { "name": "sale" } }),
                json!({ "tag_id": "tag_1", "featured": true, "position": 2, "weight": 1.5,
                        "label": "new", "note": "front page", "tag": { "name": "kitchen" } }),
            ]
        );

        let later = graph(
            conn,
            Graph::entity("product_tags")
                .fields(["tag_id"])
                .filter("position", Condition::gt(4))
                .filter("note", Value::Null)
                .order("tag.name", Order::Asc),
        );
        assert_eq!(
            later.data,
            [json!({ "tag_id": "tag_2" }), json!({ "tag_id": "tag_3" })]
        );

        // From the product, the tags (a list side), in the order they were linked.
        let product = graph(
            conn,
            Graph::entity("product")
                .fields(["name", "tags.name"])
                .filter("id", "prod_1"),
        );
        assert_eq!(
            product.data,
            [json!({ "name": "Kettle",
                     "tags": [{ "name": "kitchen" }, { "name": "gift" }, { "name": "sale" }] })]
        );

        // A value of the wrong type for its column is refused before any SQL runs.
        let error = via::graph(conn, Graph::entity("product_tags").filter("featured", "yes"))
            .unwrap_err();
        assert!(
            matches!(&error, link_runtime::Error::InvalidFilter { field, .. } if field == "featured"),
            "{error}"
        );

        // From a query string, where every value is text, each is read by its field's type.
        let from_query = Graph::from_query(
            "product_tags",
            "fields=tag_id,position&featured=true&position[$gt]=1&order=-position&limit=5",
        )
        .unwrap();
        assert_eq!(
            graph(conn, from_query).data,
            [
                json!({ "tag_id": "tag_3", "position": 5 }),
                json!({ "tag_id": "tag_1", "position": 2 }),
            ]
        );
        let error = via::graph(
            conn,
            Graph::from_query("product_tags", "position=five").unwrap(),
        )
        .unwrap_err();
        assert!(
            matches!(&error, link_runtime::Error::InvalidFilter { field, reason, .. }
                if field == "position" && reason.contains("an integer")),
            "{error}"
        );
    }

    fn each_side_is_an_object_or_an_array_by_its_cardinality(conn) {
        catalog(conn);
        // A product has one brand and one supplier (objects, or null) and many tags.
        let products = graph(
            conn,
            Graph::entity("product")
                .fields(["id", "brand.*", "supplier.name", "tags.name"])
                .order("id", Order::Asc),
        );
        assert_eq!(
            serde_json::to_value(&products).unwrap(),
            json!({
                "data": [
                    { "id": "prod_1", "brand": { "id": "brand_1", "name": "Acme" },
                      "supplier": { "name": "Alder" },
                      "tags": [{ "name": "gift" }, { "name": "kitchen" }] },
                    { "id": "prod_2", "brand": { "id": "brand_1", "name": "Acme" },
                      "supplier": { "name": "Beech" }, "tags": [{ "name": "gift" }] },
                    { "id": "prod_3", "brand": { "id": "brand_2", "name": "Birch" },
                      "supplier": { "name": "Alder" }, "tags": [] },
                    { "id": "prod_4", "brand": null, "supplier": null, "tags": [] },
                ],
                "metadata": { "count": 4, "skip": 0, "take": null },
            })
        );

        // A brand has many products (in the order they were linked) and one supplier.
        let brands = graph(
            conn,
            Graph::entity("brand")
                .fields(["name", "products.id", "supplier.name"])
                .order("name", Order::Asc),
        );
        assert_eq!(
            brands.data,
            [
                json!({ "name": "Acme", "products": [{ "id": "prod_2" }, { "id": "prod_1" }],
                        "supplier": { "name": "Alder" } }),
                json!({ "name": "Birch", "products": [{ "id": "prod_3" }],
                        "supplier": { "name": "Alder" } }),
                json!({ "name": "Cedar", "products": [], "supplier": { "name": "Beech" } }),
            ]
        );

        // Many-to-many: arrays both ways.
        let tags = graph(
            conn,
            Graph::entity("tag")
                .fields(["name", "products.name"])
                .order("id", Order::Asc),
        );
        assert_eq!(
            tags.data,
            [
                json!({ "name": "kitchen", "products": [{ "name": "Kettle" }] }),
                json!({ "name": "gift", "products": [{ "name": "Kettle" }, { "name": "Teapot" }] }),
                json!({ "name": "sale", "products": [] }),
            ]
        );

        // A supplier has many products and many brands; the soft-deleted one is left out.
        let suppliers = graph(
            conn,
            Graph::entity("supplier")
                .fields(["name", "products.name", "brands.name"])
                .order("name", Order::Asc),
        );
        assert_eq!(
            suppliers.data,
            [
                json!({ "name": "Alder", "products": [{ "name": "Kettle" }, { "name": "Toaster" }],
                        "brands": [{ "name": "Acme" }, { "name": "Birch" }] }),
                json!({ "name": "Beech", "products": [{ "name": "Teapot" }],
                        "brands": [{ "name": "Cedar" }] }),
            ]
        );

        // One-to-one: objects both ways.
        let customers = graph(
            conn,
            Graph::entity("customer")
                .fields(["name", "wishlist.name"])
                .order("name", Order::Asc),
        );
        assert_eq!(
            customers.data,
            [
                json!({ "name": "Ada", "wishlist": { "name": "Birthday" } }),
                json!({ "name": "Grace", "wishlist": null }),
            ]
        );
        let wishlists = graph(
            conn,
            Graph::entity("wishlist")
                .fields(["name", "customer.*"])
                .order("name", Order::Asc),
        );
        assert_eq!(
            wishlists.data,
            [
                json!({ "name": "Birthday", "customer": { "id": "cus_1", "name": "Ada" } }),
                json!({ "name": "Holiday", "customer": null }),
            ]
        );
    }

    fn one_side_links_read_in_the_records_statement_with_gaps_in_any_place(conn) {
        catalog(conn);
        // prod_5 has a supplier and no brand; prod_6 a brand and no supplier; prod_4's
        // brand link is dismissed and its supplier soft-deleted.
        conn.batch_execute("INSERT INTO products VALUES ('prod_5', 'Sieve'), ('prod_6', 'Tray')")
            .unwrap();
        product_supplier::Link::create(conn, Product::id("prod_5"), Supplier::id("sup_b")).unwrap();
        link_runtime::create(conn, Product::id("prod_6"), Brand::id("brand_3")).unwrap();

        // Only linked fields that are not the primary key: the ids are read to find the
        // records and left out of the output.
        for fields in [["id", "brand.name", "supplier.name"], ["id", "supplier.name", "brand.name"]] {
            let rows = graph(conn, Graph::entity("product").fields(fields));
            assert_eq!(
                rows.data,
                vec![
                    json!({ "id": "prod_1", "brand": { "name": "Acme" }, "supplier": { "name": "Alder" } }),
                    json!({ "id": "prod_2", "brand": { "name": "Acme" }, "supplier": { "name": "Beech" } }),
                    json!({ "id": "prod_3", "brand": { "name": "Birch" }, "supplier": { "name": "Alder" } }),
                    json!({ "id": "prod_4", "brand": null, "supplier": null }),
                    json!({ "id": "prod_5", "brand": null, "supplier": { "name": "Beech" } }),
                    json!({ "id": "prod_6", "brand": { "name": "Cedar" }, "supplier": null }),
                ],
                "{fields:?}"
            );
        }

        // A one-side record with links of its own: the supplier's brands are a list.
        let rows = graph(
            conn,
            Graph::entity("product")
                .fields(["id", "supplier.name", "supplier.brands.name"])
                .filter("id", Condition::eq_any(["prod_1", "prod_4", "prod_5", "prod_6"])),
        );
        assert_eq!(
            rows.data,
            vec![
                json!({ "id": "prod_1", "supplier": { "name": "Alder",
                        "brands": [{ "name": "Acme" }, { "name": "Birch" }] } }),
                json!({ "id": "prod_4", "supplier": null }),
                json!({ "id": "prod_5", "supplier": { "name": "Beech", "brands": [{ "name": "Cedar" }] } }),
                json!({ "id": "prod_6", "supplier": null }),
            ]
        );

        // With dismissed links asked for, prod_4 has its brand again (and Cherry, whose
        // soft delete is shown too).
        let rows = graph(
            conn,
            Graph::entity("product")
                .fields(["id", "brand.name", "supplier.name"])
                .filter("id", "prod_4")
                .with_deleted(),
        );
        assert_eq!(
            rows.data,
            vec![json!({ "id": "prod_4", "brand": { "name": "Birch" }, "supplier": { "name": "Cherry" } })]
        );
    }

    fn links_nest_two_and_three_levels_deep(conn) {
        catalog(conn);
        // Down: brand -> products -> tags, and brand -> products -> supplier -> brands.
        let acme = graph(
            conn,
            Graph::entity("brand")
                .fields([
                    "name",
                    "products.name",
                    "products.tags.name",
                    "products.supplier.name",
                    "products.supplier.brands.name",
                ])
                .filter("id", "brand_1"),
        );
        assert_eq!(
            acme.data,
            [json!({ "name": "Acme", "products": [
                { "name": "Teapot", "tags": [{ "name": "gift" }],
                  "supplier": { "name": "Beech", "brands": [{ "name": "Cedar" }] } },
                { "name": "Kettle", "tags": [{ "name": "gift" }, { "name": "kitchen" }],
                  "supplier": { "name": "Alder",
                                "brands": [{ "name": "Acme" }, { "name": "Birch" }] } },
            ] })]
        );

        // Up: tag -> products -> brand -> supplier.
        let gift = graph(
            conn,
            Graph::entity("tag")
                .fields([
                    "name",
                    "products.name",
                    "products.brand.name",
                    "products.brand.supplier.name",
                ])
                .filter("id", "tag_2"),
        );
        assert_eq!(
            gift.data,
            [json!({ "name": "gift", "products": [
                { "name": "Kettle", "brand": { "name": "Acme", "supplier": { "name": "Alder" } } },
                { "name": "Teapot", "brand": { "name": "Acme", "supplier": { "name": "Alder" } } },
            ] })]
        );

        // There and back again over a one-to-one link.
        let ada = graph(
            conn,
            Graph::entity("customer")
                .fields(["name", "wishlist.customer.name"])
                .order("id", Order::Asc),
        );
        assert_eq!(
            ada.data,
            [
                json!({ "name": "Ada", "wishlist": { "customer": { "name": "Ada" } } }),
                json!({ "name": "Grace", "wishlist": null }),
            ]
        );
    }

    /// `Graph::to_json` writes, from the records, the JSON that the `Value`s of the same
    /// query serialize to: objects, arrays, nulls, nesting, pivot rows, pages.
    fn json_written_from_the_records_is_the_json_of_the_values(conn) {
        catalog(conn);
        let queries = [
            Graph::entity("brand").fields([
                "*",
                "products.name",
                "products.tags.*",
                "products.supplier.brands.name",
            ]),
            Graph::entity("customer")
                .fields(["name", "wishlist.customer.name"])
                .order("id", Order::Asc),
            Graph::entity("product")
                .fields(["id", "brand.*", "tags.name", "supplier.id"])
                .order("name", Order::Desc)
                .skip(1)
                .take(2),
            Graph::entity("product_tags").fields(["*", "product.name", "tag.*"]),
            Graph::entity("product").filter("id", "nobody"),
        ];
        for query in queries {
            let shown = format!("{query:?}");
            let built = via::graph(conn, query.clone()).expect("the query runs");
            let written = via::graph(conn, query.to_json()).expect("the query runs");
            assert_eq!(written.len(), built.data.len(), "{shown}");
            assert_eq!(written.metadata(), &built.metadata, "{shown}");
            assert_eq!(
                serde_json::to_string(&written).unwrap(),
                serde_json::to_string(&built).unwrap(),
                "{shown}"
            );
            assert_eq!(
                serde_json::to_string(&written.data()).unwrap(),
                serde_json::to_string(&built.data).unwrap(),
                "{shown}"
            );
        }
    }

    fn dismissed_links_and_deleted_records_are_hidden_unless_asked_for(conn) {
        catalog(conn);
        let birch = || {
            Graph::entity("brand")
                .fields(["products.name"])
                .filter("id", "brand_2")
        };
        assert_eq!(
            graph(conn, birch()).data,
            [json!({ "products": [{ "name": "Toaster" }] })]
        );
        // Live links first, then the dismissed one.
        assert_eq!(
            graph(conn, birch().with_deleted()).data,
            [json!({ "products": [{ "name": "Toaster" }, { "name": "Whisk" }] })]
        );

        let whisk = || {
            Graph::entity("product")
                .fields(["brand.name", "supplier.*", "tags.name"])
                .filter("id", "prod_4")
        };
        assert_eq!(
            graph(conn, whisk()).data,
            [json!({ "brand": null, "supplier": null, "tags": [] })]
        );
        assert_eq!(
            graph(conn, whisk().with_deleted()).data,
            [json!({ "brand": { "name": "Birch" },
                     "supplier": { "id": "sup_c", "name": "Cherry",
                                   "deleted_at": "2026-02-03T04:05:06" },
                     "tags": [] })]
        );

        let toaster = || {
            Graph::entity("product")
                .fields(["tags.name"])
                .filter("id", "prod_3")
        };
        assert_eq!(graph(conn, toaster()).data, [json!({ "tags": [] })]);
        assert_eq!(
            graph(conn, toaster().with_deleted()).data,
            [json!({ "tags": [{ "name": "sale" }] })]
        );

        // Filters through a dismissed link or to a soft-deleted record match only when
        // deleted rows are asked for.
        let by_birch = || {
            Graph::entity("product")
                .fields(["id"])
                .filter("brand.name", "Birch")
        };
        assert_eq!(graph(conn, by_birch()).data, ids(&["prod_3"]));
        assert_eq!(
            graph(conn, by_birch().with_deleted()).data,
            ids(&["prod_3", "prod_4"])
        );
        let by_cherry = || {
            Graph::entity("product")
                .fields(["id"])
                .filter("supplier.name", "Cherry")
        };
        assert_eq!(graph(conn, by_cherry()).data, ids(&[]));
        assert_eq!(graph(conn, by_cherry().with_deleted()).data, ids(&["prod_4"]));

        let suppliers = || Graph::entity("supplier").fields(["id"]);
        assert_eq!(
            serde_json::to_value(graph(conn, suppliers())).unwrap(),
            json!({ "data": [{ "id": "sup_a" }, { "id": "sup_b" }],
                    "metadata": { "count": 2, "skip": 0, "take": null } })
        );
        assert_eq!(
            serde_json::to_value(graph(conn, suppliers().with_deleted())).unwrap(),
            json!({ "data": [{ "id": "sup_a" }, { "id": "sup_b" }, { "id": "sup_c" }],
                    "metadata": { "count": 3, "skip": 0, "take": null } })
        );
    }

    fn pages_and_orders_including_by_a_linked_one_side_field(conn) {
        catalog(conn);
        let by_name = || {
            Graph::entity("product")
                .fields(["name"])
                .order("name", Order::Desc)
        };
        assert_eq!(
            paged(graph(conn, by_name().skip(1).take(2))),
            json!({ "data": [{ "name": "Toaster" }, { "name": "Teapot" }],
                    "metadata": { "count": 4, "skip": 1, "take": 2, "next_cursor": true } })
        );
        // A skip without a take, an empty page, and a page past the end: the count is
        // always the whole match.
        assert_eq!(
            serde_json::to_value(graph(conn, by_name().skip(3))).unwrap(),
            json!({ "data": [{ "name": "Kettle" }],
                    "metadata": { "count": 4, "skip": 3, "take": null } })
        );
        // An empty page has no last row to start the next one after.
        assert_eq!(
            paged(graph(conn, by_name().take(0))),
            json!({ "data": [], "metadata": { "count": 4, "skip": 0, "take": 0, "next_cursor": null } })
        );
        assert_eq!(
            paged(graph(conn, by_name().skip(10).take(5))),
            json!({ "data": [], "metadata": { "count": 4, "skip": 10, "take": 5, "next_cursor": null } })
        );
        // A page of a filtered query counts the filtered rows.
        assert_eq!(
            paged(graph(
                conn,
                Graph::entity("product")
                    .fields(["name"])
                    .filter("brand.name", "Acme")
                    .order("name", Order::Asc)
                    .take(1),
            )),
            json!({ "data": [{ "name": "Kettle" }],
                    "metadata": { "count": 2, "skip": 0, "take": 1, "next_cursor": true } })
        );

        // By the brand's name, then the product's. A product without a live brand sorts
        // last ascending and first descending (NULLS LAST / NULLS FIRST) on both backends.
        let by_brand = |order: Order, then: Order| {
            Graph::entity("product")
                .fields(["name", "brand.name"])
                .order("brand.name", order)
                .order("name", then)
        };
        assert_eq!(
            graph(conn, by_brand(Order::Asc, Order::Desc)).data,
            [
                json!({ "name": "Teapot", "brand": { "name": "Acme" } }),
                json!({ "name": "Kettle", "brand": { "name": "Acme" } }),
                json!({ "name": "Toaster", "brand": { "name": "Birch" } }),
                json!({ "name": "Whisk", "brand": null }),
            ]
        );
        assert_eq!(
            graph(conn, by_brand(Order::Desc, Order::Asc)).data,
            [
                json!({ "name": "Whisk", "brand": null }),
                json!({ "name": "Toaster", "brand": { "name": "Birch" } }),
                json!({ "name": "Kettle", "brand": { "name": "Acme" } }),
                json!({ "name": "Teapot", "brand": { "name": "Acme" } }),
            ]
        );
        // With deleted links, the dismissed one gives Whisk its brand to sort by.
        assert_eq!(
            graph(conn, by_brand(Order::Asc, Order::Desc).with_deleted()).data,
            [
                json!({ "name": "Teapot", "brand": { "name": "Acme" } }),
                json!({ "name": "Kettle", "brand": { "name": "Acme" } }),
                json!({ "name": "Whisk", "brand": { "name": "Birch" } }),
                json!({ "name": "Toaster", "brand": { "name": "Birch" } }),
            ]
        );
        // A soft-deleted supplier is no value to sort by.
        assert_eq!(
            graph(
                conn,
                Graph::entity("product")
                    .fields(["name"])
                    .order("supplier.name", Order::Asc)
                    .order("name", Order::Asc),
            )
            .data,
            [
                json!({ "name": "Kettle" }),
                json!({ "name": "Toaster" }),
                json!({ "name": "Teapot" }),
                json!({ "name": "Whisk" }),
            ]
        );
        // From the other side of a link: brands by their supplier's name.
        assert_eq!(
            graph(
                conn,
                Graph::entity("brand")
                    .fields(["name"])
                    .order("supplier.name", Order::Desc)
                    .order("name", Order::Asc)
                    .take(2),
            )
            .data,
            [json!({ "name": "Cedar" }), json!({ "name": "Acme" })]
        );

        // A list side has many values per row, and an order follows one link at most.
        for (entity, path, says) in [
            (
                "brand",
                "products.name",
                "cannot order `brand` by `products.name`: \
                 the link is a list, so a row has many values to order by",
            ),
            (
                "product",
                "tags.name",
                "cannot order `product` by `tags.name`: \
                 the link is a list, so a row has many values to order by",
            ),
            (
                "product",
                "brand.supplier.name",
                "cannot order `product` by `brand.supplier.name`: \
                 an order follows one link at most",
            ),
        ] {
            let error = refused(conn, Graph::entity(entity).order(path, Order::Asc));
            assert_eq!(described(&error), ("InvalidOrder", says.to_owned()));
        }
    }

    fn like_respects_case_and_backslash_escapes_on_both_backends(conn) {
        setup(conn);
        conn.exec(
            "INSERT INTO products VALUES ('prod_p', '100% Cotton'), ('prod_u', 'snake_case')",
            &[],
        );
        let ids = |conn: &mut Conn, condition: Condition| {
            let found = graph(
                conn,
                Graph::entity("product")
                    .fields(["id"])
                    .filter("name", condition)
                    .order("id", Order::Asc),
            );
            found
                .data
                .iter()
                .map(|row| row["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        // As on PostgreSQL: LIKE respects case, ILIKE does not.
        assert_eq!(ids(conn, Condition::like("kettle")), Vec::<String>::new());
        assert_eq!(ids(conn, Condition::like("Kettle")), ["prod_1"]);
        assert_eq!(ids(conn, Condition::like("K%")), ["prod_1"]);
        assert_eq!(ids(conn, Condition::like("t%")), Vec::<String>::new());
        assert_eq!(ids(conn, Condition::ilike("t%")), ["prod_2"]);
        assert_eq!(ids(conn, Condition::like("_ettle")), ["prod_1"]);
        // A backslash makes a wildcard literal, in both LIKE and ILIKE.
        assert_eq!(ids(conn, Condition::like("100\\%%")), ["prod_p"]);
        assert_eq!(ids(conn, Condition::like("%e\\_c%")), ["prod_u"]);
        assert_eq!(ids(conn, Condition::ilike("SNAKE\\_%")), ["prod_u"]);
        assert_eq!(ids(conn, Condition::like("snake\\_")), Vec::<String>::new());
        // GLOB's own wildcards mean themselves in a LIKE pattern.
        assert_eq!(ids(conn, Condition::like("*")), Vec::<String>::new());
        assert_eq!(ids(conn, Condition::like("[ks]%")), Vec::<String>::new());
    }

    fn filters_by_value_list_range_and_pattern(conn) {
        catalog(conn);
        let products = |condition: Condition| {
            Graph::entity("product")
                .fields(["id"])
                .filter("name", condition)
        };
        for (condition, expected) in [
            (Condition::from("Teapot"), vec!["prod_2"]),
            (Condition::ne("Teapot"), vec!["prod_1", "prod_3", "prod_4"]),
            (Condition::eq_any(["Whisk", "Kettle", "Spoon"]), vec!["prod_1", "prod_4"]),
            (Condition::ne_all(["Kettle", "Teapot"]), vec!["prod_3", "prod_4"]),
            (Condition::EqAny(vec![]), vec![]),
            (Condition::NeAll(vec![]), vec!["prod_1", "prod_2", "prod_3", "prod_4"]),
            (Condition::gt("Teapot"), vec!["prod_3", "prod_4"]),
            (Condition::le("Teapot"), vec!["prod_1", "prod_2"]),
            (Condition::like("T%"), vec!["prod_2", "prod_3"]),
            (Condition::like("%ett%"), vec!["prod_1"]),
            (Condition::like("_hisk"), vec!["prod_4"]),
            // ILIKE ignores case on both backends, whichever side is upper case.
            (Condition::ilike("%KETTLE%"), vec!["prod_1"]),
            (Condition::ilike("t%"), vec!["prod_2", "prod_3"]),
            (Condition::ilike("wHiSk"), vec!["prod_4"]),
        ] {
            assert_eq!(
                graph(conn, products(condition.clone())).data,
                ids(&expected),
                "{condition:?}"
            );
        }
        // A range is two conditions on one field.
        assert_eq!(
            graph(
                conn,
                products(Condition::ge("T")).filter("name", Condition::lt("Tu")),
            )
            .data,
            ids(&["prod_2", "prod_3"])
        );
        assert_eq!(
            graph(
                conn,
                Graph::entity("product")
                    .fields(["id"])
                    .filter("id", ["prod_4", "prod_1", "prod_9"]),
            )
            .data,
            ids(&["prod_1", "prod_4"])
        );

        // Through a link.
        let through = |path: &str, condition: Condition| {
            Graph::entity("product")
                .fields(["id"])
                .filter(path, condition)
        };
        for (path, condition, expected) in [
            ("brand.name", Condition::ilike("ACME"), vec!["prod_1", "prod_2"]),
            ("brand.id", Condition::eq_any(["brand_2", "brand_3"]), vec!["prod_3"]),
            ("tags.name", Condition::like("k%"), vec!["prod_1"]),
            ("tags.name", Condition::from("gift"), vec!["prod_1", "prod_2"]),
            ("supplier.name", Condition::eq_any(["Alder", "Cherry"]), vec!["prod_1", "prod_3"]),
            ("supplier.deleted_at", Condition::IsNull, vec!["prod_1", "prod_2", "prod_3"]),
        ] {
            assert_eq!(
                graph(conn, through(path, condition.clone())).data,
                ids(&expected),
                "{path} {condition:?}"
            );
        }

        // Typed extra columns: integers (an INTEGER and a BIGINT past 32 bits), floats,
        // booleans, NULL, and timestamps, on the live pivot rows.
        let pivots = |path: &str, condition: Condition| {
            Graph::entity("product_tags")
                .fields(["product_id", "tag_id"])
                .filter(path, condition)
                .order("created_at", Order::Asc)
        };
        for (path, condition, expected) in [
            ("position", Condition::from(5), vec![("prod_2", "tag_2")]),
            ("position", Condition::eq_any([2, 7]), vec![("prod_1", "tag_2"), ("prod_1", "tag_1")]),
            ("offset", Condition::gt(2_147_483_647_i64), vec![("prod_1", "tag_2")]),
            ("offset", Condition::from(-3), vec![("prod_1", "tag_1"), ("prod_2", "tag_2")]),
            ("weight", Condition::lt(1.0), vec![("prod_1", "tag_2")]),
            ("weight", Condition::from(1.5), vec![("prod_1", "tag_1"), ("prod_2", "tag_2")]),
            ("featured", Condition::from(false), vec![("prod_1", "tag_2")]),
            ("featured", Condition::from(true), vec![("prod_1", "tag_1"), ("prod_2", "tag_2")]),
            ("note", Condition::from(Value::Null), vec![("prod_1", "tag_2"), ("prod_2", "tag_2")]),
            ("note", Condition::Ne(Value::Null), vec![("prod_1", "tag_1")]),
            ("label", Condition::ilike("GIFT"), vec![("prod_1", "tag_2")]),
            (
                "created_at",
                Condition::ge("2026-01-01T10:00:00"),
                vec![("prod_1", "tag_1"), ("prod_2", "tag_2")],
            ),
            ("created_at", Condition::lt("2026-01-01 10:00:00"), vec![("prod_1", "tag_2")]),
            // An offset is converted to UTC: 11:00 at +02:00 is 09:00.
            ("created_at", Condition::le("2026-01-01T11:00:00+02:00"), vec![("prod_1", "tag_2")]),
        ] {
            assert_eq!(
                graph(conn, pivots(path, condition.clone())).data,
                pairs(&expected),
                "{path} {condition:?}"
            );
        }
        assert_eq!(
            graph(
                conn,
                pivots("position", Condition::ge(2)).filter("position", Condition::lt(7)),
            )
            .data,
            pairs(&[("prod_1", "tag_1"), ("prod_2", "tag_2")])
        );
        assert_eq!(
            graph(conn, pivots("featured", Condition::from(false)).with_deleted()).data,
            pairs(&[("prod_1", "tag_2"), ("prod_3", "tag_3")])
        );

        // A model's timestamp column, compared with its exact value.
        let deleted = |condition: Condition| {
            Graph::entity("supplier")
                .fields(["id", "deleted_at"])
                .filter("deleted_at", condition)
                .with_deleted()
        };
        assert_eq!(
            graph(conn, deleted(Condition::from("2026-02-03T04:05:06"))).data,
            [json!({ "id": "sup_c", "deleted_at": "2026-02-03T04:05:06" })]
        );
        assert_eq!(
            graph(conn, deleted(Condition::lt("2026-02-03 04:05:06"))).data,
            Vec::<Value>::new()
        );
    }

    fn or_and_and_through_one_and_two_links(conn) {
        catalog(conn);
        let products = |filter: Filter| {
            Graph::entity("product")
                .fields(["id"])
                .filter_by(filter)
        };
        assert_eq!(
            graph(
                conn,
                products(Filter::or([
                    Filter::field("name", Condition::like("W%")),
                    Filter::field("brand.name", "Birch"),
                ])),
            )
            .data,
            ids(&["prod_3", "prod_4"])
        );
        let acme_from_beech_or_kitchen = || {
            products(Filter::or([
                Filter::and([
                    Filter::field("brand.name", "Acme"),
                    Filter::field("supplier.name", "Beech"),
                ]),
                Filter::field("tags.name", "kitchen"),
            ]))
        };
        assert_eq!(
            graph(conn, acme_from_beech_or_kitchen()).data,
            ids(&["prod_1", "prod_2"])
        );
        // Filters add up: an `$or` and another filter must both hold.
        assert_eq!(
            graph(
                conn,
                acme_from_beech_or_kitchen().filter("name", Condition::ne("Kettle")),
            )
            .data,
            ids(&["prod_2"])
        );
        assert_eq!(
            graph(
                conn,
                products(Filter::and([
                    Filter::field("id", Condition::ne_all(["prod_1"])),
                    Filter::or([
                        Filter::field("brand.name", "Acme"),
                        Filter::field("supplier.deleted_at", Condition::IsNotNull),
                    ]),
                ]))
                .with_deleted(),
            )
            .data,
            ids(&["prod_2", "prod_4"])
        );

        // Conditions on one link field ask for one linked record that meets them all.
        let brands = |graph: Graph| graph.fields(["id"]);
        assert_eq!(
            graph(
                conn,
                brands(
                    Graph::entity("brand")
                        .filter("products.name", "Kettle")
                        .filter("products.id", "prod_2"),
                ),
            )
            .data,
            ids(&[])
        );
        assert_eq!(
            graph(
                conn,
                brands(
                    Graph::entity("brand")
                        .filter("products.name", "Kettle")
                        .filter("products.id", "prod_1"),
                ),
            )
            .data,
            ids(&["brand_1"])
        );

        // Two links deep.
        for (entity, path, value, expected) in [
            ("brand", "products.tags.name", "kitchen", vec!["brand_1"]),
            ("brand", "products.supplier.name", "Alder", vec!["brand_1", "brand_2"]),
            ("product", "supplier.brands.name", "Cedar", vec!["prod_2"]),
            ("product", "brand.supplier.name", "Alder", vec!["prod_1", "prod_2", "prod_3"]),
            ("product", "brand.supplier.name", "Beech", vec![]),
            ("tag", "products.brand.name", "Birch", vec![]),
        ] {
            assert_eq!(
                graph(conn, Graph::entity(entity).fields(["id"]).filter(path, value)).data,
                ids(&expected),
                "{entity} {path} {value}"
            );
        }
        // A dismissed link deep down counts only when deleted links are asked for.
        let on_sale = || {
            Graph::entity("brand")
                .fields(["id"])
                .filter("products.tags.name", "sale")
        };
        assert_eq!(graph(conn, on_sale()).data, ids(&[]));
        assert_eq!(graph(conn, on_sale().with_deleted()).data, ids(&["brand_2"]));
        // Two links deep inside an `$or`.
        assert_eq!(
            graph(
                conn,
                Graph::entity("brand").fields(["id"]).filter_by(Filter::or([
                    Filter::field("products.tags.name", "kitchen"),
                    Filter::field("supplier.name", "Beech"),
                ])),
            )
            .data,
            ids(&["brand_1", "brand_3"])
        );
    }

    fn a_json_query_runs_as_the_built_one(conn) {
        catalog(conn);
        let from_json = Graph::from_json(json!({
            "entity": "product",
            "fields": ["id", "name", "brand.name", "tags.name"],
            "filters": {
                "brand": { "name": { "$ilike": "acme" } },
                "id": { "$nin": ["prod_9"] },
                "$or": [{ "name": "Kettle" }, { "tags": { "name": { "$in": ["gift"] } } }],
            },
            "pagination": {
                "skip": 0,
                "take": 1,
                "order": [{ "brand.name": "ASC" }, { "name": "desc" }],
            },
        }))
        .unwrap();
        let built = Graph::entity("product")
            .fields(["id", "name", "brand.name", "tags.name"])
            .filter("brand.name", Condition::ilike("acme"))
            .filter("id", Condition::ne_all(["prod_9"]))
            .filter_by(Filter::or([
                Filter::field("name", "Kettle"),
                Filter::field("tags.name", Condition::eq_any(["gift"])),
            ]))
            .order("brand.name", Order::Asc)
            .order("name", Order::Desc)
            .take(1);
        let expected = json!({
            "data": [{ "id": "prod_2", "name": "Teapot", "brand": { "name": "Acme" },
                       "tags": [{ "name": "gift" }] }],
            "metadata": { "count": 2, "skip": 0, "take": 1, "next_cursor": true },
        });
        let (from_json, built) = (graph(conn, from_json), graph(conn, built));
        // One query, whichever its form: one cursor.
        assert_eq!(from_json.metadata, built.metadata);
        assert_eq!(paged(from_json), expected);
        assert_eq!(paged(built), expected);

        // `$and`, ranges, a side of a link's table, and deleted rows asked for either way.
        let pivots = |with_deleted: Value| {
            json!({
                "entity": "product_tags",
                "fields": ["product_id", "tag_id", "featured", "position", "weight"],
                "filters": { "$and": [
                    { "position": { "$gte": 1, "$lt": 6 } },
                    { "product": { "name": { "$like": "T%" } } },
                ] },
                "pagination": { "order": { "position": "DESC" } },
                "withDeleted": with_deleted,
            })
        };
        let teapot = json!({ "product_id": "prod_2", "tag_id": "tag_2", "featured": true,
                             "position": 5, "weight": 1.5 });
        let toaster = json!({ "product_id": "prod_3", "tag_id": "tag_3", "featured": false,
                              "position": 1, "weight": 1.5 });
        assert_eq!(
            graph(conn, Graph::from_json(pivots(json!(true))).unwrap()).data,
            [teapot.clone(), toaster]
        );
        assert_eq!(
            graph(conn, Graph::from_json(pivots(json!(false))).unwrap()).data,
            [teapot]
        );
        assert_eq!(
            graph(
                conn,
                Graph::from_json(json!({
                    "entity": "product",
                    "fields": ["id"],
                    "filters": { "brand": { "name": "Birch" } },
                    "with_deleted": true,
                }))
                .unwrap(),
            )
            .data,
            ids(&["prod_3", "prod_4"])
        );
        // A value is bound, whatever it holds.
        assert_eq!(
            serde_json::to_value(graph(
                conn,
                Graph::from_json(json!({
                    "entity": "product",
                    "filters": { "name": "x' OR '1'='1" },
                }))
                .unwrap(),
            ))
            .unwrap(),
            json!({ "data": [], "metadata": { "count": 0, "skip": 0, "take": null } })
        );

        for (bad, says) in [
            (json!(["product"]), "a graph query is a JSON object"),
            (json!({ "fields": ["id"] }), "`entity` is missing"),
            (json!({ "entity": 7 }), "`entity` is a string"),
            (json!({ "entity": "product", "fields": "id" }), "`fields` is an array of strings"),
            (
                json!({ "entity": "product", "fields": ["id", 3] }),
                "`fields` is an array of strings",
            ),
            (json!({ "entity": "product", "filters": ["id"] }), "`filters` is an object"),
            (
                json!({ "entity": "product", "filters": { "id": { "$regex": "x" } } }),
                "`id`: unknown operator `$regex` \
                 (known: $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $like, $ilike)",
            ),
            (
                json!({ "entity": "product",
                        "filters": { "brand": { "name": { "$in": "Acme" } } } }),
                "`brand.name`: `$in` takes an array",
            ),
            (
                json!({ "entity": "product", "filters": { "name": { "$ilike": 5 } } }),
                "`name`: `$ilike` takes a string",
            ),
            (
                json!({ "entity": "product", "filters": { "$or": { "name": "Kettle" } } }),
                "`$or` takes an array of filter objects",
            ),
            (
                json!({ "entity": "product", "filters": { "$and": ["Kettle"] } }),
                "`$and` takes an array of filter objects",
            ),
            (
                json!({ "entity": "product", "filters": { "$not": [] } }),
                "unknown combinator `$not` (known: $and, $or)",
            ),
            (
                json!({ "entity": "product",
                        "filters": { "brand": { "name": "Acme", "$eq": "x" } } }),
                "`brand` mixes operators with field names",
            ),
            (json!({ "entity": "product", "pagination": [] }), "`pagination` is an object"),
            (
                json!({ "entity": "product", "pagination": { "take": -1 } }),
                "`take` is a non-negative integer",
            ),
            (
                json!({ "entity": "product", "pagination": { "skip": "1" } }),
                "`skip` is a non-negative integer",
            ),
            (
                json!({ "entity": "product", "pagination": { "order": { "name": "UP" } } }),
                "order of `name` is \"ASC\" or \"DESC\"",
            ),
            (
                json!({ "entity": "product", "pagination": { "order": "name" } }),
                "`order` is an object or an array of objects",
            ),
            (
                json!({ "entity": "product", "pagination": { "limit": 3 } }),
                "unknown pagination key `limit` (known: skip, take, order, after)",
            ),
            (json!({ "entity": "product", "with_deleted": "yes" }), "`with_deleted` is a boolean"),
            (
                json!({ "entity": "product", "limit": 3 }),
                "unknown key `limit` (known: entity, fields, filters, pagination, with_deleted, options, \
                 nested)",
            ),
        ] {
            let error = Graph::from_json(bad.clone()).unwrap_err();
            assert_eq!(
                described(&error),
                ("MalformedQuery", format!("malformed graph query: {says}")),
                "{bad}"
            );
        }
        // Well-formed JSON whose paths are not is refused when it runs.
        let empty_segment =
            Graph::from_json(json!({ "entity": "product", "fields": ["brand."] })).unwrap();
        assert_eq!(
            described(&refused(conn, empty_segment)),
            ("MalformedQuery", "malformed graph query: `brand.` has an empty segment".to_owned())
        );
    }

    fn the_link_table_is_an_entity_with_extra_columns_and_both_sides(conn) {
        catalog(conn);
        // Each value in its JSON type on both backends: `true` is not `1`, `7` is not
        // `7.0`, and the BIGINT keeps all its digits.
        let rows = graph(
            conn,
            Graph::entity("product_tags")
                .fields([
                    "product_id", "tag_id", "featured", "position", "weight", "offset", "label",
                    "note", "product.name", "tag.name",
                ])
                .order("created_at", Order::Asc),
        );
        assert_eq!(
            serde_json::to_value(rows).unwrap(),
            json!({
                "data": [
                    { "product_id": "prod_1", "tag_id": "tag_2", "featured": false, "position": 7,
                      "weight": 0.25, "offset": 9_000_000_000_i64, "label": "gift", "note": null,
                      "product": { "name": "Kettle" }, "tag": { "name": "gift" } },
                    { "product_id": "prod_1", "tag_id": "tag_1", "featured": true, "position": 2,
                      "weight": 1.5, "offset": -3, "label": "new", "note": "front page",
                      "product": { "name": "Kettle" }, "tag": { "name": "kitchen" } },
                    { "product_id": "prod_2", "tag_id": "tag_2", "featured": true, "position": 5,
                      "weight": 1.5, "offset": -3, "label": "new", "note": null,
                      "product": { "name": "Teapot" }, "tag": { "name": "gift" } },
                ],
                "metadata": { "count": 3, "skip": 0, "take": null },
            })
        );

        // NULL sorts last ascending and first descending, on both backends.
        let by_note = |order: Order| {
            Graph::entity("product_tags")
                .fields(["product_id", "tag_id", "note"])
                .order("note", order)
                .order("position", order)
        };
        assert_eq!(
            graph(conn, by_note(Order::Asc)).data,
            [
                json!({ "product_id": "prod_1", "tag_id": "tag_1", "note": "front page" }),
                json!({ "product_id": "prod_2", "tag_id": "tag_2", "note": null }),
                json!({ "product_id": "prod_1", "tag_id": "tag_2", "note": null }),
            ]
        );
        assert_eq!(
            graph(conn, by_note(Order::Desc)).data,
            [
                json!({ "product_id": "prod_1", "tag_id": "tag_2", "note": null }),
                json!({ "product_id": "prod_2", "tag_id": "tag_2", "note": null }),
                json!({ "product_id": "prod_1", "tag_id": "tag_1", "note": "front page" }),
            ]
        );

        // Ordered and filtered by the fields of its sides.
        assert_eq!(
            graph(
                conn,
                Graph::entity("product_tags")
                    .fields(["product_id", "tag_id"])
                    .order("tag.name", Order::Asc)
                    .order("product.name", Order::Desc),
            )
            .data,
            pairs(&[("prod_2", "tag_2"), ("prod_1", "tag_2"), ("prod_1", "tag_1")])
        );
        assert_eq!(
            graph(
                conn,
                Graph::entity("product_tags")
                    .fields(["product_id", "tag_id"])
                    .filter("tag.name", "gift")
                    .filter("product.name", Condition::ilike("%POT")),
            )
            .data,
            pairs(&[("prod_2", "tag_2")])
        );
        // A side's own links, followed on from the pivot row.
        assert_eq!(
            graph(
                conn,
                Graph::entity("product_tags")
                    .fields(["tag_id", "product.brand.name", "product.supplier.name"])
                    .filter("product_id", "prod_2"),
            )
            .data,
            [json!({ "tag_id": "tag_2",
                     "product": { "brand": { "name": "Acme" }, "supplier": { "name": "Beech" } } })]
        );

        // The dismissed row, with both sides.
        assert_eq!(
            graph(
                conn,
                Graph::entity("product_tags")
                    .fields(["product_id", "tag_id", "product.name", "tag.*"])
                    .filter("deleted_at", Condition::IsNotNull)
                    .with_deleted(),
            )
            .data,
            [json!({ "product_id": "prod_3", "tag_id": "tag_3", "product": { "name": "Toaster" },
                     "tag": { "id": "tag_3", "name": "sale" } })]
        );

        // A link without extra columns: one side each way.
        let acme = graph(
            conn,
            Graph::entity("product_product_brand_brand")
                .fields(["product_id", "brand_id", "product.name", "brand.name"])
                .filter("brand.name", "Acme")
                .order("product.name", Order::Asc),
        );
        assert_eq!(
            serde_json::to_value(acme).unwrap(),
            json!({
                "data": [
                    { "product_id": "prod_1", "brand_id": "brand_1",
                      "product": { "name": "Kettle" }, "brand": { "name": "Acme" } },
                    { "product_id": "prod_2", "brand_id": "brand_1",
                      "product": { "name": "Teapot" }, "brand": { "name": "Acme" } },
                ],
                "metadata": { "count": 2, "skip": 0, "take": null },
            })
        );
    }

    fn timestamps_read_in_one_iso_form_on_both_backends(conn) {
        catalog(conn);
        // A model's TIMESTAMP column reads as chrono's form of a naive date and time.
        let cherry = graph(
            conn,
            Graph::entity("supplier")
                .fields(["deleted_at"])
                .filter("id", "sup_c")
                .with_deleted(),
        );
        assert_eq!(cherry.data, [json!({ "deleted_at": "2026-02-03T04:05:06" })]);

        // So do a pivot row's timestamps (TIMESTAMPTZ on PostgreSQL, in UTC).
        let id = conn.texts(
            "SELECT id FROM product_tags WHERE product_id = ? AND tag_id = ?",
            &["prod_3", "tag_3"],
        );
        let [id] = id.as_slice() else {
            panic!("one pivot row: {id:?}");
        };
        let dismissed = graph(
            conn,
            Graph::entity("product_tags")
                .fields(["*"])
                .filter("product_id", "prod_3")
                .with_deleted(),
        );
        assert_eq!(
            dismissed.data,
            [json!({ "id": id, "product_id": "prod_3", "tag_id": "tag_3", "featured": false,
                     "position": 1, "weight": 1.5, "offset": -3, "label": "new", "note": null,
                     "created_at": "2026-01-01T12:00:00", "updated_at": "2026-01-02T12:30:00",
                     "deleted_at": "2026-01-05T06:07:08" })]
        );
        let brand_links = graph(
            conn,
            Graph::entity("product_product_brand_brand")
                .fields(["product_id", "created_at"])
                .order("created_at", Order::Asc),
        );
        assert_eq!(
            brand_links.data,
            [
                json!({ "product_id": "prod_2", "created_at": "2026-01-01T10:00:00" }),
                json!({ "product_id": "prod_1", "created_at": "2026-01-01T11:00:00" }),
                json!({ "product_id": "prod_3", "created_at": "2026-01-01T12:00:00" }),
            ]
        );
    }

    fn unknown_names_and_injection_attempts_are_typed_errors(conn) {
        catalog(conn);
        let product_fields = "id, name, brand, brand_link, supplier, supplier_link, tags, tags_link";
        let cases = [
            (
                Graph::entity("products"),
                "UnknownEntity",
                format!("no entity `products` is registered (known: {KNOWN_ENTITIES})"),
            ),
            (
                Graph::entity("product").fields(["id", "brands.*"]),
                "UnknownField",
                format!("`product` has no field `brands` (known: {product_fields})"),
            ),
            (
                Graph::entity("product").fields(["brand.country"]),
                "UnknownField",
                "`brand` has no field `country` (known: id, name, products, products_link, supplier, supplier_link)".to_owned(),
            ),
            (
                Graph::entity("product_tags").fields(["tag.products.colour"]),
                "UnknownField",
                format!("`product` has no field `colour` (known: {product_fields})"),
            ),
            (
                Graph::entity("product").filter("price", 3),
                "UnknownField",
                format!("`product` has no field `price` (known: {product_fields})"),
            ),
            (
                Graph::entity("product").filter("maker.name", "Acme"),
                "UnknownField",
                format!("`product` has no field `maker` (known: {product_fields})"),
            ),
            (
                Graph::entity("product").order("price", Order::Asc),
                "UnknownField",
                format!("`product` has no field `price` (known: {product_fields})"),
            ),
            (
                Graph::entity("product").filter("brand", "Acme"),
                "InvalidFilter",
                "filter on `product.brand`: \
                 it is a link: filter on one of its fields, such as `brand.id`"
                    .to_owned(),
            ),
            (
                Graph::entity("product").filter("name.first", "K"),
                "InvalidFilter",
                "filter on `product.name`: \
                 it is a field, not a link: nothing can follow it in a path"
                    .to_owned(),
            ),
            (
                Graph::entity("product").fields(["name.length"]),
                "MalformedQuery",
                "malformed graph query: `name.length`: `name` is a field of `product`, not a link"
                    .to_owned(),
            ),
            (
                Graph::entity("product").fields(["*.name"]),
                "MalformedQuery",
                "malformed graph query: `*.name`: `*` ends a path".to_owned(),
            ),
            // Values of the wrong type for their columns.
            (
                Graph::entity("product_tags").filter("position", "five"),
                "InvalidFilter",
                "filter on `product_tags.position`: expects an integer, got `\"five\"`".to_owned(),
            ),
            (
                Graph::entity("product_tags").filter("position", 2.5),
                "InvalidFilter",
                "filter on `product_tags.position`: expects an integer, got `2.5`".to_owned(),
            ),
            (
                Graph::entity("product_tags").filter("featured", 1),
                "InvalidFilter",
                "filter on `product_tags.featured`: expects a boolean, got `1`".to_owned(),
            ),
            (
                Graph::entity("product_tags").filter("weight", "heavy"),
                "InvalidFilter",
                "filter on `product_tags.weight`: expects a number, got `\"heavy\"`".to_owned(),
            ),
            (
                Graph::entity("product_tags").filter("created_at", "yesterday"),
                "InvalidFilter",
                "filter on `product_tags.created_at`: \
                 expects a timestamp such as \"2024-05-01T12:00:00\", got `\"yesterday\"`"
                    .to_owned(),
            ),
            (
                Graph::entity("product_tags").filter("position", Condition::Gt(Value::Null)),
                "InvalidFilter",
                "filter on `product_tags.position`: \
                 null compares with nothing: use IS NULL (`null` or `$eq: null`)"
                    .to_owned(),
            ),
            (
                Graph::entity("product_tags").filter("position", Condition::like("1%")),
                "InvalidFilter",
                "filter on `product_tags.position`: \
                 a pattern applies to text, and the field is Integer"
                    .to_owned(),
            ),
            (
                Graph::entity("product").filter("name", Condition::eq_any([json!(["Kettle"])])),
                "InvalidFilter",
                "filter on `product.name`: expects a single value, got `[\"Kettle\"]`".to_owned(),
            ),
        ];
        for (query, kind, says) in cases {
            let error = refused(conn, query);
            assert_eq!(described(&error), (kind, says));
        }

        // Attempts to inject SQL through names are unknown names.
        for entity in [
            "product; DROP TABLE products",
            "products\" --",
            "sqlite_master",
            "pg_catalog.pg_tables",
            "information_schema.tables",
        ] {
            assert_eq!(
                described(&refused(conn, Graph::entity(entity))),
                (
                    "UnknownEntity",
                    format!("no entity `{entity}` is registered (known: {KNOWN_ENTITIES})")
                )
            );
        }
        for (query, field) in [
            (
                Graph::entity("product").fields(["id\" FROM products; DROP TABLE products; --"]),
                "id\" FROM products; DROP TABLE products; --",
            ),
            (Graph::entity("product").fields(["*, version()"]), "*, version()"),
            (
                Graph::entity("product").order("name DESC; DROP TABLE products", Order::Asc),
                "name DESC; DROP TABLE products",
            ),
            (
                Graph::entity("product").filter("name\" = \"name\" OR \"1", "x"),
                "name\" = \"name\" OR \"1",
            ),
        ] {
            assert_eq!(
                described(&refused(conn, query)),
                (
                    "UnknownField",
                    format!("`product` has no field `{field}` (known: {product_fields})")
                )
            );
        }
        assert_eq!(
            described(&refused(conn, Graph::entity("product").filter("brand.name; --", "x"))),
            (
                "UnknownField",
                "`brand` has no field `name; --` (known: id, name, products, products_link, supplier, supplier_link)".to_owned()
            )
        );

        // A value is bound, whatever it holds: it matches nothing, and changes nothing.
        for filter in [
            Filter::field("name", "x' OR '1'='1"),
            Filter::field("name", "Kettle'; DROP TABLE products; --"),
            Filter::field("name", Condition::ilike("%' OR '1'='1")),
            Filter::field("brand.name", Condition::eq_any(["x') OR ('1'='1", "Acme' --"])),
            Filter::field("id", Condition::gt("x' OR '1'='1")),
            Filter::field("name", "?"),
            Filter::field("name", "$1"),
        ] {
            let none = graph(conn, Graph::entity("product").filter_by(filter.clone()));
            assert_eq!(
                serde_json::to_value(none).unwrap(),
                json!({ "data": [], "metadata": { "count": 0, "skip": 0, "take": null } }),
                "{filter:?}"
            );
        }
        assert_eq!(
            graph(conn, Graph::entity("product").fields(["id"])).data,
            ids(&["prod_1", "prod_2", "prod_3", "prod_4"])
        );
        assert_eq!(conn.texts("SELECT COUNT(*) FROM products", &[]), ["4"]);
    }

    fn a_typed_query_reads_into_the_structs_that_select_it(conn) {
        catalog(conn);
        assert_eq!(
            ProductCard::field_paths(),
            ["id", "name", "brand.name", "supplier.name", "supplier.deleted_at", "tags.name"]
        );
        let acme = via::graph(conn,
                ProductCard::graph()
                    .filter_linked::<Brand, _>(|brand| brand.name.eq("Acme"))
                    .order(|product| product.name.desc()),
            )
            .unwrap();
        assert_eq!(
            acme,
            GraphResult {
                data: vec![
                    card("prod_2", "Teapot", Some("Acme"), Some("Beech"), &["gift"]),
                    card("prod_1", "Kettle", Some("Acme"), Some("Alder"), &["gift", "kitchen"]),
                ],
                metadata: link_runtime::graph::Metadata {
                    count: 2,
                    skip: 0,
                    take: None,
                    next_cursor: None,
                },
            }
        );

        let picked = via::graph(conn,
                ProductCard::graph()
                    .filter(|product| {
                        product.id.eq_any(["prod_1", "prod_3", "prod_4"]).and(
                            product
                                .name
                                .like("T%")
                                .or(product.name.ilike("WHISK")),
                        )
                    })
                    .take(5),
            )
            .unwrap();
        assert_eq!(
            picked.data,
            [
                card("prod_3", "Toaster", Some("Birch"), Some("Alder"), &[]),
                card("prod_4", "Whisk", None, None, &[]),
            ]
        );

        let tagged = via::graph(conn,
                ProductCard::graph()
                    .filter_linked::<Tag, _>(|tag| tag.name.ilike("GIFT"))
                    .filter(|product| product.name.ne("Teapot")),
            )
            .unwrap();
        assert_eq!(
            tagged.data,
            [card("prod_1", "Kettle", Some("Acme"), Some("Alder"), &["gift", "kitchen"])]
        );

        // With deleted rows: the dismissed brand, and the soft-deleted supplier with its
        // timestamp.
        let whisk = via::graph(conn,
                ProductCard::graph()
                    .filter(|product| product.id.eq("prod_4"))
                    .with_deleted(),
            )
            .unwrap();
        assert_eq!(
            whisk.data,
            [ProductCard {
                supplier: Some(SupplierLine {
                    name: "Cherry".to_owned(),
                    deleted_at: Some("2026-02-03T04:05:06".to_owned()),
                }),
                ..card("prod_4", "Whisk", Some("Birch"), None, &[])
            }]
        );

        // Two levels of lists, a page of them.
        let shelf = via::graph(conn, BrandShelf::graph().order(|brand| brand.name.asc()).skip(1).take(1))
            .unwrap();
        assert_eq!(
            shelf,
            GraphResult {
                data: vec![BrandShelf {
                    name: "Birch".to_owned(),
                    products: vec![ShelfProduct {
                        name: "Toaster".to_owned(),
                        tags: vec![],
                    }],
                    supplier: Some(SupplierLine {
                        name: "Alder".to_owned(),
                        deleted_at: None,
                    }),
                }],
                metadata: link_runtime::graph::Metadata {
                    count: 3,
                    skip: 1,
                    take: Some(1),
                    // Cedar follows: checked below.
                    next_cursor: shelf.metadata.next_cursor.clone(),
                },
            }
        );
        // The typed query reads the page after it from its cursor: Cedar, the last.
        let cursor = shelf.metadata.next_cursor.clone().expect("Cedar follows Birch");
        let last = via::graph(conn, BrandShelf::graph().order(|brand| brand.name.asc()).take(1).after(cursor))
            .unwrap();
        assert_eq!(last.data.iter().map(|brand| brand.name.as_str()).collect::<Vec<_>>(), ["Cedar"]);
        assert_eq!((last.metadata.count, last.metadata.next_cursor), (3, None));
        let acme_shelf = via::graph(conn, BrandShelf::graph().filter(|brand| brand.id.eq("brand_1")))
            .unwrap();
        assert_eq!(
            acme_shelf.data,
            [BrandShelf {
                name: "Acme".to_owned(),
                products: vec![
                    ShelfProduct {
                        name: "Teapot".to_owned(),
                        tags: vec![TagName { name: "gift".to_owned() }],
                    },
                    ShelfProduct {
                        name: "Kettle".to_owned(),
                        tags: vec![
                            TagName { name: "gift".to_owned() },
                            TagName { name: "kitchen".to_owned() },
                        ],
                    },
                ],
                supplier: Some(SupplierLine {
                    name: "Alder".to_owned(),
                    deleted_at: None,
                }),
            }]
        );

        // A row that does not fit its struct is a typed error.
        let error = via::graph(conn, Misread::graph()).unwrap_err();
        assert_eq!(
            described(&error),
            ("Deserialize", "a `brand` row does not fit its `GraphSelect` struct".to_owned())
        );
        assert!(matches!(error, Error::Deserialize { entity: "brand", .. }), "{error:?}");
    }
}
