//! Creating the pivot tables of registered links.

use crate::backend::{Dialect, LinkConnection};
use crate::definition::{ColumnValue, LinkSchema};
use crate::error::Result;
use crate::registry::registered_links;

/// What [`migrate`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationReport {
    /// The link tables that were missing and were created, by name.
    pub created: Vec<&'static str>,
    /// The link tables that already existed.
    pub existing: Vec<&'static str>,
}

/// Creates the pivot table (and indexes) of every registered link that the database lacks.
///
/// Each table is created in its own transaction. Tables that exist are left as they are.
///
/// # Errors
///
/// [`Error::DuplicateTable`](crate::Error::DuplicateTable) if two registered links claim one
/// table (nothing is created), and [`Error::Database`](crate::Error::Database) if a statement
/// fails; the tables created before it stay.
///
/// ```
/// # use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
/// # mod product_brand { use super::*; define_link!(Product, Brand); }
/// use diesel::{Connection, SqliteConnection};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut conn = SqliteConnection::establish(":memory:")?;
/// let report = link_runtime::migrate(&mut conn)?;
/// assert!(report.created.contains(&"product_product_brand_brand"));
///
/// let again = link_runtime::migrate(&mut conn)?;
/// assert!(again.created.is_empty());
/// # Ok(())
/// # }
/// ```
pub fn migrate<C: LinkConnection>(conn: &mut C) -> Result<MigrationReport> {
    let mut report = MigrationReport::default();
    for schema in registered_links()? {
        if table_exists(conn, schema.table)? {
            report.existing.push(schema.table);
            continue;
        }
        create_table(conn, schema)?;
        report.created.push(schema.table);
    }
    Ok(report)
}

fn create_table<C: LinkConnection>(conn: &mut C, schema: &LinkSchema) -> Result<()> {
    let sql = schema.create_sql(C::DIALECT);
    conn.transaction(|conn| conn.batch_execute(sql))?;
    Ok(())
}

/// Whether `table` exists; the name travels as a bound parameter.
pub(crate) fn table_exists<C: LinkConnection>(conn: &mut C, table: &str) -> Result<bool> {
    let sql = match C::DIALECT {
        Dialect::Sqlite => {
            "SELECT name AS value FROM sqlite_master WHERE type = 'table' AND name = ?"
        }
        Dialect::Postgres => {
            "SELECT table_name::text AS value FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    Ok(!conn.load_text(sql, &[ColumnValue::Text(table)])?.is_empty())
}
