//! The values of columns, and the kinds of value a column holds.

use chrono::NaiveDateTime;

/// The Rust types an extra column can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ColumnKind {
    /// `bool`
    Bool,
    /// `i16`
    SmallInt,
    /// `i32`
    Integer,
    /// `i64`
    BigInt,
    /// `f32`
    Float,
    /// `f64`
    Double,
    /// `String`
    Text,
    /// `chrono::NaiveDateTime` (UTC)
    Timestamp,
    /// `serde_json::Value`: `JSONB` on PostgreSQL, JSON text on SQLite
    /// ([`sql_types::Json`](crate::sql_types::Json)).
    Json,
}

/// A value to bind to an extra column.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ColumnValue<'a> {
    /// SQL NULL of a column of the given kind.
    Null(ColumnKind),
    /// A boolean.
    Bool(bool),
    /// A 16-bit integer.
    SmallInt(i16),
    /// A 32-bit integer.
    Integer(i32),
    /// A 64-bit integer.
    BigInt(i64),
    /// A 32-bit float.
    Float(f32),
    /// A 64-bit float.
    Double(f64),
    /// Text.
    Text(&'a str),
    /// A timestamp (UTC).
    Timestamp(NaiveDateTime),
    /// A JSON document.
    Json(&'a serde_json::Value),
}

/// A Rust type that an extra column can hold.
///
/// ```
/// use link_runtime::{ColumnKind, ColumnValue, ToColumnValue};
///
/// assert_eq!(true.to_column_value(), ColumnValue::Bool(true));
/// assert_eq!(None::<i32>.to_column_value(), ColumnValue::Null(ColumnKind::Integer));
/// ```
pub trait ToColumnValue {
    /// The column kind the type maps to.
    const KIND: ColumnKind;
    /// The value to bind.
    fn to_column_value(&self) -> ColumnValue<'_>;
}

macro_rules! to_column_value {
    ($($ty:ty => $kind:ident),* $(,)?) => {$(
        impl ToColumnValue for $ty {
            const KIND: ColumnKind = ColumnKind::$kind;
            fn to_column_value(&self) -> ColumnValue<'_> {
                ColumnValue::$kind(*self)
            }
        }
    )*};
}

to_column_value! {
    bool => Bool,
    i16 => SmallInt,
    i32 => Integer,
    i64 => BigInt,
    f32 => Float,
    f64 => Double,
    NaiveDateTime => Timestamp,
}

impl ToColumnValue for String {
    const KIND: ColumnKind = ColumnKind::Text;
    fn to_column_value(&self) -> ColumnValue<'_> {
        ColumnValue::Text(self)
    }
}

impl ToColumnValue for serde_json::Value {
    const KIND: ColumnKind = ColumnKind::Json;
    fn to_column_value(&self) -> ColumnValue<'_> {
        ColumnValue::Json(self)
    }
}

impl<T: ToColumnValue> ToColumnValue for Option<T> {
    const KIND: ColumnKind = T::KIND;
    fn to_column_value(&self) -> ColumnValue<'_> {
        match self {
            Some(value) => value.to_column_value(),
            None => ColumnValue::Null(T::KIND),
        }
    }
}
