//! The product module: the catalog's products, in its own table `product`.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use link_runtime::prelude::*;

/// The module's own schema.
pub mod schema {
    diesel::table! {
        /// The products.
        product (id) {
            /// The product's id, e.g. `prod_1`.
            id -> Text,
            /// The product's title.
            title -> Text,
        }
    }
}

/// A product of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Linkable, Queryable, Selectable, Insertable)]
#[linkable(module = "product")]
#[diesel(table_name = schema::product, check_for_backend(diesel::sqlite::Sqlite))]
pub struct Product {
    /// Its id, e.g. `prod_1`.
    pub id: String,
    /// Its title.
    pub title: String,
}

/// Creates the module's table unless the database has it.
///
/// # Errors
///
/// When SQLite refuses the statement.
pub fn migrate(conn: &mut SqliteConnection) -> QueryResult<()> {
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS product (
            id TEXT PRIMARY KEY NOT NULL,
            title TEXT NOT NULL
        )",
    )
}

/// Inserts `record` unless a product with its id exists; returns whether it was inserted.
///
/// # Errors
///
/// When SQLite refuses the statement.
pub fn create(conn: &mut SqliteConnection, record: &Product) -> QueryResult<bool> {
    // Only a duplicate id is ignored (`INSERT OR IGNORE` would also swallow a failed CHECK).
    let inserted = diesel::insert_into(schema::product::table)
        .values(record)
        .on_conflict(schema::product::id)
        .do_nothing()
        .execute(conn)?;
    Ok(inserted > 0)
}

/// Deletes the product with this id; returns whether there was one. Its links are not the
/// module's business: they stay, as Medusa's do.
///
/// # Errors
///
/// When SQLite refuses the statement.
pub fn delete(conn: &mut SqliteConnection, id: &Id<Product>) -> QueryResult<bool> {
    let deleted = diesel::delete(schema::product::table.find(id.as_str())).execute(conn)?;
    Ok(deleted > 0)
}

/// The product with this id, if there is one.
///
/// # Errors
///
/// When SQLite refuses the query.
pub fn get(conn: &mut SqliteConnection, id: &Id<Product>) -> QueryResult<Option<Product>> {
    schema::product::table
        .find(id.as_str())
        .select(Product::as_select())
        .first(conn)
        .optional()
}

/// Every product, ordered by id.
///
/// # Errors
///
/// When SQLite refuses the query.
pub fn list(conn: &mut SqliteConnection) -> QueryResult<Vec<Product>> {
    schema::product::table
        .order(schema::product::id)
        .select(Product::as_select())
        .load(conn)
}
