//! Two modules that know nothing about each other, each with its own table.

use diesel::connection::SimpleConnection;
use diesel::SqliteConnection;

pub mod brand {
    use diesel::prelude::*;
    use link_runtime::prelude::*;

    diesel::table! {
        brand (id) {
            id -> Text,
            name -> Text,
        }
    }

    #[derive(Linkable, Queryable, Selectable)]
    #[linkable(module = "brand")] // model name defaults to the struct name in snake_case
    #[diesel(table_name = brand)]
    pub struct Brand {
        pub id: String,
        pub name: String,
    }

    pub fn find(conn: &mut SqliteConnection, ids: &[String]) -> QueryResult<Vec<Brand>> {
        brand::table
            .filter(brand::id.eq_any(ids))
            .select(Brand::as_select())
            .load(conn)
    }
}

pub mod product {
    use diesel::prelude::*;
    use link_runtime::prelude::*;

    diesel::table! {
        product (id) {
            id -> Text,
            title -> Text,
        }
    }

    #[derive(Linkable, Queryable, Selectable)]
    #[linkable(module = "product")]
    #[diesel(table_name = product)]
    pub struct Product {
        pub id: String,
        pub title: String,
    }
}

pub fn migrate(conn: &mut SqliteConnection) -> diesel::QueryResult<()> {
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS product (id TEXT PRIMARY KEY, title TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS brand (id TEXT PRIMARY KEY, name TEXT NOT NULL);
         INSERT OR IGNORE INTO product VALUES ('prod_1', 'Sneaker');
         INSERT OR IGNORE INTO brand VALUES ('brand_1', 'Acme');",
    )
}
