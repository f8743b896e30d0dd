//! The databases links can live in, and the one place that binds values per backend.

use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{
    BigInt, Bool, Double, Float, Integer, Nullable, SmallInt, Text, Timestamp,
};
use diesel::{QueryResult, QueryableByName, RunQueryDsl};

use crate::definition::{ColumnKind, ColumnValue};

/// The SQL dialect of a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// SQLite (the embedded default, bundled).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Dialect {
    /// The bind placeholder for the `n`th parameter (1-based).
    pub(crate) fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => "?".to_owned(),
            Dialect::Postgres => format!("${n}"),
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
}

mod sealed {
    pub trait Sealed {}
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
                },
                ColumnValue::Bool(value) => query.bind::<Bool, _>(value),
                ColumnValue::SmallInt(value) => query.bind::<SmallInt, _>(value),
                ColumnValue::Integer(value) => query.bind::<Integer, _>(value),
                ColumnValue::BigInt(value) => query.bind::<BigInt, _>(value),
                ColumnValue::Float(value) => query.bind::<Float, _>(value),
                ColumnValue::Double(value) => query.bind::<Double, _>(value),
                ColumnValue::Text(value) => query.bind::<Text, _>(value),
                ColumnValue::Timestamp(value) => query.bind::<Timestamp, _>(value),
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
                let query: BoxedSqlQuery<'_, $backend, SqlQuery> =
                    diesel::sql_query(sql).into_boxed();
                let rows: Vec<TextValue> = bind_values!(query, binds).load(self)?;
                Ok(rows.into_iter().map(|row| row.value).collect())
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
