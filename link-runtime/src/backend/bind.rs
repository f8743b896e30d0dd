//! The one place a statement's values are bound, and run, per backend.

use diesel::connection::LoadConnection;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{
    BigInt, Bool, Double, Float, Integer, Nullable, SmallInt, Text, Timestamp,
};
use diesel::{Connection, QueryResult};

use super::row::LoadRow;
use crate::definition::{ColumnKind, ColumnValue};
use crate::dialect::Dialect;
use crate::sql_types::Json;

/// A diesel backend links can be stored in: SQLite (feature `sqlite`) and PostgreSQL
/// (feature `postgres`).
///
/// Any connection whose backend is one of these can run the runtime: the blocking API takes
/// any diesel [`Connection`] of such a backend ([`LinkConnection`](crate::LinkConnection)),
/// and `link_runtime::aio` any diesel-async connection of one.
pub trait LinkBackend: diesel::backend::Backend + sealed::Sealed {
    /// The backend's SQL dialect.
    const DIALECT: Dialect;

    /// Runs one statement with `binds` as its parameters; returns the affected row count.
    #[doc(hidden)]
    fn execute<C>(conn: &mut C, sql: &str, binds: &[ColumnValue<'_>]) -> QueryResult<usize>
    where
        C: Connection<Backend = Self>;

    /// Runs a query and reads its rows.
    #[doc(hidden)]
    fn load<C, R>(conn: &mut C, sql: &str, binds: &[ColumnValue<'_>]) -> QueryResult<Vec<R>>
    where
        C: Connection<Backend = Self> + LoadConnection,
        R: LoadRow;

    /// [`execute`](Self::execute) on a diesel-async connection.
    #[cfg(feature = "async")]
    #[doc(hidden)]
    fn execute_async<'c, C>(
        conn: &'c mut C,
        sql: &'c str,
        binds: &'c [ColumnValue<'c>],
    ) -> impl std::future::Future<Output = QueryResult<usize>> + Send + 'c
    where
        C: diesel_async::AsyncConnectionCore<Backend = Self>;

    /// [`load`](Self::load) on a diesel-async connection.
    #[cfg(feature = "async")]
    #[doc(hidden)]
    fn load_async<'c, C, R>(
        conn: &'c mut C,
        sql: &'c str,
        binds: &'c [ColumnValue<'c>],
    ) -> impl std::future::Future<Output = QueryResult<Vec<R>>> + Send + 'c
    where
        C: diesel_async::AsyncConnectionCore<Backend = Self>,
        R: LoadRow;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! bound {
    ($backend:ty, $sql:expr, $binds:expr) => {{
        let mut query: BoxedSqlQuery<'_, $backend, SqlQuery> = diesel::sql_query($sql).into_boxed();
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

// One impl per backend: diesel's boxed queries are typed by backend, and a row type is known
// to be readable on a backend only through that backend's bound in `LoadRow`.
macro_rules! link_backend {
    ($(#[$attr:meta])* $backend:ty, $dialect:expr) => {
        $(#[$attr])*
        impl sealed::Sealed for $backend {}

        $(#[$attr])*
        impl LinkBackend for $backend {
            const DIALECT: Dialect = $dialect;

            fn execute<C>(conn: &mut C, sql: &str, binds: &[ColumnValue<'_>]) -> QueryResult<usize>
            where
                C: Connection<Backend = Self>,
            {
                diesel::RunQueryDsl::execute(bound!($backend, sql, binds), conn)
            }

            fn load<C, R>(conn: &mut C, sql: &str, binds: &[ColumnValue<'_>]) -> QueryResult<Vec<R>>
            where
                C: Connection<Backend = Self> + LoadConnection,
                R: LoadRow,
            {
                diesel::RunQueryDsl::load(bound!($backend, sql, binds), conn)
            }

            #[cfg(feature = "async")]
            fn execute_async<'c, C>(
                conn: &'c mut C,
                sql: &'c str,
                binds: &'c [ColumnValue<'c>],
            ) -> impl std::future::Future<Output = QueryResult<usize>> + Send + 'c
            where
                C: diesel_async::AsyncConnectionCore<Backend = Self>,
            {
                diesel_async::RunQueryDsl::execute(bound!($backend, sql, binds), conn)
            }

            #[cfg(feature = "async")]
            fn load_async<'c, C, R>(
                conn: &'c mut C,
                sql: &'c str,
                binds: &'c [ColumnValue<'c>],
            ) -> impl std::future::Future<Output = QueryResult<Vec<R>>> + Send + 'c
            where
                C: diesel_async::AsyncConnectionCore<Backend = Self>,
                R: LoadRow,
            {
                diesel_async::RunQueryDsl::load(bound!($backend, sql, binds), conn)
            }
        }
    };
}

link_backend!(
    #[cfg(feature = "sqlite")]
    diesel::sqlite::Sqlite,
    Dialect::Sqlite
);

link_backend!(
    #[cfg(feature = "postgres")]
    diesel::pg::Pg,
    Dialect::Postgres
);
