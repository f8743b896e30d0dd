//! The one place a statement's values are bound, and run, per backend.

use diesel::connection::LoadConnection;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{
    BigInt, Binary, Bool, Date, Double, Float, Integer, Nullable, SmallInt, Text, Time, Timestamp,
};
use std::any::TypeId;
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;
use std::sync::{Mutex, OnceLock, PoisonError, RwLock};

use diesel::sql_types::Untyped;
use diesel::{Connection, QueryResult};

use super::row::LoadRow;
use crate::definition::{ArrayElement, ArrayValue, ColumnKind, ColumnValue};
use crate::dialect::Dialect;
#[cfg(feature = "decimal")]
use crate::sql_types::ExactDecimal;
use crate::sql_types::{Array, Json, TimestampTz};

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
    fn execute<C, K: Key>(conn: &mut C, statement: Statement<'_, K>) -> QueryResult<usize>
    where
        C: Connection<Backend = Self>;

    /// Runs a query and reads its rows.
    #[doc(hidden)]
    fn load<C, K: Key, R>(conn: &mut C, statement: Statement<'_, K>) -> QueryResult<Vec<R>>
    where
        C: Connection<Backend = Self> + LoadConnection,
        R: LoadRow;

    /// Runs a query and hands its rows to `each` as they are read, until it returns
    /// `false`; returns how many rows it handed over.
    #[doc(hidden)]
    fn load_each<C, K: Key, R>(
        conn: &mut C,
        statement: Statement<'_, K>,
        each: &mut (dyn FnMut(R) -> bool + Send),
    ) -> QueryResult<usize>
    where
        C: Connection<Backend = Self> + LoadConnection,
        R: LoadRow;

    /// [`execute`](Self::execute) on a diesel-async connection.
    #[cfg(feature = "async")]
    #[doc(hidden)]
    fn execute_async<'c, C, K: Key>(
        conn: &'c mut C,
        statement: Statement<'c, K>,
    ) -> impl std::future::Future<Output = QueryResult<usize>> + Send + 'c
    where
        C: diesel_async::AsyncConnectionCore<Backend = Self>;

    /// [`load_each`](Self::load_each) on a diesel-async connection.
    #[cfg(feature = "async")]
    #[doc(hidden)]
    fn load_each_async<'c, C, K: Key, R>(
        conn: &'c mut C,
        statement: Statement<'c, K>,
        each: &'c mut (dyn FnMut(R) -> bool + Send),
    ) -> impl std::future::Future<Output = QueryResult<usize>> + Send + 'c
    where
        C: diesel_async::AsyncConnectionCore<Backend = Self>,
        R: LoadRow;

    /// [`load`](Self::load) on a diesel-async connection.
    #[cfg(feature = "async")]
    #[doc(hidden)]
    fn load_async<'c, C, K: Key, R>(
        conn: &'c mut C,
        statement: Statement<'c, K>,
    ) -> impl std::future::Future<Output = QueryResult<Vec<R>>> + Send + 'c
    where
        C: diesel_async::AsyncConnectionCore<Backend = Self>,
        R: LoadRow;
}

mod sealed {
    pub trait Sealed {}
}

/// A statement as the drivers hand it to diesel: the runtime's SQL, written with the
/// dialect's placeholders (`?`, or `$1`, `$2`, ..), and the values they stand for.
///
/// Like `diesel::sql_query`, a statement is prepared anew each time it runs, unless it is
/// kept prepared in the connection's statement cache: keyed by a type `K` of its own
/// ([`Statement::keyed`], found again as diesel finds its typed queries: the fixed
/// statements every single write runs), or by its text ([`Statement::shaped`]: the
/// statements of a request's shape, a bounded number of them per process). Statements whose
/// text depends on the data (a batch's `VALUES` list) are never kept.
#[doc(hidden)]
pub struct Statement<'a, K = ()> {
    sql: &'a str,
    binds: &'a [ColumnValue<'a>],
    /// Whether the statement is kept prepared, found again by its text.
    by_text: bool,
    key: PhantomData<fn() -> K>,
}

impl<'a> Statement<'a> {
    /// A statement prepared for this run only.
    pub(crate) fn once(sql: &'a str, binds: &'a [ColumnValue<'a>]) -> Self {
        Statement {
            sql,
            binds,
            by_text: false,
            key: PhantomData,
        }
    }

    /// A statement whose text depends on the shape of a request, not on its data (every
    /// value bound, every list one bound array): kept prepared, and found again by its
    /// text, if it is one of the first [`SHAPES`] texts the process asks to keep; prepared
    /// anew each run otherwise. A request shape costs one round trip less on a connection
    /// that prepares before it runs (diesel-async's PostgreSQL), and the caches of
    /// long-lived connections stay bounded whatever shapes clients send.
    pub(crate) fn shaped(sql: &'a str, binds: &'a [ColumnValue<'a>]) -> Self {
        Statement {
            sql,
            binds,
            by_text: admitted(sql),
            key: PhantomData,
        }
    }
}

impl<'a, K: Key> Statement<'a, K> {
    /// A statement kept prepared across runs, found again by the type `K` alone, as
    /// diesel finds its own typed queries: for the hottest statements, whose text is then
    /// neither rebuilt nor hashed to be found. One `K` must always mean one text.
    pub(crate) fn keyed(sql: &'a str, binds: &'a [ColumnValue<'a>]) -> Self {
        Statement {
            sql,
            binds,
            by_text: false,
            key: PhantomData,
        }
    }
}

/// How many statement texts a process keeps prepared by their text ([`Statement::shaped`]).
pub(crate) const SHAPES: usize = 1_000;

/// Whether `sql` is one of the texts kept prepared: it is, if it was admitted before or
/// fewer than [`SHAPES`] were.
fn admitted(sql: &str) -> bool {
    use std::hash::BuildHasher;
    type Admitted = Mutex<(HashSet<u64>, RandomState)>;
    static ADMITTED: OnceLock<Admitted> = OnceLock::new();
    let admitted = ADMITTED.get_or_init(Admitted::default);
    let mut admitted = admitted.lock().unwrap_or_else(PoisonError::into_inner);
    let (texts, state) = &mut *admitted;
    let hash = state.hash_one(sql);
    texts.contains(&hash) || (texts.len() < SHAPES && texts.insert(hash))
}

/// The text of the keyed statement `K` in `dialect`, built once per process: the hottest
/// statements are neither rebuilt nor found by their text. Texts live as long as the
/// process; there is one per key and dialect, a handful per link.
pub(crate) fn keyed_text<K: Key>(dialect: Dialect, build: impl FnOnce() -> String) -> &'static str {
    type Texts = RwLock<HashMap<(TypeId, Dialect), &'static str>>;
    static TEXTS: OnceLock<Texts> = OnceLock::new();
    let texts = TEXTS.get_or_init(Texts::default);
    let key = (TypeId::of::<K>(), dialect);
    if let Some(text) = texts
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return text;
    }
    let mut texts = texts.write().unwrap_or_else(PoisonError::into_inner);
    texts
        .entry(key)
        .or_insert_with(|| Box::leak(build().into_boxed_str()))
}

impl<'a, K> Statement<'a, K> {
    /// Its SQL text, placeholders and all: never a value.
    pub(crate) fn sql(&self) -> &'a str {
        self.sql
    }
}

impl<K> std::fmt::Debug for Statement<'_, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Statement")
            .field("sql", &self.sql)
            .field("binds", &self.binds)
            .finish()
    }
}

/// What identifies a kept statement: `()` for its text, or a type of its own.
#[doc(hidden)]
pub trait Key: 'static {
    /// Whether the type is the key (rather than the text).
    const BY_TYPE: bool;
}

impl Key for () {
    const BY_TYPE: bool = false;
}

impl<K: Key> QueryId for Statement<'_, K> {
    type QueryId = K;
    const HAS_STATIC_QUERY_ID: bool = K::BY_TYPE;
}

impl<K> Query for Statement<'_, K> {
    type SqlType = Untyped;
}

// Both diesel's `RunQueryDsl` and diesel-async's, through their blanket impls.
impl<K> diesel::query_dsl::RunQueryDslSupport for Statement<'_, K> {}

/// The SQL text of `sql` between its placeholders, each followed by the index of the bind
/// it stands for: `?` in order, or `$n` for the `n`th. Quoted text and names are skipped.
fn segments(sql: &str, dialect: Dialect) -> impl Iterator<Item = (&str, Option<usize>)> {
    let marker = match dialect {
        Dialect::Sqlite => b'?',
        Dialect::Postgres => b'$',
    };
    let bytes = sql.as_bytes();
    let (mut start, mut at, mut next) = (0, 0, 0);
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        while let Some(found) = bytes[at..]
            .iter()
            .position(|&b| b == marker || b == b'\'' || b == b'"')
        {
            at += found;
            let byte = bytes[at];
            if byte != marker {
                // A quoted string or name: up to its closing quote (a doubled quote
                // closes and reopens it).
                at += 1 + bytes[at + 1..]
                    .iter()
                    .position(|&b| b == byte)
                    .map_or(bytes.len() - at - 1, |end| end + 1);
                continue;
            }
            let text = &sql[start..at];
            at += 1;
            let index = if dialect == Dialect::Sqlite {
                next += 1;
                Some(next - 1)
            } else {
                let digits = bytes[at..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                if digits == 0 {
                    continue;
                }
                let n: usize = sql[at..at + digits].parse().unwrap_or(0);
                at += digits;
                n.checked_sub(1)
            };
            start = at;
            return Some((text, index));
        }
        done = true;
        Some((&sql[start..], None))
    })
}

// One impl per backend: binding a value is typed by backend, and a row type is known to be
// readable on a backend only through that backend's bound in `LoadRow`.
macro_rules! link_backend {
    ($(#[$attr:meta])* $backend:ty, $dialect:expr) => {
        $(#[$attr])*
        impl sealed::Sealed for $backend {}

        $(#[$attr])*
        impl<K: Key> QueryFragment<$backend> for Statement<'_, K> {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, $backend>) -> QueryResult<()> {
                if !K::BY_TYPE && !self.by_text {
                    out.unsafe_to_cache_prepared();
                }
                for (text, bind) in segments(self.sql, $dialect) {
                    out.push_sql(text);
                    let Some(bind) = bind else { continue };
                    let value = self.binds.get(bind).ok_or_else(|| {
                        diesel::result::Error::QueryBuilderError(
                            format!("no value for placeholder {} of: {}", bind + 1, self.sql).into(),
                        )
                    })?;
                    match value {
                        ColumnValue::Null(kind) => match kind {
                            ColumnKind::Bool => out.push_bind_param::<Nullable<Bool>, _>(&None::<bool>)?,
                            ColumnKind::SmallInt => out.push_bind_param::<Nullable<SmallInt>, _>(&None::<i16>)?,
                            ColumnKind::Integer => out.push_bind_param::<Nullable<Integer>, _>(&None::<i32>)?,
                            ColumnKind::BigInt => out.push_bind_param::<Nullable<BigInt>, _>(&None::<i64>)?,
                            ColumnKind::Float => out.push_bind_param::<Nullable<Float>, _>(&None::<f32>)?,
                            ColumnKind::Double => out.push_bind_param::<Nullable<Double>, _>(&None::<f64>)?,
                            ColumnKind::Text => out.push_bind_param::<Nullable<Text>, _>(&None::<String>)?,
                            ColumnKind::Timestamp => out
                                .push_bind_param::<Nullable<Timestamp>, _>(&None::<chrono::NaiveDateTime>)?,
                            ColumnKind::Json => {
                                out.push_bind_param::<Nullable<Json>, _>(&None::<serde_json::Value>)?
                            }
                            ColumnKind::TimestampTz => out.push_bind_param::<Nullable<TimestampTz>, _>(
                                &None::<chrono::DateTime<chrono::Utc>>,
                            )?,
                            ColumnKind::Date => {
                                out.push_bind_param::<Nullable<Date>, _>(&None::<chrono::NaiveDate>)?
                            }
                            ColumnKind::Time => {
                                out.push_bind_param::<Nullable<Time>, _>(&None::<chrono::NaiveTime>)?
                            }
                            #[cfg(feature = "decimal")]
                            ColumnKind::Decimal => out
                                .push_bind_param::<Nullable<ExactDecimal>, _>(&None::<bigdecimal::BigDecimal>)?,
                            #[cfg(feature = "uuid")]
                            ColumnKind::Uuid => out.push_bind_param::<Nullable<crate::sql_types::Uuid>, _>(
                                &None::<uuid::Uuid>,
                            )?,
                            ColumnKind::Bytes => out.push_bind_param::<Nullable<Binary>, _>(&None::<Vec<u8>>)?,
                            ColumnKind::Enum(_) => out.push_bind_param::<Nullable<Text>, _>(&None::<String>)?,
                            ColumnKind::Array(element) => match element {
                                ArrayElement::Text => out
                                    .push_bind_param::<Nullable<Array<Text>>, _>(&None::<Vec<String>>)?,
                                ArrayElement::Integer => out
                                    .push_bind_param::<Nullable<Array<Integer>>, _>(&None::<Vec<i32>>)?,
                                ArrayElement::BigInt => out
                                    .push_bind_param::<Nullable<Array<BigInt>>, _>(&None::<Vec<i64>>)?,
                                ArrayElement::Double => out
                                    .push_bind_param::<Nullable<Array<Double>>, _>(&None::<Vec<f64>>)?,
                                ArrayElement::Bool => out
                                    .push_bind_param::<Nullable<Array<Bool>>, _>(&None::<Vec<bool>>)?,
                            },
                            // A kind whose feature is off has no Rust type, so no column of it.
                            #[allow(unreachable_patterns)]
                            other => {
                                return Err(diesel::result::Error::QueryBuilderError(
                                    format!("no value of {other:?} without its feature").into(),
                                ))
                            }
                        },
                        ColumnValue::Bool(value) => out.push_bind_param::<Bool, _>(value)?,
                        ColumnValue::SmallInt(value) => out.push_bind_param::<SmallInt, _>(value)?,
                        ColumnValue::Integer(value) => out.push_bind_param::<Integer, _>(value)?,
                        ColumnValue::BigInt(value) => out.push_bind_param::<BigInt, _>(value)?,
                        ColumnValue::Float(value) => out.push_bind_param::<Float, _>(value)?,
                        ColumnValue::Double(value) => out.push_bind_param::<Double, _>(value)?,
                        ColumnValue::Text(value) => out.push_bind_param::<Text, _>(*value)?,
                        ColumnValue::Timestamp(value) => out.push_bind_param::<Timestamp, _>(value)?,
                        ColumnValue::Json(value) => out.push_bind_param::<Json, _>(*value)?,
                        ColumnValue::TimestampTz(value) => out.push_bind_param::<TimestampTz, _>(value)?,
                        ColumnValue::Date(value) => out.push_bind_param::<Date, _>(value)?,
                        ColumnValue::Time(value) => out.push_bind_param::<Time, _>(value)?,
                        #[cfg(feature = "decimal")]
                        ColumnValue::Decimal(value) => out.push_bind_param::<ExactDecimal, _>(*value)?,
                        #[cfg(feature = "uuid")]
                        ColumnValue::Uuid(value) => {
                            out.push_bind_param::<crate::sql_types::Uuid, _>(value)?
                        }
                        ColumnValue::Bytes(value) => out.push_bind_param::<Binary, _>(*value)?,
                        ColumnValue::Array(values) => match values {
                            ArrayValue::Text(values) => out.push_bind_param::<Array<Text>, _>(*values)?,
                            ArrayValue::Integer(values) => out.push_bind_param::<Array<Integer>, _>(*values)?,
                            ArrayValue::BigInt(values) => out.push_bind_param::<Array<BigInt>, _>(*values)?,
                            ArrayValue::Double(values) => out.push_bind_param::<Array<Double>, _>(*values)?,
                            ArrayValue::Bool(values) => out.push_bind_param::<Array<Bool>, _>(*values)?,
                        },
                    }
                }
                Ok(())
            }
        }

        $(#[$attr])*
        impl LinkBackend for $backend {
            const DIALECT: Dialect = $dialect;

            fn execute<C, K: Key>(conn: &mut C, statement: Statement<'_, K>) -> QueryResult<usize>
            where
                C: Connection<Backend = Self>,
            {
                diesel::RunQueryDsl::execute(statement, conn)
            }

            fn load<C, K: Key, R>(conn: &mut C, statement: Statement<'_, K>) -> QueryResult<Vec<R>>
            where
                C: Connection<Backend = Self> + LoadConnection,
                R: LoadRow,
            {
                diesel::RunQueryDsl::load(statement, conn)
            }

            fn load_each<C, K: Key, R>(
                conn: &mut C,
                statement: Statement<'_, K>,
                each: &mut (dyn FnMut(R) -> bool + Send),
            ) -> QueryResult<usize>
            where
                C: Connection<Backend = Self> + LoadConnection,
                R: LoadRow,
            {
                let rows = diesel::RunQueryDsl::load_iter::<R, diesel::connection::DefaultLoadingMode>(
                    statement, conn,
                )?;
                let mut handed = 0;
                for row in rows {
                    handed += 1;
                    if !each(row?) {
                        break;
                    }
                }
                Ok(handed)
            }

            #[cfg(feature = "async")]
            fn load_each_async<'c, C, K: Key, R>(
                conn: &'c mut C,
                statement: Statement<'c, K>,
                each: &'c mut (dyn FnMut(R) -> bool + Send),
            ) -> impl std::future::Future<Output = QueryResult<usize>> + Send + 'c
            where
                C: diesel_async::AsyncConnectionCore<Backend = Self>,
                R: LoadRow,
            {
                async move {
                    use futures_util::TryStreamExt;
                    let rows = diesel_async::RunQueryDsl::load_stream(statement, conn).await?;
                    let mut rows = std::pin::pin!(rows);
                    let mut handed = 0;
                    while let Some(row) = rows.try_next().await? {
                        handed += 1;
                        if !each(row) {
                            break;
                        }
                    }
                    Ok(handed)
                }
            }

            #[cfg(feature = "async")]
            fn execute_async<'c, C, K: Key>(
                conn: &'c mut C,
                statement: Statement<'c, K>,
            ) -> impl std::future::Future<Output = QueryResult<usize>> + Send + 'c
            where
                C: diesel_async::AsyncConnectionCore<Backend = Self>,
            {
                diesel_async::RunQueryDsl::execute(statement, conn)
            }

            #[cfg(feature = "async")]
            fn load_async<'c, C, K: Key, R>(
                conn: &'c mut C,
                statement: Statement<'c, K>,
            ) -> impl std::future::Future<Output = QueryResult<Vec<R>>> + Send + 'c
            where
                C: diesel_async::AsyncConnectionCore<Backend = Self>,
                R: LoadRow,
            {
                diesel_async::RunQueryDsl::load(statement, conn)
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
