//! Reading columns whatever their type: a row of JSON values, decoded from what the
//! database reports (SQLite's storage class, PostgreSQL's type oid), then shaped by the
//! field's declared kind (SQLite has no booleans and stores timestamps as text).
//!
//! The JSON form of each kind: timestamps with a time zone in RFC 3339 with `Z`, dates
//! `YYYY-MM-DD`, times `HH:MM:SS[.f]`, decimals as strings holding every digit, UUIDs
//! hyphenated, bytes in base64 (standard alphabet, padded), arrays as JSON arrays of
//! their elements (PostgreSQL's decoded by their type oid, SQLite's JSON text checked), an
//! enum's variant as its text.

use std::borrow::Cow;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use diesel::deserialize::{self, FromSqlRow};
use diesel::row::{Field, Row};
use diesel::sql_types::Untyped;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Number, Value};

use crate::definition::ColumnKind;
use crate::dialect::Dialect;

/// A row of any columns, as JSON values. (Public in a private module: a sink names it.)
pub struct JsonRow(pub(crate) Vec<Value>);

/// A row read by columns, whatever its form: what a graph query's statement checks in the
/// columns that end its rows. (Public in a private module: a sink's rows are bound by it.)
pub trait RowCells {
    /// How many columns the row has.
    fn columns(&self) -> usize;

    /// Column `i` as JSON; past the row's columns, null.
    fn value(&self, i: usize) -> Value;
}

impl RowCells for JsonRow {
    fn columns(&self) -> usize {
        self.0.len()
    }

    fn value(&self, i: usize) -> Value {
        self.0.get(i).cloned().unwrap_or(Value::Null)
    }
}

impl RowCells for RawRow {
    fn columns(&self) -> usize {
        self.cells.len()
    }

    fn value(&self, i: usize) -> Value {
        Value::from(self.cell(i))
    }
}

/// A row of any columns as its cells, their text kept together in one buffer: a row read
/// this way costs two allocations, whatever its columns, and its cells are written out as
/// JSON from where they lie ([`Cell`]'s `Serialize`).
#[derive(Debug, Default)]
pub struct RawRow {
    text: String,
    cells: Vec<Stored>,
}

/// A cell of a [`RawRow`]: its value, or where its text is in the row's buffer.
#[derive(Debug, Clone, Copy)]
enum Stored {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(u32, u32),
    Json(u32, u32),
}

impl RawRow {
    /// Cell `i`; a column past the row's is null.
    pub(crate) fn cell(&self, i: usize) -> Cell<'_> {
        let text = |start: u32, end: u32| Cow::Borrowed(&self.text[start as usize..end as usize]);
        match self.cells.get(i).copied().unwrap_or(Stored::Null) {
            Stored::Null => Cell::Null,
            Stored::Bool(value) => Cell::Bool(value),
            Stored::Int(value) => Cell::Int(value),
            Stored::Float(value) => Cell::Float(value),
            Stored::Text(start, end) => Cell::Text(text(start, end)),
            Stored::Json(start, end) => Cell::Json(text(start, end)),
        }
    }

    /// Whether cell `i` is null.
    pub(crate) fn is_null(&self, i: usize) -> bool {
        matches!(self.cells.get(i), None | Some(Stored::Null))
    }

    fn push(&mut self, cell: Cell<'_>) -> deserialize::Result<()> {
        let mut text = |text: &str| -> deserialize::Result<(u32, u32)> {
            let start = u32::try_from(self.text.len())?;
            self.text.push_str(text);
            Ok((start, u32::try_from(self.text.len())?))
        };
        let stored = match cell {
            Cell::Null => Stored::Null,
            Cell::Bool(value) => Stored::Bool(value),
            Cell::Int(value) => Stored::Int(value),
            Cell::Float(value) => Stored::Float(value),
            Cell::Text(value) => {
                let (start, end) = text(&value)?;
                Stored::Text(start, end)
            }
            Cell::Json(value) => {
                let (start, end) = text(&value)?;
                Stored::Json(start, end)
            }
        };
        self.cells.push(stored);
        Ok(())
    }
}

/// One column's value as the database gave it, before it takes its JSON form: borrowed from
/// the row where it can be.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(Cow<'a, str>),
    /// The text of a JSON document.
    Json(Cow<'a, str>),
}

impl<'a> Cell<'a> {
    /// The cell a JSON value is read as.
    pub(crate) fn of_value(value: &'a Value) -> Self {
        match value {
            Value::Null => Cell::Null,
            Value::Bool(value) => Cell::Bool(*value),
            Value::Number(n) => match n.as_i64() {
                Some(n) => Cell::Int(n),
                None => Cell::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(text) => Cell::Text(Cow::Borrowed(text)),
            other => Cell::Json(Cow::Owned(other.to_string())),
        }
    }

    fn text(value: impl Into<Cow<'a, str>>) -> Self {
        Cell::Text(value.into())
    }
}

impl From<Cell<'_>> for Value {
    fn from(cell: Cell<'_>) -> Self {
        match cell {
            Cell::Null => Value::Null,
            Cell::Bool(value) => Value::Bool(value),
            Cell::Int(value) => Value::from(value),
            Cell::Float(value) => Number::from_f64(value).map_or(Value::Null, Value::Number),
            Cell::Text(text) => Value::String(text.into_owned()),
            Cell::Json(text) => {
                serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.into_owned()))
            }
        }
    }
}

impl Serialize for Cell<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Null => serializer.serialize_unit(),
            Cell::Bool(value) => serializer.serialize_bool(*value),
            Cell::Int(value) => serializer.serialize_i64(*value),
            // serde_json writes a float that is not finite as null, as `Value` holds it.
            Cell::Float(value) => serializer.serialize_f64(*value),
            Cell::Text(text) => serializer.serialize_str(text),
            Cell::Json(text) => match serde_json::from_str::<&RawValue>(text) {
                Ok(raw) => raw.serialize(serializer),
                Err(_) => serializer.serialize_str(text),
            },
        }
    }
}

/// chrono's own serde form of a `NaiveDateTime`, which is what a typed row deserializes.
fn timestamp(time: NaiveDateTime) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.f").to_string()
}

/// Bytes as graph JSON holds them.
fn bytes(bytes: &[u8]) -> Cell<'static> {
    Cell::text(crate::column::base64_bytes::encode(bytes))
}

/// A point in time read as text: SQLite's (diesel writes `2024-01-31 09:30:00+00:00`), or
/// the UTC timestamp a PostgreSQL `timestamptz` was decoded into.
fn utc(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z")
        .or_else(|_| DateTime::parse_from_rfc3339(text))
        .map(|time| time.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                .iter()
                .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
                .map(|time| time.and_utc())
        })
}

/// `cell`, read from a column of `kind` on `dialect`, in the form the kind has in JSON.
pub(crate) fn shape<'a>(dialect: Dialect, kind: Option<ColumnKind>, cell: Cell<'a>) -> Cell<'a> {
    let Some(kind) = kind else { return cell };
    match (kind, cell) {
        // SQLite keeps a JSON document, and an array, as its text; PostgreSQL's are read as
        // JSON already.
        (ColumnKind::Json | ColumnKind::Array(_), Cell::Text(text))
            if dialect == Dialect::Sqlite =>
        {
            match serde_json::from_str::<&RawValue>(&text) {
                Ok(_) => Cell::Json(text),
                Err(_) => Cell::Text(text),
            }
        }
        (ColumnKind::Bool, Cell::Int(n)) => Cell::Bool(n != 0),
        (ColumnKind::Timestamp, Cell::Text(text)) => {
            match NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f") {
                Ok(time) => Cell::text(timestamp(time)),
                Err(_) => Cell::Text(text),
            }
        }
        (ColumnKind::TimestampTz, Cell::Text(text)) => match utc(&text) {
            Some(time) => Cell::text(time.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            None => Cell::Text(text),
        },
        (_, cell) => cell,
    }
}

/// `value`, read from a column of `kind` on `dialect`, in the form the kind has in JSON:
/// [`shape`], for a row read as values.
pub(crate) fn shape_value(dialect: Dialect, kind: Option<ColumnKind>, value: Value) -> Value {
    match (&value, kind) {
        (Value::String(_) | Value::Number(_), Some(_)) => {
            Value::from(shape(dialect, kind, Cell::of_value(&value)))
        }
        _ => value,
    }
}

/// A value as the key records are matched by: ids are text, but a model may use numbers.
pub(crate) fn key(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Each of `keys` once, in the order they first come: the ids a statement binds for the
/// records of a level.
pub(crate) fn distinct<'k>(keys: impl IntoIterator<Item = &'k str>) -> Vec<&'k str> {
    let mut seen = std::collections::HashSet::new();
    keys.into_iter().filter(|key| seen.insert(*key)).collect()
}

/// How many bytes of text a [`RawRow`] makes room for per column at first.
const TEXT_PER_COLUMN: usize = 48;

/// Reads each column of a row into `push`, as its [`Cell`].
trait ReadCells<DB: diesel::backend::Backend> {
    fn read_cells<'a>(
        row: &impl Row<'a, DB>,
        push: impl FnMut(Cell<'_>) -> deserialize::Result<()>,
    ) -> deserialize::Result<()>;
}

/// The backends' rows as [`JsonRow`]s and [`RawRow`]s: one reading of cells, two rows.
macro_rules! rows_of_cells {
    ($backend:ty) => {
        impl FromSqlRow<Untyped, $backend> for JsonRow {
            fn build_from_row<'a>(row: &impl Row<'a, $backend>) -> deserialize::Result<Self> {
                let mut values = Vec::with_capacity(row.field_count());
                <$backend as ReadCells<$backend>>::read_cells(row, |cell| {
                    values.push(Value::from(cell));
                    Ok(())
                })?;
                Ok(JsonRow(values))
            }
        }

        impl FromSqlRow<Untyped, $backend> for RawRow {
            fn build_from_row<'a>(row: &impl Row<'a, $backend>) -> deserialize::Result<Self> {
                // Room for the usual text of each column: a row's buffer is allocated
                // once, seldom grown.
                let mut raw = RawRow {
                    text: String::with_capacity(TEXT_PER_COLUMN * row.field_count()),
                    cells: Vec::with_capacity(row.field_count()),
                };
                <$backend as ReadCells<$backend>>::read_cells(row, |cell| raw.push(cell))?;
                Ok(raw)
            }
        }
    };
}

#[cfg(feature = "sqlite")]
rows_of_cells!(diesel::sqlite::Sqlite);
#[cfg(feature = "postgres")]
rows_of_cells!(diesel::pg::Pg);

#[cfg(feature = "sqlite")]
impl ReadCells<diesel::sqlite::Sqlite> for diesel::sqlite::Sqlite {
    fn read_cells<'a>(
        row: &impl Row<'a, diesel::sqlite::Sqlite>,
        mut push: impl FnMut(Cell<'_>) -> deserialize::Result<()>,
    ) -> deserialize::Result<()> {
        use diesel::sqlite::SqliteType;

        for i in 0..row.field_count() {
            let field = row.get(i).ok_or("a column went missing")?;
            let Some(mut value) = field.value() else {
                push(Cell::Null)?;
                continue;
            };
            match value.value_type() {
                None => push(Cell::Null)?,
                Some(SqliteType::Long | SqliteType::Integer | SqliteType::SmallInt) => {
                    push(Cell::Int(value.read_long()))?
                }
                Some(SqliteType::Double | SqliteType::Float) => {
                    push(Cell::Float(value.read_double()))?
                }
                Some(SqliteType::Text) => push(Cell::Text(Cow::Borrowed(value.read_text())))?,
                Some(SqliteType::Binary) => push(bytes(value.read_blob()))?,
            }
        }
        Ok(())
    }
}

#[cfg(feature = "postgres")]
impl ReadCells<diesel::pg::Pg> for diesel::pg::Pg {
    fn read_cells<'a>(
        row: &impl Row<'a, diesel::pg::Pg>,
        mut push: impl FnMut(Cell<'_>) -> deserialize::Result<()>,
    ) -> deserialize::Result<()> {
        for i in 0..row.field_count() {
            let field = row.get(i).ok_or("a column went missing")?;
            match field.value() {
                None => push(Cell::Null)?,
                Some(value) => push(postgres::decode(field.field_name().unwrap_or("?"), value)?)?,
            }
        }
        Ok(())
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use std::borrow::Cow;

    use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
    use diesel::deserialize::{self, FromSql};
    use diesel::pg::{Pg, PgValue};
    use diesel::sql_types::{
        Array, BigInt, Bool, Date, Double, Float, Integer, Nullable, SmallInt, Text, Time,
        Timestamp, Timestamptz,
    };

    use super::{bytes, timestamp, Cell};

    /// A one-dimensional array of `ST` as the text of a JSON array, its NULL elements
    /// `null` (and a float that is not finite, as serde_json writes one).
    fn array<ST: 'static, T: serde::Serialize>(
        value: PgValue<'_>,
    ) -> deserialize::Result<Cell<'static>>
    where
        Vec<Option<T>>: FromSql<Array<Nullable<ST>>, Pg>,
    {
        let elements = <Vec<Option<T>> as FromSql<Array<Nullable<ST>>, Pg>>::from_sql(value)?;
        Ok(Cell::Json(Cow::Owned(serde_json::to_string(&elements)?)))
    }

    /// Decodes a value by its type oid (the oids of PostgreSQL's built-in types are fixed).
    pub(super) fn decode<'v>(column: &str, value: PgValue<'v>) -> deserialize::Result<Cell<'v>> {
        Ok(match value.get_oid().get() {
            16 => Cell::Bool(<bool as FromSql<Bool, Pg>>::from_sql(value)?),
            21 => Cell::Int(<i16 as FromSql<SmallInt, Pg>>::from_sql(value)?.into()),
            23 => Cell::Int(<i32 as FromSql<Integer, Pg>>::from_sql(value)?.into()),
            20 => Cell::Int(<i64 as FromSql<BigInt, Pg>>::from_sql(value)?),
            700 => Cell::Float(<f32 as FromSql<Float, Pg>>::from_sql(value)?.into()),
            701 => Cell::Float(<f64 as FromSql<Double, Pg>>::from_sql(value)?),
            // text, varchar, bpchar, name: the text itself, borrowed
            25 | 1043 | 1042 | 19 => {
                Cell::Text(Cow::Borrowed(std::str::from_utf8(value.as_bytes())?))
            }
            1114 => Cell::text(timestamp(<chrono::NaiveDateTime as FromSql<
                Timestamp,
                Pg,
            >>::from_sql(value)?)),
            // timestamptz: in UTC, in the form a timestamp has, so that a pivot's
            // timestamps read alike on both backends
            1184 => Cell::text(timestamp(
                <DateTime<Utc> as FromSql<Timestamptz, Pg>>::from_sql(value)?.naive_utc(),
            )),
            1082 => Cell::text(<NaiveDate as FromSql<Date, Pg>>::from_sql(value)?.to_string()),
            1083 => Cell::text(<NaiveTime as FromSql<Time, Pg>>::from_sql(value)?.to_string()),
            // numeric: its plain text, every digit and the scale kept
            #[cfg(feature = "decimal")]
            1700 => Cell::text(
                <bigdecimal::BigDecimal as FromSql<diesel::sql_types::Numeric, Pg>>::from_sql(
                    value,
                )?
                .to_plain_string(),
            ),
            // bytea, in binary form: the bytes themselves
            17 => bytes(value.as_bytes()),
            // text[], integer[], bigint[], double precision[], boolean[]
            1009 => array::<Text, String>(value)?,
            1007 => array::<Integer, i32>(value)?,
            1016 => array::<BigInt, i64>(value)?,
            1022 => array::<Double, f64>(value)?,
            1000 => array::<Bool, bool>(value)?,
            // json is its text; jsonb is a version byte, then its text
            114 => Cell::Json(Cow::Borrowed(std::str::from_utf8(value.as_bytes())?)),
            3802 => Cell::Json(Cow::Borrowed(std::str::from_utf8(
                value.as_bytes().get(1..).unwrap_or_default(),
            )?)),
            // uuid: 16 bytes
            2950 => {
                let hex: String = value
                    .as_bytes()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                if hex.len() != 32 {
                    return Err(format!("column `{column}`: a uuid of the wrong size").into());
                }
                Cell::text(format!(
                    "{}-{}-{}-{}-{}",
                    &hex[..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..]
                ))
            }
            oid => {
                return Err(format!(
                    "column `{column}` has a type (oid {oid}) graph queries cannot read: \
                     cast it in a view, or leave it out of the fields"
                )
                .into())
            }
        })
    }
}
