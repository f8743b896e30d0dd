//! The supplier module: records in a table of its own, soft-deleted through
//! [`SoftDelete`](link_runtime::service::SoftDelete) when a `delete_cascade` link asks. It runs on SQLite and on PostgreSQL.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use link_runtime::prelude::*;
use link_runtime::service::ModuleError;
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

/// Implements [`Store`] and [`SoftDelete`](link_runtime::service::SoftDelete) for connection types, with diesel's query
/// builder (which is typed by backend): the same code, once per connection type. Exported
/// for tests that bring connection types of their own.
#[macro_export]
macro_rules! store_on {
    ($($connection:ty),*) => {$(
        impl $crate::modules::supplier::Store for $connection {
            fn add_supplier(&mut self, id: &str, name: &str) -> ::diesel::QueryResult<()> {
                use ::diesel::prelude::*;
                use $crate::modules::supplier::supplier;
                ::diesel::insert_into(supplier::table)
                    .values((supplier::id.eq(id), supplier::name.eq(name)))
                    .execute(self)
                    .map(drop)
            }

            fn live_suppliers(&mut self) -> ::diesel::QueryResult<Vec<String>> {
                use ::diesel::prelude::*;
                use $crate::modules::supplier::supplier;
                supplier::table
                    .filter(supplier::deleted_at.is_null())
                    .select(supplier::id)
                    .order(supplier::id)
                    .load(self)
            }
        }

        impl ::link_runtime::service::SoftDelete<$connection> for $crate::modules::supplier::Supplier {
            fn soft_delete(
                conn: &mut $connection,
                ids: &[::link_runtime::Id<Self>],
            ) -> Result<(), ::link_runtime::service::ModuleError> {
                use ::diesel::prelude::*;
                use $crate::modules::supplier::supplier;
                let ids = ids.iter().map(::link_runtime::Id::as_str);
                ::diesel::update(supplier::table.filter(supplier::id.eq_any(ids)))
                    .set(supplier::deleted_at.eq(::diesel::dsl::now.nullable()))
                    .execute(conn)?;
                Ok(())
            }

            fn restore(
                conn: &mut $connection,
                ids: &[::link_runtime::Id<Self>],
            ) -> Result<(), ::link_runtime::service::ModuleError> {
                use ::diesel::prelude::*;
                use $crate::modules::supplier::supplier;
                let ids = ids.iter().map(::link_runtime::Id::as_str);
                ::diesel::update(supplier::table.filter(supplier::id.eq_any(ids)))
                    .set(supplier::deleted_at.eq(None::<::link_runtime::chrono::NaiveDateTime>))
                    .execute(conn)?;
                Ok(())
            }
        }
    )*};
}

store_on!(
    SqliteConnection,
    PgConnection,
    diesel_async::async_connection_wrapper::AsyncConnectionWrapper<diesel_async::AsyncPgConnection>
);

// The same module on diesel-async's connections, for the async driver's cascades.
macro_rules! async_soft_delete_on {
    ($($connection:ty),*) => {$(
        impl link_runtime::aio::SoftDelete<$connection> for Supplier {
            async fn soft_delete(conn: &mut $connection, ids: &[Id<Self>]) -> Result<(), ModuleError> {
                let ids: Vec<&str> = ids.iter().map(Id::as_str).collect();
                let update = diesel::update(supplier::table.filter(supplier::id.eq_any(ids)))
                    .set(supplier::deleted_at.eq(diesel::dsl::now.nullable()));
                diesel_async::RunQueryDsl::execute(update, conn).await?;
                Ok(())
            }

            async fn restore(conn: &mut $connection, ids: &[Id<Self>]) -> Result<(), ModuleError> {
                let ids: Vec<&str> = ids.iter().map(Id::as_str).collect();
                let update = diesel::update(supplier::table.filter(supplier::id.eq_any(ids)))
                    .set(supplier::deleted_at.eq(None::<link_runtime::chrono::NaiveDateTime>));
                diesel_async::RunQueryDsl::execute(update, conn).await?;
                Ok(())
            }
        }
    )*};
}

async_soft_delete_on!(
    diesel_async::sync_connection_wrapper::SyncConnectionWrapper<SqliteConnection>,
    diesel_async::AsyncPgConnection
);
