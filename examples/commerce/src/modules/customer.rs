//! The customer module: customers, in its own table `customer`.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use link_runtime::prelude::*;

/// The module's own schema.
pub mod schema {
    diesel::table! {
        /// The customers.
        customer (id) {
            /// The customer's id, e.g. `cus_1`.
            id -> Text,
            /// The customer's email address.
            email -> Text,
        }
    }
}

/// A customer.
#[derive(Debug, Clone, PartialEq, Eq, Linkable, Queryable, Selectable, Insertable)]
#[linkable(module = "customer")]
#[diesel(table_name = schema::customer, check_for_backend(diesel::sqlite::Sqlite))]
pub struct Customer {
    /// Its id, e.g. `cus_1`.
    pub id: String,
    /// Its email address.
    pub email: String,
}

/// Creates the module's table unless the database has it.
///
/// # Errors
///
/// When SQLite refuses the statement.
pub fn migrate(conn: &mut SqliteConnection) -> QueryResult<()> {
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS customer (
            id TEXT PRIMARY KEY NOT NULL,
            email TEXT NOT NULL UNIQUE
        )",
    )
}

/// Inserts `record` unless a customer with its id exists; returns whether it was inserted.
///
/// # Errors
///
/// When SQLite refuses the statement, e.g. an email another customer has.
pub fn create(conn: &mut SqliteConnection, record: &Customer) -> QueryResult<bool> {
    // Only a duplicate id is ignored (`INSERT OR IGNORE` would also swallow a failed CHECK).
    let inserted = diesel::insert_into(schema::customer::table)
        .values(record)
        .on_conflict(schema::customer::id)
        .do_nothing()
        .execute(conn)?;
    Ok(inserted > 0)
}

/// The customer with this id, if there is one.
///
/// # Errors
///
/// When SQLite refuses the query.
pub fn get(conn: &mut SqliteConnection, id: &Id<Customer>) -> QueryResult<Option<Customer>> {
    schema::customer::table
        .find(id.as_str())
        .select(Customer::as_select())
        .first(conn)
        .optional()
}

/// Every customer, ordered by id.
///
/// # Errors
///
/// When SQLite refuses the query.
pub fn list(conn: &mut SqliteConnection) -> QueryResult<Vec<Customer>> {
    schema::customer::table
        .order(schema::customer::id)
        .select(Customer::as_select())
        .load(conn)
}
