//! Reading columns whatever their type: a row of JSON values, decoded from what the
//! database reports (SQLite's storage class, PostgreSQL's type oid), then shaped by the
//! field's declared kind (SQLite has no booleans and stores timestamps as text).
//!
//! The JSON form of each kind: timestamps with a time zone in RFC 3339 with `Z`, dates
//! `YYYY-MM-DD`, times `HH:MM:SS[.f]`, decimals as strings holding every digit, UUIDs
//! hyphenated, bytes in base64 (standard alphabet, padded).

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use diesel::deserialize::{self, FromSqlRow};
use diesel::row::{Field, Row};
use diesel::sql_types::Untyped;
use serde_json::{Number, Value};

use crate::definition::ColumnKind;
use crate::dialect::Dialect;

/// A row of any columns, as JSON values.
pub(crate) struct JsonRow(pub Vec<Value>);

fn float(value: f64) -> Value {
    Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// chrono's own serde form of a `NaiveDateTime`, which is what a typed row deserializes.
fn timestamp(time: NaiveDateTime) -> Value {
    Value::String(time.format("%Y-%m-%dT%H:%M:%S%.f").to_string())
}

/// Bytes as graph JSON holds them.
fn bytes(bytes: &[u8]) -> Value {
    Value::String(crate::column::base64_bytes::encode(bytes))
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

/// `value`, read from a column of `kind` on `dialect`, in the form the kind has in JSON.
pub(crate) fn shape(dialect: Dialect, kind: Option<ColumnKind>, value: Value) -> Value {
    match (kind, value) {
        // SQLite keeps a JSON document as its text; PostgreSQL's jsonb was decoded already.
        (Some(ColumnKind::Json), Value::String(text)) if dialect == Dialect::Sqlite => {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        }
        (Some(ColumnKind::Bool), Value::Number(n)) => Value::Bool(n.as_i64() != Some(0)),
        (Some(ColumnKind::Timestamp), Value::String(text)) => {
            match NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f") {
                Ok(time) => timestamp(time),
                Err(_) => Value::String(text),
            }
        }
        (Some(ColumnKind::TimestampTz), Value::String(text)) => match utc(&text) {
            Some(time) => Value::String(time.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            None => Value::String(text),
        },
        (_, value) => value,
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

#[cfg(feature = "sqlite")]
impl FromSqlRow<Untyped, diesel::sqlite::Sqlite> for JsonRow {
    fn build_from_row<'a>(row: &impl Row<'a, diesel::sqlite::Sqlite>) -> deserialize::Result<Self> {
        use diesel::deserialize::FromSql;
        use diesel::sql_types::{BigInt, Binary, Double, Text};
        use diesel::sqlite::{Sqlite, SqliteType};

        let mut values = Vec::with_capacity(row.field_count());
        for i in 0..row.field_count() {
            let field = row.get(i).ok_or("a column went missing")?;
            let value = match field.value() {
                None => Value::Null,
                Some(value) => match value.value_type() {
                    None => Value::Null,
                    Some(SqliteType::Long | SqliteType::Integer | SqliteType::SmallInt) => {
                        Value::from(<i64 as FromSql<BigInt, Sqlite>>::from_sql(value)?)
                    }
                    Some(SqliteType::Double | SqliteType::Float) => {
                        float(<f64 as FromSql<Double, Sqlite>>::from_sql(value)?)
                    }
                    Some(SqliteType::Text) => {
                        Value::String(<String as FromSql<Text, Sqlite>>::from_sql(value)?)
                    }
                    Some(SqliteType::Binary) => {
                        bytes(&<Vec<u8> as FromSql<Binary, Sqlite>>::from_sql(value)?)
                    }
                },
            };
            values.push(value);
        }
        Ok(JsonRow(values))
    }
}

#[cfg(feature = "postgres")]
impl FromSqlRow<Untyped, diesel::pg::Pg> for JsonRow {
    fn build_from_row<'a>(row: &impl Row<'a, diesel::pg::Pg>) -> deserialize::Result<Self> {
        let mut values = Vec::with_capacity(row.field_count());
        for i in 0..row.field_count() {
            let field = row.get(i).ok_or("a column went missing")?;
            let name = field.field_name().unwrap_or("?").to_owned();
            values.push(match field.value() {
                None => Value::Null,
                Some(value) => postgres::decode(&name, value)?,
            });
        }
        Ok(JsonRow(values))
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
    use diesel::deserialize::{self, FromSql};
    use diesel::pg::{Pg, PgValue};
    use diesel::sql_types::{
        BigInt, Bool, Date, Double, Float, Integer, SmallInt, Text, Time, Timestamp, Timestamptz,
    };
    use serde_json::Value;

    use super::{bytes, float, timestamp};

    /// Decodes a value by its type oid (the oids of PostgreSQL's built-in types are fixed).
    pub(super) fn decode(column: &str, value: PgValue<'_>) -> deserialize::Result<Value> {
        Ok(match value.get_oid().get() {
            16 => Value::Bool(<bool as FromSql<Bool, Pg>>::from_sql(value)?),
            21 => Value::from(<i16 as FromSql<SmallInt, Pg>>::from_sql(value)?),
            23 => Value::from(<i32 as FromSql<Integer, Pg>>::from_sql(value)?),
            20 => Value::from(<i64 as FromSql<BigInt, Pg>>::from_sql(value)?),
            700 => float(f64::from(<f32 as FromSql<Float, Pg>>::from_sql(value)?)),
            701 => float(<f64 as FromSql<Double, Pg>>::from_sql(value)?),
            // text, varchar, bpchar, name
            25 | 1043 | 1042 | 19 => Value::String(<String as FromSql<Text, Pg>>::from_sql(value)?),
            1114 => timestamp(<chrono::NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(
                value,
            )?),
            // timestamptz: in UTC, in the form a timestamp has, so that a pivot's
            // timestamps read alike on both backends
            1184 => {
                timestamp(<DateTime<Utc> as FromSql<Timestamptz, Pg>>::from_sql(value)?.naive_utc())
            }
            1082 => Value::String(<NaiveDate as FromSql<Date, Pg>>::from_sql(value)?.to_string()),
            1083 => Value::String(<NaiveTime as FromSql<Time, Pg>>::from_sql(value)?.to_string()),
            // numeric: its plain text, every digit and the scale kept
            #[cfg(feature = "decimal")]
            1700 => Value::String(
                <bigdecimal::BigDecimal as FromSql<diesel::sql_types::Numeric, Pg>>::from_sql(
                    value,
                )?
                .to_plain_string(),
            ),
            // bytea, in binary form: the bytes themselves
            17 => bytes(value.as_bytes()),
            // json is its text; jsonb is a version byte, then its text
            114 => serde_json::from_slice(value.as_bytes())?,
            3802 => serde_json::from_slice(value.as_bytes().get(1..).unwrap_or_default())?,
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
                Value::String(format!(
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
