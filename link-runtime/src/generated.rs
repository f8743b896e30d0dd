//! What the code `define_link!` generates stands on: everything that would otherwise be
//! written out again for each link, written once here, generic over the link.
//!
//! - [`LinkOf`]: the type of every link. `define_link!` declares a marker `D` that
//!   implements [`Definition`] and `pub type Link = LinkOf<D>`, so that `Link::create`,
//!   `Link::dismiss`, `Link::list`, the SQL constants and the std traits of every link are
//!   written here once, and [`LinkDefinition`] is implemented once for all links.
//! - [`RowBackend`] and [`pivot_base`]: a link's `Row` read by column name (diesel's
//!   `QueryableByName`), its base columns by one generic function.
//! - [`PLACEHOLDER_SCHEMA`]: the schema of the stand-in a `define_link!` with an error
//!   expands to, so that the error is the only one.
//!
//! Generated code reaches these items through `link_runtime::__private`; users meet
//! `LinkOf`'s functions and constants as each link's `Link::create`, `Link::TABLE` and so on.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use diesel::backend::Backend;
use diesel::deserialize;
use diesel::row::NamedRow;
use diesel::sql_types::{
    BigInt, Binary, Bool, Date, Double, Float, Integer, Nullable, SmallInt, Text, Time, Timestamp,
};

use crate::backend::{LinkConnection, LoadRow};
use crate::column_enum::{self, ColumnEnum};
use crate::definition::{
    ExtraColumns, LinkDefinition, LinkSchema, Pair, PairWith, Side, Storage, WritableLink,
};
use crate::entity::EntitySchema;
use crate::error::Result;
use crate::id::Id;
use crate::linkable::Linkable;
use crate::service::{self, Created, ListFilter};
use crate::sql_types::{Array, Json, TimestampTz};

/// What `define_link!` declares about one link, on a marker type of its own: everything
/// [`LinkDefinition`] needs that differs from link to link. [`LinkOf<D>`](LinkOf) is the link.
pub trait Definition: 'static {
    /// The first model of the declaration.
    type Left: Linkable;
    /// The second model of the declaration.
    type Right: Linkable;
    /// The generated `Columns` struct, or `()` without extra columns.
    type Columns: ExtraColumns;
    /// The generated `Row` struct.
    type Row: LoadRow;
    /// The pivot table and the link's options.
    const SCHEMA: &'static LinkSchema;

    /// [`LinkDefinition::row_parts`].
    fn row_parts(row: &Self::Row) -> (Id<Self::Left>, Id<Self::Right>, Self::Columns);

    /// [`LinkDefinition::row_is_live`].
    fn row_is_live(row: &Self::Row) -> bool;
}

/// The schema of a link whose `define_link!` has an error, in the stand-in it expands to
/// besides the error. Never read: the crate does not compile.
pub const PLACEHOLDER_SCHEMA: &LinkSchema = &LinkSchema {
    table: "",
    storage: Storage::Pivot,
    id_prefix: "",
    left: PLACEHOLDER_SIDE,
    right: PLACEHOLDER_SIDE,
    columns: &[],
    indexes: &[],
    sqlite_sql: "",
    postgres_sql: "",
};

const PLACEHOLDER_SIDE: Side = Side {
    entity: &EntitySchema {
        module: "",
        model: "",
        table: "",
        primary_key: "",
        fields: &[],
    },
    column: "",
    graph_field: "",
    link_field: "",
    is_list: false,
    delete_cascade: false,
};

/// The marker of a link with a pivot table, which the runtime writes: what makes its link
/// ([`LinkOf`]) a [`WritableLink`]. A read-only link's marker does not implement it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is a read-only link: it has no pivot table to write",
    label = "a read-only link cannot be created, dismissed, updated or listed",
    note = "a read-only link's pairs are a column of its left model \
            (`define_link!(Review(field = product_id), Product, read_only)`): \
            set that column through the model's own module, and read the link with graph queries"
)]
pub trait Writable: Definition {}

impl<D: Writable> WritableLink for LinkOf<D> {}

/// The `Row` of a read-only link, which has no pivot rows: no value of it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoRow {}

impl<DB: Backend> diesel::QueryableByName<DB> for NoRow {
    fn build<'a>(_: &impl NamedRow<'a, DB>) -> deserialize::Result<Self> {
        Err("a read-only link has no pivot rows".into())
    }
}

/// The `Columns` struct of a link declared with `columns { .. }`: what gives its link
/// ([`LinkOf`]) `create_with` and `create_many_with`.
pub trait DeclaredColumns: ExtraColumns {}

/// A link: `product_brand::Link` is `LinkOf<D>` for the marker `D` of its `define_link!`
/// (`ProductToBrand`). It is a zero-sized type; its functions take the left model's ids
/// first.
pub struct LinkOf<D>(PhantomData<fn() -> D>);

impl<D: Definition> LinkDefinition for LinkOf<D> {
    type Left = D::Left;
    type Right = D::Right;
    type Columns = D::Columns;
    type Row = D::Row;
    const SCHEMA: &'static LinkSchema = D::SCHEMA;

    fn row_parts(row: &Self::Row) -> PairWith<Self> {
        D::row_parts(row)
    }

    fn row_is_live(row: &Self::Row) -> bool {
        D::row_is_live(row)
    }
}

impl<D: Definition> LinkOf<D> {
    /// The pivot table's name.
    pub const TABLE: &'static str = D::SCHEMA.table;
    /// The statements that create the pivot table and its indexes on SQLite.
    pub const SQLITE_SQL: &'static str = D::SCHEMA.sqlite_sql;
    /// The statements that create the pivot table and its indexes on PostgreSQL.
    pub const POSTGRES_SQL: &'static str = D::SCHEMA.postgres_sql;

    /// Links the left model's record `left` to the right model's `right`. Creating a live
    /// pair again changes nothing; creating a dismissed pair revives it; the result says
    /// which happened.
    ///
    /// # Errors
    ///
    /// [`Error::Cardinality`](crate::Error::Cardinality) if a record would get a second
    /// partner on a side that is not a list (nothing is written), and
    /// [`Error::Database`](crate::Error::Database) if the database refuses the statement.
    pub fn create<C: LinkConnection>(
        conn: &mut C,
        left: Id<D::Left>,
        right: Id<D::Right>,
    ) -> Result<Created>
    where
        D: Writable,
    {
        service::create::<Self, C>(conn, &left, &right)
    }

    /// Links many pairs in one transaction: all or nothing. Returns what happened to each
    /// pair, in order.
    ///
    /// # Errors
    ///
    /// As [`create`](Self::create), for any pair: then nothing of the batch is written.
    pub fn create_many<C: LinkConnection>(
        conn: &mut C,
        pairs: &[Pair<Self>],
    ) -> Result<Vec<Created>>
    where
        D: Writable,
    {
        service::create_many::<Self, C>(conn, pairs)
    }

    /// Dismisses the live link between `left` and `right` (a soft delete); returns whether
    /// there was one.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) if the database refuses the statement.
    pub fn dismiss<C: LinkConnection>(
        conn: &mut C,
        left: Id<D::Left>,
        right: Id<D::Right>,
    ) -> Result<bool>
    where
        D: Writable,
    {
        service::dismiss::<Self, C>(conn, &left, &right)
    }

    /// Dismisses the live links of many pairs in one statement per chunk; returns how many
    /// were live.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) if the database refuses a statement.
    pub fn dismiss_many<C: LinkConnection>(conn: &mut C, pairs: &[Pair<Self>]) -> Result<usize>
    where
        D: Writable,
    {
        service::dismiss_many::<Self, C>(conn, pairs)
    }

    /// The pivot rows of this link that `filter` selects by left and right ids; dismissed
    /// and deleted rows only when the filter asks for them.
    ///
    /// # Errors
    ///
    /// [`Error::Database`](crate::Error::Database) if the database refuses the query.
    pub fn list<C: LinkConnection>(conn: &mut C, filter: &ListFilter<Self>) -> Result<Vec<D::Row>>
    where
        D: Writable,
    {
        service::list::<Self, C>(conn, filter)
    }
}

impl<D: Definition<Columns: DeclaredColumns>> LinkOf<D> {
    /// Links `left` to `right` with values for the extra columns; an existing pair, live or
    /// dismissed, is live afterwards and takes the new values.
    ///
    /// # Errors
    ///
    /// As [`create`](Self::create).
    pub fn create_with<C: LinkConnection>(
        conn: &mut C,
        left: Id<D::Left>,
        right: Id<D::Right>,
        columns: D::Columns,
    ) -> Result<Created>
    where
        D: Writable,
    {
        service::create_with::<Self, C>(conn, &left, &right, &columns)
    }

    /// Links many pairs with values for the extra columns, in one transaction: all or
    /// nothing. Returns what happened to each pair, in order.
    ///
    /// # Errors
    ///
    /// As [`create`](Self::create), for any pair: then nothing of the batch is written.
    pub fn create_many_with<C: LinkConnection>(
        conn: &mut C,
        rows: &[PairWith<Self>],
    ) -> Result<Vec<Created>>
    where
        D: Writable,
    {
        service::create_many_with::<Self, C>(conn, rows)
    }

    /// Sets the extra column values of the live link between `left` and `right` (see
    /// [`service::update`]).
    ///
    /// # Errors
    ///
    /// [`Error::LinkNotFound`](crate::Error::LinkNotFound) if the pair is not linked:
    /// nothing is written.
    pub fn update<C: LinkConnection>(
        conn: &mut C,
        left: Id<D::Left>,
        right: Id<D::Right>,
        columns: D::Columns,
    ) -> Result<()>
    where
        D: Writable,
    {
        service::update::<Self, C>(conn, &left, &right, columns)
    }

    /// Sets the extra column values of the live links of many pairs, in one transaction:
    /// all or nothing (see [`service::update_many`]). Returns how many links were updated.
    ///
    /// # Errors
    ///
    /// [`Error::LinkNotFound`](crate::Error::LinkNotFound), naming every pair that is not
    /// linked: then nothing of the batch is written.
    pub fn update_many<C: LinkConnection>(conn: &mut C, rows: &[PairWith<Self>]) -> Result<usize>
    where
        D: Writable,
    {
        service::update_many::<Self, C>(conn, rows)
    }
}

// By hand: derives would ask `D` for the trait as well.

impl<D> Clone for LinkOf<D> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<D> Copy for LinkOf<D> {}

impl<D> Default for LinkOf<D> {
    fn default() -> Self {
        LinkOf(PhantomData)
    }
}

impl<D> PartialEq for LinkOf<D> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<D> Eq for LinkOf<D> {}

impl<D> Hash for LinkOf<D> {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

impl<D: Definition> fmt::Debug for LinkOf<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Link").field(&D::SCHEMA.table).finish()
    }
}

/// A backend a link's `Row` is read from by column name: SQLite and PostgreSQL, as their
/// features enable them.
pub trait RowBackend: Backend {
    /// The column `name` of `row`.
    fn column<'a, T: RowValue>(row: &impl NamedRow<'a, Self>, name: &str)
        -> deserialize::Result<T>;
}

/// A Rust type a pivot column holds: the ids, the timestamps and the types of extra
/// columns, each with its SQL type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a type an extra column can hold",
    label = "not a column type",
    note = "an enum of unit variants is stored as text once it derives \
            `link_runtime::ColumnEnum`: `#[derive(ColumnEnum)] enum {Self} {{ .. }}`"
)]
pub trait RowValue: Sized {
    /// The column `name` of a SQLite row.
    #[cfg(feature = "sqlite")]
    fn from_sqlite<'a>(
        row: &impl NamedRow<'a, diesel::sqlite::Sqlite>,
        name: &str,
    ) -> deserialize::Result<Self>;

    /// The column `name` of a PostgreSQL row.
    #[cfg(feature = "postgres")]
    fn from_postgres<'a>(
        row: &impl NamedRow<'a, diesel::pg::Pg>,
        name: &str,
    ) -> deserialize::Result<Self>;
}

#[cfg(feature = "sqlite")]
impl RowBackend for diesel::sqlite::Sqlite {
    fn column<'a, T: RowValue>(
        row: &impl NamedRow<'a, Self>,
        name: &str,
    ) -> deserialize::Result<T> {
        T::from_sqlite(row, name)
    }
}

#[cfg(feature = "postgres")]
impl RowBackend for diesel::pg::Pg {
    fn column<'a, T: RowValue>(
        row: &impl NamedRow<'a, Self>,
        name: &str,
    ) -> deserialize::Result<T> {
        T::from_postgres(row, name)
    }
}

/// `RowValue` for a type read as the SQL type `$sql`.
macro_rules! row_value {
    ($([$($generics:tt)*] $ty:ty => $sql:ty,)*) => {$(
        impl<$($generics)*> RowValue for $ty {
            #[cfg(feature = "sqlite")]
            fn from_sqlite<'a>(
                row: &impl NamedRow<'a, diesel::sqlite::Sqlite>,
                name: &str,
            ) -> deserialize::Result<Self> {
                NamedRow::get::<$sql, Self>(row, name)
            }

            #[cfg(feature = "postgres")]
            fn from_postgres<'a>(
                row: &impl NamedRow<'a, diesel::pg::Pg>,
                name: &str,
            ) -> deserialize::Result<Self> {
                NamedRow::get::<$sql, Self>(row, name)
            }
        }
    )*};
}

row_value! {
    [M: ?Sized] Id<M> => Text,
    [] bool => Bool,
    [] i16 => SmallInt,
    [] i32 => Integer,
    [] i64 => BigInt,
    [] f32 => Float,
    [] f64 => Double,
    [] String => Text,
    [] NaiveDateTime => Timestamp,
    [] serde_json::Value => Json,
    [] Option<bool> => Nullable<Bool>,
    [] Option<i16> => Nullable<SmallInt>,
    [] Option<i32> => Nullable<Integer>,
    [] Option<i64> => Nullable<BigInt>,
    [] Option<f32> => Nullable<Float>,
    [] Option<f64> => Nullable<Double>,
    [] Option<String> => Nullable<Text>,
    [] Option<NaiveDateTime> => Nullable<Timestamp>,
    [] Option<serde_json::Value> => Nullable<Json>,
    [] DateTime<Utc> => TimestampTz,
    [] NaiveDate => Date,
    [] NaiveTime => Time,
    [] Vec<u8> => Binary,
    [] Option<DateTime<Utc>> => Nullable<TimestampTz>,
    [] Option<NaiveDate> => Nullable<Date>,
    [] Option<NaiveTime> => Nullable<Time>,
    [] Option<Vec<u8>> => Nullable<Binary>,
}

row_value! {
    [] Vec<String> => Array<Text>,
    [] Vec<i32> => Array<Integer>,
    [] Vec<i64> => Array<BigInt>,
    [] Vec<f64> => Array<Double>,
    [] Vec<bool> => Array<Bool>,
    [] Option<Vec<String>> => Nullable<Array<Text>>,
    [] Option<Vec<i32>> => Nullable<Array<Integer>>,
    [] Option<Vec<i64>> => Nullable<Array<BigInt>>,
    [] Option<Vec<f64>> => Nullable<Array<Double>>,
    [] Option<Vec<bool>> => Nullable<Array<Bool>>,
}

/// An enum column: its text, read back into the variant.
#[diagnostic::do_not_recommend]
impl<T: ColumnEnum> RowValue for T {
    #[cfg(feature = "sqlite")]
    fn from_sqlite<'a>(
        row: &impl NamedRow<'a, diesel::sqlite::Sqlite>,
        name: &str,
    ) -> deserialize::Result<Self> {
        Ok(column_enum::read(&NamedRow::get::<Text, String>(
            row, name,
        )?)?)
    }

    #[cfg(feature = "postgres")]
    fn from_postgres<'a>(
        row: &impl NamedRow<'a, diesel::pg::Pg>,
        name: &str,
    ) -> deserialize::Result<Self> {
        Ok(column_enum::read(&NamedRow::get::<Text, String>(
            row, name,
        )?)?)
    }
}

/// A nullable enum column.
#[diagnostic::do_not_recommend]
impl<T: ColumnEnum> RowValue for Option<T> {
    #[cfg(feature = "sqlite")]
    fn from_sqlite<'a>(
        row: &impl NamedRow<'a, diesel::sqlite::Sqlite>,
        name: &str,
    ) -> deserialize::Result<Self> {
        let text = NamedRow::get::<Nullable<Text>, Option<String>>(row, name)?;
        Ok(text.map(|text| column_enum::read(&text)).transpose()?)
    }

    #[cfg(feature = "postgres")]
    fn from_postgres<'a>(
        row: &impl NamedRow<'a, diesel::pg::Pg>,
        name: &str,
    ) -> deserialize::Result<Self> {
        let text = NamedRow::get::<Nullable<Text>, Option<String>>(row, name)?;
        Ok(text.map(|text| column_enum::read(&text)).transpose()?)
    }
}

#[cfg(feature = "decimal")]
row_value! {
    [] bigdecimal::BigDecimal => crate::sql_types::ExactDecimal,
    [] Option<bigdecimal::BigDecimal> => Nullable<crate::sql_types::ExactDecimal>,
}

#[cfg(feature = "uuid")]
row_value! {
    [] uuid::Uuid => crate::sql_types::Uuid,
    [] Option<uuid::Uuid> => Nullable<crate::sql_types::Uuid>,
}

/// The columns every pivot row has, read by [`pivot_base`].
pub struct Base<D: Definition> {
    /// `id`.
    pub id: String,
    /// The left side's column.
    pub left: Id<D::Left>,
    /// The right side's column.
    pub right: Id<D::Right>,
    /// `created_at`.
    pub created_at: NaiveDateTime,
    /// `updated_at`.
    pub updated_at: NaiveDateTime,
    /// `deleted_at`.
    pub deleted_at: Option<NaiveDateTime>,
}

/// The base columns of a pivot row of `D`, by the names its schema gives them: what a
/// generated `Row` reads before its extra columns.
pub fn pivot_base<'a, DB: RowBackend, D: Definition>(
    row: &impl NamedRow<'a, DB>,
) -> deserialize::Result<Base<D>> {
    let schema = D::SCHEMA;
    Ok(Base {
        id: DB::column(row, "id")?,
        left: DB::column(row, schema.left.column)?,
        right: DB::column(row, schema.right.column)?,
        created_at: DB::column(row, "created_at")?,
        updated_at: DB::column(row, "updated_at")?,
        deleted_at: DB::column(row, "deleted_at")?,
    })
}
