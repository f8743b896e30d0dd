//! The supplier module: records in a table of its own, soft-deleted through
//! [`SoftDelete`] when a `delete_cascade` link asks. It runs on SQLite and on PostgreSQL.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use link_runtime::prelude::*;
use link_runtime::service::{ModuleError, SoftDelete};
use link_runtime::LinkConnection;

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

/// The module's storage, on each backend it runs on.
pub trait Store: LinkConnection + SimpleConnection {
    /// Creates the module's table.
    ///
    /// # Errors
    ///
    /// If the database refuses the statement.
    fn migrate_suppliers(&mut self) -> QueryResult<()> {
        self.batch_execute(
            "CREATE TABLE IF NOT EXISTS supplier \
             (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, deleted_at TIMESTAMP)",
        )
    }

    /// Adds a supplier.
    ///
    /// # Errors
    ///
    /// If the database refuses the statement.
    fn add_supplier(&mut self, id: &str, name: &str) -> QueryResult<()>;

    /// The ids of the suppliers that are not soft-deleted, sorted.
    ///
    /// # Errors
    ///
    /// If the database refuses the query.
    fn live_suppliers(&mut self) -> QueryResult<Vec<String>>;
}

// diesel's query builder is typed by backend: the same code, once per connection type.
macro_rules! store_on {
    ($($connection:ty),*) => {$(
        impl Store for $connection {
            fn add_supplier(&mut self, id: &str, name: &str) -> QueryResult<()> {
                diesel::insert_into(supplier::table)
                    .values((supplier::id.eq(id), supplier::name.eq(name)))
                    .execute(self)
                    .map(drop)
            }

            fn live_suppliers(&mut self) -> QueryResult<Vec<String>> {
                supplier::table
                    .filter(supplier::deleted_at.is_null())
                    .select(supplier::id)
                    .order(supplier::id)
                    .load(self)
            }
        }

        impl SoftDelete<$connection> for Supplier {
            fn soft_delete(conn: &mut $connection, ids: &[Id<Self>]) -> Result<(), ModuleError> {
                diesel::update(supplier::table.filter(supplier::id.eq_any(ids.iter().map(Id::as_str))))
                    .set(supplier::deleted_at.eq(diesel::dsl::now.nullable()))
                    .execute(conn)?;
                Ok(())
            }

            fn restore(conn: &mut $connection, ids: &[Id<Self>]) -> Result<(), ModuleError> {
                diesel::update(supplier::table.filter(supplier::id.eq_any(ids.iter().map(Id::as_str))))
                    .set(supplier::deleted_at.eq(None::<link_runtime::chrono::NaiveDateTime>))
                    .execute(conn)?;
                Ok(())
            }
        }
    )*};
}

store_on!(SqliteConnection, PgConnection);
