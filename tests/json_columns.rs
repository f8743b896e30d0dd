//! JSON extra columns: `JSONB` on PostgreSQL, JSON text on SQLite, `serde_json::Value` in
//! Rust on both, through the link service, the generated diesel table and graph queries.

use diesel::prelude::*;
use link_runtime::graph::Graph;
use link_runtime::prelude::*;
use link_runtime::service::ListFilter;
use link_runtime::{Dialect, Error, LinkConnection};
use link_test_support::{via, TestSql};
use serde_json::{json, Value};

/// A product.
#[derive(Linkable)]
#[linkable(module = "product")]
pub struct Product {
    /// Its id.
    pub id: String,
}

/// A brand.
#[derive(Linkable)]
#[linkable(module = "brand")]
pub struct Brand {
    /// Its id.
    pub id: String,
}

mod product_brand {
    use super::{Brand, Product};
    link_runtime::define_link! {
        Product(is_list),
        Brand,
        columns {
            meta: serde_json::Value = r#"{"source": "import", "tags": []}"#,
            extra: Option<serde_json::Value>,
        },
    }
}

use product_brand::{Columns, Link};

fn setup(conn: &mut impl LinkConnection) {
    link_runtime::migrate(conn).expect("the link table is created");
}

fn dialect_of<C: LinkConnection>(_: &C) -> Dialect {
    C::DIALECT
}

fn meta_of(rows: &[product_brand::Row], product: &str) -> (Value, Option<Value>) {
    let row = rows
        .iter()
        .find(|row| row.product_id.as_str() == product)
        .expect("the product's row");
    (row.meta.clone(), row.extra.clone())
}

link_test_support::backend_tests! {
    drivers;
    helpers {
        /// The rows through the generated diesel table, which declares the column with
        /// the runtime's JSON SQL type.
        fn rows_by_dsl(conn: &mut Conn) -> Vec<product_brand::Row> {
            product_brand::pivot::table
                .order(product_brand::pivot::product_id)
                .select(product_brand::Row::as_select())
                .load(conn)
                .expect("rows load through the generated table")
        }
    }

    fn the_column_is_jsonb_on_postgres_and_text_on_sqlite(conn) {
        setup(conn);
        let types = conn.column_types(Link::TABLE);
        let meta = types.iter().find(|(name, _)| name == "meta").map(|(_, t)| t.as_str());
        let expected = match dialect_of(conn) {
            Dialect::Sqlite => "TEXT",
            _ => "jsonb",
        };
        assert_eq!(meta, Some(expected), "{types:?}");
        assert_eq!(Columns::default().meta, json!({ "source": "import", "tags": [] }));
    }

    fn documents_round_trip_through_create_list_and_the_generated_table(conn) {
        setup(conn);
        Link::create(conn, Product::id("prod_1"), Brand::id("brand_1")).unwrap();
        let given = json!({ "source": "manual", "scores": [1, 2.5], "nested": { "ok": true, "none": null } });
        let columns = Columns { meta: given.clone(), extra: Some(json!("text it's")) };
        Link::create_with(conn, Product::id("prod_2"), Brand::id("brand_1"), columns).unwrap();

        let listed = Link::list(conn, &ListFilter::new()).unwrap();
        assert_eq!(meta_of(&listed, "prod_1"), (json!({ "source": "import", "tags": [] }), None));
        assert_eq!(meta_of(&listed, "prod_2"), (given.clone(), Some(json!("text it's"))));

        let by_dsl = rows_by_dsl(conn);
        assert_eq!(by_dsl.len(), 2);
        assert_eq!((by_dsl[1].meta.clone(), by_dsl[1].extra.clone()), (given, Some(json!("text it's"))));

        // Writing again replaces the document.
        let columns = Columns { meta: json!([]), extra: None };
        Link::create_with(conn, Product::id("prod_2"), Brand::id("brand_1"), columns).unwrap();
        let listed = Link::list(conn, &ListFilter::new().left([Product::id("prod_2")])).unwrap();
        assert_eq!(meta_of(&listed, "prod_2"), (json!([]), None));
    }

    fn graph_queries_read_documents_as_json_and_filter_them_by_null(conn) {
        setup(conn);
        let columns = Columns { meta: json!({ "n": 1 }), extra: Some(json!([true])) };
        Link::create_with(conn, Product::id("prod_1"), Brand::id("brand_1"), columns).unwrap();
        Link::create(conn, Product::id("prod_2"), Brand::id("brand_1")).unwrap();

        let rows = via::graph(conn,
                Graph::entity(Link::TABLE)
                    .fields(["product_id", "meta", "extra"])
                    .filter("extra", Value::Null),
            )
            .unwrap();
        assert_eq!(
            rows.data,
            [json!({ "product_id": "prod_2", "meta": { "source": "import", "tags": [] }, "extra": null })]
        );
        let rows = via::graph(conn, Graph::from_json(json!({
                "entity": Link::TABLE,
                "fields": ["meta", "extra"],
                "filters": { "extra": { "$ne": null } },
            })).unwrap())
            .unwrap();
        assert_eq!(rows.data, [json!({ "meta": { "n": 1 }, "extra": [true] })]);
        // Written straight from the row's cells, the documents are the same JSON.
        let written = via::graph(conn, Graph::entity(Link::TABLE)
                .fields(["product_id", "meta", "extra"])
                .order("product_id", link_runtime::graph::Order::Asc)
                .to_json())
            .unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(written.data_json()).unwrap(),
            json!([
                { "product_id": "prod_1", "meta": { "n": 1 }, "extra": [true] },
                { "product_id": "prod_2", "meta": { "source": "import", "tags": [] }, "extra": null },
            ])
        );

        // A document compares with nothing but null: a typed error, before any SQL.
        let error = via::graph(conn, Graph::entity(Link::TABLE).fields(["id"]).filter("meta", "x"))
            .unwrap_err();
        assert!(
            matches!(&error, Error::InvalidFilter { field, reason, .. }
                if field == "meta" && reason.contains("JSON")),
            "{error:?}"
        );
    }
}
