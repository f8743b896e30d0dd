//! The brand module: brands, in its own table `brand`.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use link_runtime::prelude::*;

/// The module's own schema.
pub mod schema {
    diesel::table! {
        /// The brands.
        brand (id) {
            /// The brand's id, e.g. `brand_1`.
            id -> Text,
            /// The brand's name.
            name -> Text,
        }
    }
}

/// A brand.
#[derive(Debug, Clone, PartialEq, Eq, Linkable, Queryable, Selectable, Insertable)]
#[linkable(module = "brand")]
#[diesel(table_name = schema::brand, check_for_backend(diesel::sqlite::Sqlite))]
pub struct Brand {
    /// Its id, e.g. `brand_1`.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// Creates the module's table unless the database has it.
///
/// # Errors
///
/// When SQLite refuses the statement.
pub fn migrate(conn: &mut SqliteConnection) -> QueryResult<()> {
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS brand (
            id TEXT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL
        )",
    )
}

/// Inserts `record` unless a brand with its id exists; returns whether it was inserted.
///
/// # Errors
///
/// When SQLite refuses the statement.
pub fn create(conn: &mut SqliteConnection, record: &Brand) -> QueryResult<bool> {
    // Only a duplicate id is ignored (`INSERT OR IGNORE` would also swallow a failed CHECK).
    let inserted = diesel::insert_into(schema::brand::table)
        .values(record)
        .on_conflict(schema::brand::id)
        .do_nothing()
        .execute(conn)?;
    Ok(inserted > 0)
}

/// The brand with this id, if there is one.
///
/// # Errors
///
/// When SQLite refuses the query.
pub fn get(conn: &mut SqliteConnection, id: &Id<Brand>) -> QueryResult<Option<Brand>> {
    schema::brand::table
        .find(id.as_str())
        .select(Brand::as_select())
        .first(conn)
        .optional()
}

/// Every brand, ordered by id.
///
/// # Errors
///
/// When SQLite refuses the query.
pub fn list(conn: &mut SqliteConnection) -> QueryResult<Vec<Brand>> {
    schema::brand::table
        .order(schema::brand::id)
        .select(Brand::as_select())
        .load(conn)
}
