//! The values of columns, and the kinds of value a column holds.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

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
    /// `chrono::DateTime<Utc>`: `TIMESTAMPTZ` on PostgreSQL, text with its offset on SQLite
    /// ([`sql_types::TimestampTz`](crate::sql_types::TimestampTz)); RFC 3339 with `Z` in
    /// graph JSON.
    TimestampTz,
    /// `chrono::NaiveDate`: `DATE`; `YYYY-MM-DD` in graph JSON.
    Date,
    /// `chrono::NaiveTime`: `TIME`; `HH:MM:SS[.fff]` in graph JSON.
    Time,
    /// `serde_json::Value`: `JSONB` on PostgreSQL, JSON text on SQLite
    /// ([`sql_types::Json`](crate::sql_types::Json)).
    Json,
    /// `bigdecimal::BigDecimal` (feature `decimal`): `NUMERIC` on PostgreSQL, its exact
    /// text on SQLite ([`sql_types::ExactDecimal`](crate::sql_types::ExactDecimal)); a string in
    /// graph JSON, so that no digit is lost.
    Decimal,
    /// `uuid::Uuid` (feature `uuid`): `UUID` on PostgreSQL, its hyphenated text on SQLite
    /// ([`sql_types::Uuid`](crate::sql_types::Uuid)); the hyphenated string in graph JSON.
    Uuid,
    /// `Vec<u8>`: `BYTEA` on PostgreSQL, `BLOB` on SQLite; base64 (standard alphabet,
    /// padded) in graph JSON ([`base64_bytes`](crate::base64_bytes) reads it back).
    Bytes,
    /// An enum of unit variants deriving [`ColumnEnum`](crate::ColumnEnum): `TEXT` with a
    /// `CHECK` that it holds one of these texts (the variants', in declaration order), on
    /// both backends; the text in graph JSON.
    Enum(&'static [&'static str]),
    /// `Vec<T>` of the element's type: an array on PostgreSQL (`TEXT[]`, `INTEGER[]`, ..),
    /// a JSON array in text on SQLite
    /// ([`sql_types::Array`](crate::sql_types::Array)); a JSON array in graph JSON.
    Array(ArrayElement),
}

/// The element types of an array column ([`ColumnKind::Array`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArrayElement {
    /// `String`: `TEXT[]` on PostgreSQL.
    Text,
    /// `i32`: `INTEGER[]`.
    Integer,
    /// `i64`: `BIGINT[]`.
    BigInt,
    /// `f64`: `DOUBLE PRECISION[]`.
    Double,
    /// `bool`: `BOOLEAN[]`.
    Bool,
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
    /// A point in time, with its offset (UTC).
    TimestampTz(DateTime<Utc>),
    /// A date.
    Date(NaiveDate),
    /// A time of day.
    Time(NaiveTime),
    /// An exact decimal.
    #[cfg(feature = "decimal")]
    Decimal(&'a bigdecimal::BigDecimal),
    /// A UUID.
    #[cfg(feature = "uuid")]
    Uuid(uuid::Uuid),
    /// Bytes.
    Bytes(&'a [u8]),
    /// An array, of any length (empty included).
    Array(ArrayValue<'a>),
}

/// The elements of an array to bind ([`ColumnValue::Array`]).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum ArrayValue<'a> {
    /// Texts.
    Text(&'a [String]),
    /// 32-bit integers.
    Integer(&'a [i32]),
    /// 64-bit integers.
    BigInt(&'a [i64]),
    /// 64-bit floats.
    Double(&'a [f64]),
    /// Booleans.
    Bool(&'a [bool]),
}

/// A Rust type that an extra column can hold.
///
/// ```
/// use link_runtime::{ColumnKind, ColumnValue, ToColumnValue};
///
/// assert_eq!(true.to_column_value(), ColumnValue::Bool(true));
/// assert_eq!(None::<i32>.to_column_value(), ColumnValue::Null(ColumnKind::Integer));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a type an extra column can hold",
    label = "not a column type",
    note = "extra columns hold bool, i16, i32, i64, f32, f64, String, chrono's NaiveDateTime, \
            DateTime<Utc>, NaiveDate and NaiveTime, BigDecimal, Uuid, Vec<u8>, serde_json::Value, \
            a Vec of String, i32, i64, f64 or bool, or Option of one of them",
    note = "an enum of unit variants is stored as text once it derives \
            `link_runtime::ColumnEnum`: `#[derive(ColumnEnum)] enum {Self} {{ .. }}`"
)]
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
    DateTime<Utc> => TimestampTz,
    NaiveDate => Date,
    NaiveTime => Time,
}

#[cfg(feature = "uuid")]
to_column_value! {
    uuid::Uuid => Uuid,
}

#[cfg(feature = "decimal")]
impl ToColumnValue for bigdecimal::BigDecimal {
    const KIND: ColumnKind = ColumnKind::Decimal;
    fn to_column_value(&self) -> ColumnValue<'_> {
        ColumnValue::Decimal(self)
    }
}

impl ToColumnValue for Vec<u8> {
    const KIND: ColumnKind = ColumnKind::Bytes;
    fn to_column_value(&self) -> ColumnValue<'_> {
        ColumnValue::Bytes(self)
    }
}

/// `ToColumnValue` for `Vec<$ty>`, an array of `$element`s.
macro_rules! array_column_value {
    ($($ty:ty => $element:ident),* $(,)?) => {$(
        impl ToColumnValue for Vec<$ty> {
            const KIND: ColumnKind = ColumnKind::Array(ArrayElement::$element);
            fn to_column_value(&self) -> ColumnValue<'_> {
                ColumnValue::Array(ArrayValue::$element(self))
            }
        }
    )*};
}

array_column_value! {
    String => Text,
    i32 => Integer,
    i64 => BigInt,
    f64 => Double,
    bool => Bool,
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

/// Bytes as graph JSON writes them, base64 (standard alphabet, padded), for serde's
/// `with`: what a typed graph query reads a `Vec<u8>` column with.
///
/// ```
/// #[derive(serde::Deserialize, serde::Serialize)]
/// struct Attachment {
///     #[serde(with = "link_runtime::base64_bytes")]
///     digest: Vec<u8>,
/// }
///
/// let read: Attachment = serde_json::from_str(r#"{ "digest": "AAH/" }"#).unwrap();
/// assert_eq!(read.digest, [0, 1, 255]);
/// assert_eq!(serde_json::to_string(&read).unwrap(), r#"{"digest":"AAH/"}"#);
/// ```
pub mod base64_bytes {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    /// The text of `bytes`.
    pub(crate) fn encode(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    /// Writes `bytes` as base64 text.
    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&encode(bytes))
    }

    /// Reads base64 text into bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}
