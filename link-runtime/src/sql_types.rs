//! SQL types of extra columns that diesel has no single type for across backends (or none
//! that keeps the value exact).

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

/// Implements `FromSql` and `ToSql` of `$sql` for `$rust` on PostgreSQL as diesel's `$pg`.
macro_rules! as_on_postgres {
    ($sql:ty, $rust:ty, $pg:ty) => {
        #[cfg(feature = "postgres")]
        impl FromSql<$sql, diesel::pg::Pg> for $rust {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
                <$rust as FromSql<$pg, diesel::pg::Pg>>::from_sql(value)
            }
        }

        #[cfg(feature = "postgres")]
        impl ToSql<$sql, diesel::pg::Pg> for $rust {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::pg::Pg>) -> serialize::Result {
                <$rust as ToSql<$pg, diesel::pg::Pg>>::to_sql(self, out)
            }
        }
    };
}

/// A point in time with its offset, `chrono::DateTime<Utc>`: `TIMESTAMPTZ` on PostgreSQL;
/// on SQLite the text diesel writes for one, `YYYY-MM-DD HH:MM:SS.ffffff+00:00`.
///
/// ```
/// use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
///
/// mod product_brand {
///     use super::{Brand, Product};
///     use link_runtime::chrono::{DateTime, Utc};
///     link_runtime::define_link!(Product, Brand, columns {
///         since: DateTime<Utc> = "2024-01-31T09:30:00Z",
///     });
/// }
///
/// # fn main() {
/// let since = product_brand::Columns::default().since;
/// assert_eq!(since.to_rfc3339(), "2024-01-31T09:30:00+00:00");
/// assert!(product_brand::Link::POSTGRES_SQL.contains(r#""since" TIMESTAMPTZ NOT NULL"#));
/// # }
/// ```
#[derive(
    Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
)]
#[cfg_attr(
    feature = "postgres",
    diesel(postgres_type(oid = 1184, array_oid = 1185))
)]
#[cfg_attr(feature = "sqlite", diesel(sqlite_type(name = "Text")))]
pub struct TimestampTz;

as_on_postgres!(
    TimestampTz,
    chrono::DateTime<chrono::Utc>,
    diesel::sql_types::Timestamptz
);

#[cfg(feature = "sqlite")]
impl FromSql<TimestampTz, diesel::sqlite::Sqlite> for chrono::DateTime<chrono::Utc> {
    fn from_sql(value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        <Self as FromSql<diesel::sql_types::TimestamptzSqlite, _>>::from_sql(value)
    }
}

#[cfg(feature = "sqlite")]
impl ToSql<TimestampTz, diesel::sqlite::Sqlite> for chrono::DateTime<chrono::Utc> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::sqlite::Sqlite>) -> serialize::Result {
        <Self as ToSql<diesel::sql_types::TimestamptzSqlite, _>>::to_sql(self, out)
    }
}

/// An exact decimal, `bigdecimal::BigDecimal` (feature `decimal`): `NUMERIC` on
/// PostgreSQL; on SQLite the decimal's plain text (`12.50`) in a `TEXT` column, because
/// SQLite's numbers are 64-bit floats and diesel reads its `NUMERIC` through one.
///
/// ```
/// use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
///
/// mod product_brand {
///     use super::{Brand, Product};
///     use link_runtime::bigdecimal::BigDecimal;
///     link_runtime::define_link!(Product, Brand, columns { price: BigDecimal = "12.50" });
/// }
///
/// # fn main() {
/// assert_eq!(product_brand::Columns::default().price.to_string(), "12.50");
/// assert!(product_brand::Link::POSTGRES_SQL.contains(r#""price" NUMERIC NOT NULL DEFAULT 12.50"#));
/// assert!(product_brand::Link::SQLITE_SQL.contains(r#""price" TEXT NOT NULL DEFAULT '12.50'"#));
/// # }
/// ```
#[cfg(feature = "decimal")]
#[derive(
    Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
)]
#[cfg_attr(
    feature = "postgres",
    diesel(postgres_type(oid = 1700, array_oid = 1231))
)]
#[cfg_attr(feature = "sqlite", diesel(sqlite_type(name = "Text")))]
pub struct ExactDecimal;

#[cfg(feature = "decimal")]
as_on_postgres!(
    ExactDecimal,
    bigdecimal::BigDecimal,
    diesel::sql_types::Numeric
);

#[cfg(all(feature = "decimal", feature = "sqlite"))]
impl FromSql<ExactDecimal, diesel::sqlite::Sqlite> for bigdecimal::BigDecimal {
    fn from_sql(mut value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        Ok(value.read_text().parse()?)
    }
}

#[cfg(all(feature = "decimal", feature = "sqlite"))]
impl ToSql<ExactDecimal, diesel::sqlite::Sqlite> for bigdecimal::BigDecimal {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::sqlite::Sqlite>) -> serialize::Result {
        out.set_value(self.to_plain_string());
        Ok(IsNull::No)
    }
}

/// A UUID, `uuid::Uuid` (feature `uuid`): `UUID` on PostgreSQL; on SQLite its hyphenated
/// lower-case text in a `TEXT` column, readable and compared as text.
///
/// ```
/// use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
///
/// mod product_brand {
///     use super::{Brand, Product};
///     link_runtime::define_link!(Product, Brand, columns { batch: Option<link_runtime::uuid::Uuid> });
/// }
///
/// # fn main() {
/// assert_eq!(product_brand::Columns::default().batch, None);
/// assert!(product_brand::Link::POSTGRES_SQL.contains(r#""batch" UUID,"#));
/// # }
/// ```
#[cfg(feature = "uuid")]
#[derive(
    Debug, Clone, Copy, Default, diesel::sql_types::SqlType, diesel::query_builder::QueryId,
)]
#[cfg_attr(
    feature = "postgres",
    diesel(postgres_type(oid = 2950, array_oid = 2951))
)]
#[cfg_attr(feature = "sqlite", diesel(sqlite_type(name = "Text")))]
pub struct Uuid;

#[cfg(feature = "uuid")]
as_on_postgres!(Uuid, uuid::Uuid, diesel::sql_types::Uuid);

#[cfg(all(feature = "uuid", feature = "sqlite"))]
impl FromSql<Uuid, diesel::sqlite::Sqlite> for uuid::Uuid {
    fn from_sql(mut value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        Ok(value.read_text().parse()?)
    }
}

#[cfg(all(feature = "uuid", feature = "sqlite"))]
impl ToSql<Uuid, diesel::sqlite::Sqlite> for uuid::Uuid {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::sqlite::Sqlite>) -> serialize::Result {
        out.set_value(self.hyphenated().to_string());
        Ok(IsNull::No)
    }
}

/// An array of elements of the SQL type `ST`, the Rust `Vec<T>` of an array extra column:
/// PostgreSQL's array type (`TEXT[]`, `INTEGER[]`, `BIGINT[]`, `DOUBLE PRECISION[]`,
/// `BOOLEAN[]`); on SQLite, which has no arrays, the JSON array in text (`["a","b"]`), as
/// [`Json`] holds a document there.
///
/// Named so in the generated `table!` (`tags -> ::link_runtime::sql_types::Array<Text>`), so
/// that the generated `Row` reads it on either backend. diesel's operators on arrays
/// (`contains`, `overlaps_with`) are PostgreSQL's and are not given to it.
///
/// ```
/// use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
///
/// mod product_brand {
///     use super::{Brand, Product};
///     link_runtime::define_link!(Product, Brand, columns {
///         tags: Vec<String> = ["new", "it's"],
///         sizes: Option<Vec<i32>>,
///     });
/// }
///
/// # fn main() {
/// assert_eq!(product_brand::Columns::default().tags, ["new", "it's"]);
/// assert!(product_brand::Link::POSTGRES_SQL
///     .contains(r#""tags" TEXT[] NOT NULL DEFAULT '{"new","it''s"}'"#));
/// assert!(product_brand::Link::SQLITE_SQL
///     .contains(r#""tags" TEXT ARRAY NOT NULL DEFAULT '["new","it''s"]'"#));
/// assert!(product_brand::Link::POSTGRES_SQL.contains(r#""sizes" INTEGER[],"#));
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Array<ST>(std::marker::PhantomData<ST>);

impl<ST: 'static> diesel::sql_types::SqlType for Array<ST> {
    type IsNull = diesel::sql_types::is_nullable::NotNull;
}

impl<ST: 'static> diesel::sql_types::SingleValue for Array<ST> {}

impl<ST: 'static> diesel::query_builder::QueryId for Array<ST> {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

#[cfg(feature = "postgres")]
impl<ST: 'static> diesel::sql_types::HasSqlType<Array<ST>> for diesel::pg::Pg
where
    diesel::pg::Pg: diesel::sql_types::HasSqlType<ST>,
{
    fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
        <Self as diesel::sql_types::HasSqlType<diesel::sql_types::Array<ST>>>::metadata(lookup)
    }
}

#[cfg(feature = "sqlite")]
impl<ST: 'static> diesel::sql_types::HasSqlType<Array<ST>> for diesel::sqlite::Sqlite {
    fn metadata(_: &mut ()) -> diesel::sqlite::SqliteType {
        diesel::sqlite::SqliteType::Text
    }
}

/// `FromSql` and `ToSql` of `Array<$sql>` for `Vec<$rust>` (and `ToSql` for `[$rust]`,
/// what a bound value borrows): diesel's arrays on PostgreSQL, JSON text on SQLite.
/// (diesel's own `Queryable` for `Vec<T>` loads it through `FromSql`.)
macro_rules! array_of {
    ($($rust:ty => $sql:ty),* $(,)?) => {$(
        #[cfg(feature = "postgres")]
        impl FromSql<Array<$sql>, diesel::pg::Pg> for Vec<$rust> {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
                <Self as FromSql<diesel::sql_types::Array<$sql>, diesel::pg::Pg>>::from_sql(value)
            }
        }

        #[cfg(feature = "postgres")]
        impl ToSql<Array<$sql>, diesel::pg::Pg> for [$rust] {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::pg::Pg>) -> serialize::Result {
                <Self as ToSql<diesel::sql_types::Array<$sql>, diesel::pg::Pg>>::to_sql(self, out)
            }
        }

        #[cfg(feature = "postgres")]
        impl ToSql<Array<$sql>, diesel::pg::Pg> for Vec<$rust> {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::pg::Pg>) -> serialize::Result {
                <[$rust] as ToSql<Array<$sql>, diesel::pg::Pg>>::to_sql(self, out)
            }
        }

        #[cfg(feature = "sqlite")]
        impl FromSql<Array<$sql>, diesel::sqlite::Sqlite> for Vec<$rust> {
            fn from_sql(mut value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
                Ok(serde_json::from_str(value.read_text())?)
            }
        }

        #[cfg(feature = "sqlite")]
        impl ToSql<Array<$sql>, diesel::sqlite::Sqlite> for [$rust] {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::sqlite::Sqlite>) -> serialize::Result {
                out.set_value(serde_json::to_string(self)?);
                Ok(IsNull::No)
            }
        }

        #[cfg(feature = "sqlite")]
        impl ToSql<Array<$sql>, diesel::sqlite::Sqlite> for Vec<$rust> {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, diesel::sqlite::Sqlite>) -> serialize::Result {
                <[$rust] as ToSql<Array<$sql>, diesel::sqlite::Sqlite>>::to_sql(self, out)
            }
        }
    )*};
}

array_of! {
    String => diesel::sql_types::Text,
    i32 => diesel::sql_types::Integer,
    i64 => diesel::sql_types::BigInt,
    f64 => diesel::sql_types::Double,
    bool => diesel::sql_types::Bool,
}
