//! Rows the runtime reads by column name, on every enabled backend.

use diesel::sql_types::Text;
use diesel::QueryableByName;

/// A row the runtime can read on every enabled backend: what diesel's `QueryableByName`
/// derive gives a struct of text, integer and timestamp fields, such as a link's generated
/// `Row`. Implemented automatically.
#[doc(hidden)]
pub trait LoadRow: Send + 'static + on_sqlite::Row + on_postgres::Row {}

impl<R: Send + 'static + on_sqlite::Row + on_postgres::Row> LoadRow for R {}

// One bound per backend, present only when its feature is: a supertrait is what lets the
// per-backend code in `bind.rs` rely on it.
pub(crate) mod on_sqlite {
    #[cfg(feature = "sqlite")]
    pub trait Row:
        diesel::deserialize::FromSqlRow<diesel::sql_types::Untyped, diesel::sqlite::Sqlite>
    {
    }
    #[cfg(feature = "sqlite")]
    impl<
            R: diesel::deserialize::FromSqlRow<diesel::sql_types::Untyped, diesel::sqlite::Sqlite>,
        > Row for R
    {
    }

    #[cfg(not(feature = "sqlite"))]
    pub trait Row {}
    #[cfg(not(feature = "sqlite"))]
    impl<R> Row for R {}
}

pub(crate) mod on_postgres {
    #[cfg(feature = "postgres")]
    pub trait Row:
        diesel::deserialize::FromSqlRow<diesel::sql_types::Untyped, diesel::pg::Pg>
    {
    }
    #[cfg(feature = "postgres")]
    impl<R: diesel::deserialize::FromSqlRow<diesel::sql_types::Untyped, diesel::pg::Pg>> Row for R {}

    #[cfg(not(feature = "postgres"))]
    pub trait Row {}
    #[cfg(not(feature = "postgres"))]
    impl<R> Row for R {}
}

/// A row of one text column named `value`.
#[derive(QueryableByName)]
pub(crate) struct TextValue {
    #[diesel(sql_type = Text)]
    pub(crate) value: String,
}
