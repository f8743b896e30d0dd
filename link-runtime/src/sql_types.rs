//! SQL types of extra columns that diesel has no single type for across backends.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::serialize::{self, IsNull, Output, ToSql};

/// A JSON document: `JSONB` on PostgreSQL, JSON text in a `TEXT` column on SQLite. The
/// Rust type is `serde_json::Value`.
///
/// A link's `columns { meta: serde_json::Value = "{}" }` is declared with it in the
/// generated `table!`, so the generated `Row` reads it on either backend.
///
/// ```
/// use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
///
/// mod product_brand {
///     use super::{Brand, Product};
///     link_runtime::define_link!(Product, Brand, columns { meta: serde_json::Value = r#"{"source": "import"}"# });
/// }
///
/// # fn main() {
/// let columns = product_brand::Columns::default();
/// assert_eq!(columns.meta, serde_json::json!({ "source": "import" }));
/// assert!(product_brand::Link::POSTGRES_SQL.contains(r#""meta" JSONB NOT NULL"#));
/// # }
/// ```
#[derive(
    Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
)]
#[cfg_attr(
    feature = "postgres",
    diesel(postgres_type(oid = 3802, array_oid = 3807))
)]
#[cfg_attr(feature = "sqlite", diesel(sqlite_type(name = "Text")))]
pub struct Json;

// What diesel's `FromSqlRow` derive gives a type of one column: loading it by its
// `FromSql`.
impl<DB> Queryable<Json, DB> for serde_json::Value
where
    DB: Backend,
    serde_json::Value: FromSql<Json, DB>,
{
    type Row = Self;

    fn build(row: Self) -> deserialize::Result<Self> {
        Ok(row)
    }
}

/// The version byte that starts PostgreSQL's binary form of `jsonb`.
#[cfg(feature = "postgres")]
const JSONB_VERSION: u8 = 1;

#[cfg(feature = "postgres")]
impl FromSql<Json, diesel::pg::Pg> for serde_json::Value {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        match value.as_bytes().split_first() {
            Some((&JSONB_VERSION, document)) => Ok(serde_json::from_slice(document)?),
            _ => Err("unsupported jsonb encoding".into()),
        }
    }
}

#[cfg(feature = "postgres")]
impl ToSql<Json, diesel::pg::Pg> for serde_json::Value {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::pg::Pg>) -> serialize::Result {
        use std::io::Write;
        out.write_all(&[JSONB_VERSION])?;
        serde_json::to_writer(out, self)?;
        Ok(IsNull::No)
    }
}

#[cfg(feature = "sqlite")]
impl FromSql<Json, diesel::sqlite::Sqlite> for serde_json::Value {
    fn from_sql(mut value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        Ok(serde_json::from_str(value.read_text())?)
    }
}

#[cfg(feature = "sqlite")]
impl ToSql<Json, diesel::sqlite::Sqlite> for serde_json::Value {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::sqlite::Sqlite>) -> serialize::Result {
        out.set_value(serde_json::to_string(self)?);
        Ok(IsNull::No)
    }
}
