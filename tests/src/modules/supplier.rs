//! The supplier module: records in a table of its own, soft-deleted through
//! [`SoftDelete`] when a `delete_cascade` link asks.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::SqliteConnection;
use link_runtime::prelude::*;
use link_runtime::service::{ModuleError, SoftDelete};

diesel::table! {
    /// The module's own table.
    supplier (id) {
        /// Its id.
        id -> Text,
        /// Its name.
        name -> Text,
        /// When it was soft-deleted.
        deleted_at -> Nullable<Timestamp>,
    }
}

/// A supplier.
#[derive(Debug, Linkable, Queryable, Selectable)]
#[linkable(module = "supplier")]
#[diesel(table_name = supplier)]
pub struct Supplier {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When it was soft-deleted.
    pub deleted_at: Option<link_runtime::chrono::NaiveDateTime>,
}

/// Creates the module's table.
///
/// # Errors
///
/// If the database refuses the statement.
pub fn migrate(conn: &mut SqliteConnection) -> QueryResult<()> {
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS supplier \
         (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, deleted_at TIMESTAMP)",
    )
}

/// Adds a supplier.
///
/// # Errors
///
/// If the database refuses the statement.
pub fn add(conn: &mut SqliteConnection, id: &str, name: &str) -> QueryResult<()> {
    diesel::insert_into(supplier::table)
        .values((supplier::id.eq(id), supplier::name.eq(name)))
        .execute(conn)
        .map(drop)
}

/// The ids of the suppliers that are not soft-deleted, sorted.
///
/// # Errors
///
/// If the database refuses the query.
pub fn live(conn: &mut SqliteConnection) -> QueryResult<Vec<String>> {
    supplier::table
        .filter(supplier::deleted_at.is_null())
        .select(supplier::id)
        .order(supplier::id)
        .load(conn)
}

impl SoftDelete<SqliteConnection> for Supplier {
    fn soft_delete(conn: &mut SqliteConnection, ids: &[Id<Self>]) -> Result<(), ModuleError> {
        diesel::update(supplier::table.filter(supplier::id.eq_any(ids.iter().map(Id::as_str))))
            .set(supplier::deleted_at.eq(diesel::dsl::now.nullable()))
            .execute(conn)?;
        Ok(())
    }

    fn restore(conn: &mut SqliteConnection, ids: &[Id<Self>]) -> Result<(), ModuleError> {
        diesel::update(supplier::table.filter(supplier::id.eq_any(ids.iter().map(Id::as_str))))
            .set(supplier::deleted_at.eq(None::<link_runtime::chrono::NaiveDateTime>))
            .execute(conn)?;
        Ok(())
    }
}
