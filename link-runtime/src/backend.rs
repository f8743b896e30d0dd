//! The databases links can live in, and the one place that binds values per backend.

use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{
    BigInt, Bool, Double, Float, Integer, Nullable, SmallInt, Text, Timestamp,
};
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

use crate::definition::{ColumnKind, ColumnValue};
use crate::graph::JsonRow;
use crate::sql_types::Json;

/// The SQL dialect of a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// SQLite (the embedded default, bundled).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// `values` as a JSON array of strings: the one parameter [`Dialect::in_json`] reads.
pub(crate) fn json_list(values: &[&str]) -> String {
    serde_json::to_string(values).expect("strings serialize")
}

impl Dialect {
    /// The bind placeholder for the `n`th parameter (1-based).
    pub(crate) fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => "?".to_owned(),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// The most parameters one statement may bind: SQLite's default limit (32,766 since
    /// 3.32; the bundled SQLite is newer) and PostgreSQL's protocol limit (65,535).
    pub(crate) fn max_binds(self) -> usize {
        match self {
            Dialect::Sqlite => 32_766,
            Dialect::Postgres => 65_535,
        }
    }

    /// `n` placeholders from the `first`th on, comma separated: `?, ?` or `$3, $4`.
    pub(crate) fn placeholders(self, first: usize, n: usize) -> String {
        let mut list = String::with_capacity(n * 4);
        self.push_placeholders(&mut list, first, n);
        list
    }

    /// Appends [`Dialect::placeholders`] to `sql`, without allocating each one: a batch
    /// writes thousands.
    pub(crate) fn push_placeholders(self, sql: &mut String, first: usize, n: usize) {
        use std::fmt::Write as _;
        for i in first..first + n {
            if i > first {
                sql.push_str(", ");
            }
            match self {
                Dialect::Sqlite => sql.push('?'),
                Dialect::Postgres => {
                    let _ = write!(sql, "${i}");
                }
            }
        }
    }

    /// `column` is one of the text values of the JSON array bound at `placeholder`: any
    /// number of values in one bound parameter. On PostgreSQL the array is read once
    /// (`= ANY(ARRAY(..))`, an init plan) and looked up in `column`'s index; an
    /// `IN (SELECT jsonb_array_elements_text(..))` may instead be planned as a nested loop
    /// that reads the array again for every row.
    pub(crate) fn in_json(self, column: &str, placeholder: &str) -> String {
        match self {
            Dialect::Sqlite => format!("{column} IN (SELECT value FROM json_each({placeholder}))"),
            Dialect::Postgres => format!(
                "{column} = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST({placeholder} AS JSONB))))"
            ),
        }
    }

    /// The expression for the current time.
    pub(crate) fn now(self) -> &'static str {
        match self {
            Dialect::Sqlite => "CURRENT_TIMESTAMP",
            Dialect::Postgres => "now()",
        }
    }
}

/// A diesel connection that links can be stored in.
///
/// Implemented for `SqliteConnection` (feature `sqlite`, on by default) and `PgConnection`
/// (feature `postgres`). The methods are the runtime's only way to run SQL: every value
/// travels as a bound parameter.
///
/// ```
/// use diesel::{Connection, SqliteConnection};
/// use link_runtime::{Dialect, LinkConnection};
///
/// fn dialect_of<C: LinkConnection>(_: &C) -> Dialect {
///     C::DIALECT
/// }
///
/// let conn = SqliteConnection::establish(":memory:").unwrap();
/// assert_eq!(dialect_of(&conn), Dialect::Sqlite);
/// ```
pub trait LinkConnection: diesel::Connection + sealed::Sealed {
    /// The connection's SQL dialect.
    const DIALECT: Dialect;

    /// Runs one statement with `binds` as its parameters; returns the affected row count.
    #[doc(hidden)]
    fn execute_bound(&mut self, sql: &str, binds: &[ColumnValue<'_>]) -> QueryResult<usize>;

    /// Runs a query whose first column, named `value`, is text; returns that column.
    #[doc(hidden)]
    fn load_text(&mut self, sql: &str, binds: &[ColumnValue<'_>]) -> QueryResult<Vec<String>>;

    /// Runs a query and reads every column of its rows as JSON, whatever its type.
    #[doc(hidden)]
    fn load_json(
        &mut self,
        sql: &str,
        binds: &[ColumnValue<'_>],
    ) -> QueryResult<Vec<Vec<serde_json::Value>>>;

    /// Runs a query and reads its rows by column name.
    #[doc(hidden)]
    fn load_rows<R: LoadRow>(
        &mut self,
        sql: &str,
        binds: &[ColumnValue<'_>],
    ) -> QueryResult<Vec<R>>;
}

mod sealed {
    pub trait Sealed {}
}

/// A row the runtime can read by column name on every enabled backend: what diesel's
/// `QueryableByName` derive gives a struct of `Text`, integer and timestamp fields, such
/// as a link's generated `Row`. Implemented automatically.
#[doc(hidden)]
pub trait LoadRow: 'static + on_sqlite::Row + on_postgres::Row {}

impl<R: 'static + on_sqlite::Row + on_postgres::Row> LoadRow for R {}

// One bound per backend, present only when its feature is: a supertrait is what lets the
// per-backend impls below rely on it.
mod on_sqlite {
    #[cfg(feature = "sqlite")]
    pub trait Row: diesel::QueryableByName<diesel::sqlite::Sqlite> {}
    #[cfg(feature = "sqlite")]
    impl<R: diesel::QueryableByName<diesel::sqlite::Sqlite>> Row for R {}

    #[cfg(not(feature = "sqlite"))]
    pub trait Row {}
    #[cfg(not(feature = "sqlite"))]
    impl<R> Row for R {}
}

mod on_postgres {
    #[cfg(feature = "postgres")]
    pub trait Row: diesel::QueryableByName<diesel::pg::Pg> {}
    #[cfg(feature = "postgres")]
    impl<R: diesel::QueryableByName<diesel::pg::Pg>> Row for R {}

    #[cfg(not(feature = "postgres"))]
    pub trait Row {}
    #[cfg(not(feature = "postgres"))]
    impl<R> Row for R {}
}

#[derive(QueryableByName)]
struct TextValue {
    #[diesel(sql_type = Text)]
    value: String,
}

macro_rules! bind_values {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for bind in $binds {
            query = match *bind {
                ColumnValue::Null(kind) => match kind {
                    ColumnKind::Bool => query.bind::<Nullable<Bool>, _>(None::<bool>),
                    ColumnKind::SmallInt => query.bind::<Nullable<SmallInt>, _>(None::<i16>),
                    ColumnKind::Integer => query.bind::<Nullable<Integer>, _>(None::<i32>),
                    ColumnKind::BigInt => query.bind::<Nullable<BigInt>, _>(None::<i64>),
                    ColumnKind::Float => query.bind::<Nullable<Float>, _>(None::<f32>),
                    ColumnKind::Double => query.bind::<Nullable<Double>, _>(None::<f64>),
                    ColumnKind::Text => query.bind::<Nullable<Text>, _>(None::<String>),
                    ColumnKind::Timestamp => {
                        query.bind::<Nullable<Timestamp>, _>(None::<chrono::NaiveDateTime>)
                    }
                    ColumnKind::Json => query.bind::<Nullable<Json>, _>(None::<serde_json::Value>),
                },
                ColumnValue::Bool(value) => query.bind::<Bool, _>(value),
                ColumnValue::SmallInt(value) => query.bind::<SmallInt, _>(value),
                ColumnValue::Integer(value) => query.bind::<Integer, _>(value),
                ColumnValue::BigInt(value) => query.bind::<BigInt, _>(value),
                ColumnValue::Float(value) => query.bind::<Float, _>(value),
                ColumnValue::Double(value) => query.bind::<Double, _>(value),
                ColumnValue::Text(value) => query.bind::<Text, _>(value),
                ColumnValue::Timestamp(value) => query.bind::<Timestamp, _>(value),
                ColumnValue::Json(value) => query.bind::<Json, _>(value),
            };
        }
        query
    }};
}

// One impl per backend: diesel's boxed queries are typed by backend, and spelling the
// bounds generically would cost more lines than the two expansions do.
macro_rules! link_connection {
    ($(#[$attr:meta])* $connection:ty, $backend:ty, $dialect:expr) => {
        $(#[$attr])*
        impl sealed::Sealed for $connection {}

        $(#[$attr])*
        impl LinkConnection for $connection {
            const DIALECT: Dialect = $dialect;

            fn execute_bound(
                &mut self,
                sql: &str,
                binds: &[ColumnValue<'_>],
            ) -> QueryResult<usize> {
                let query: BoxedSqlQuery<'_, $backend, SqlQuery> =
                    diesel::sql_query(sql).into_boxed();
                bind_values!(query, binds).execute(self)
            }

            fn load_text(
                &mut self,
                sql: &str,
                binds: &[ColumnValue<'_>],
            ) -> QueryResult<Vec<String>> {
                let rows: Vec<TextValue> = self.load_rows(sql, binds)?;
                Ok(rows.into_iter().map(|row| row.value).collect())
            }

            fn load_json(
                &mut self,
                sql: &str,
                binds: &[ColumnValue<'_>],
            ) -> QueryResult<Vec<Vec<serde_json::Value>>> {
                let query: BoxedSqlQuery<'_, $backend, SqlQuery> =
                    diesel::sql_query(sql).into_boxed();
                let rows: Vec<JsonRow> = bind_values!(query, binds).load(self)?;
                Ok(rows.into_iter().map(|row| row.0).collect())
            }

            fn load_rows<R: LoadRow>(
                &mut self,
                sql: &str,
                binds: &[ColumnValue<'_>],
            ) -> QueryResult<Vec<R>> {
                let query: BoxedSqlQuery<'_, $backend, SqlQuery> =
                    diesel::sql_query(sql).into_boxed();
                bind_values!(query, binds).load(self)
            }
        }
    };
}

link_connection!(
    #[cfg(feature = "sqlite")]
    diesel::SqliteConnection,
    diesel::sqlite::Sqlite,
    Dialect::Sqlite
);

link_connection!(
    #[cfg(feature = "postgres")]
    diesel::PgConnection,
    diesel::pg::Pg,
    Dialect::Postgres
);
