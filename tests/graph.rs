//! Graph queries over the fixture modules: soft-deleted records, and a link's extra columns
//! read and filtered with their declared types.

use diesel::connection::SimpleConnection;
use link_runtime::graph::{Condition, Graph, GraphResult, Order, Query};
use link_runtime::{ColumnKind, LinkConnection, Linkable};
use link_tests::links::{product_supplier, product_tag};
use link_tests::modules::supplier::{Store, Supplier};
use link_tests::modules::{product::Product, tag::Tag};
use serde_json::{json, Value};

fn setup(conn: &mut impl Store) {
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

fn graph(conn: &mut impl LinkConnection, graph: Graph) -> GraphResult<Value> {
    Query::new(conn).graph(graph).expect("the query runs")
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
        let error = Query::new(conn)
            .graph(Graph::entity("product_tags").filter("featured", "yes"))
            .unwrap_err();
        assert!(
            matches!(&error, link_runtime::Error::InvalidFilter { field, .. } if field == "featured"),
            "{error}"
        );
    }
}
