//! The SQL that creates a link's pivot table, per backend.

use std::fmt::Write;

use crate::link::model::{Column, ColumnKind, DefaultValue, Link, ResolvedNames};
use crate::names::MAX_IDENTIFIER_LEN;

#[derive(Clone, Copy)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    fn column_type(self, kind: ColumnKind) -> &'static str {
        match (self, kind) {
            (_, ColumnKind::Bool) => "BOOLEAN",
            (_, ColumnKind::SmallInt) => "SMALLINT",
            (_, ColumnKind::Integer) => "INTEGER",
            (_, ColumnKind::BigInt) => "BIGINT",
            (_, ColumnKind::Float) => "REAL",
            (Dialect::Sqlite, ColumnKind::Double) => "DOUBLE",
            (Dialect::Postgres, ColumnKind::Double) => "DOUBLE PRECISION",
            (_, ColumnKind::Text) => "TEXT",
            (_, ColumnKind::Timestamp) => "TIMESTAMP",
            (Dialect::Sqlite, ColumnKind::Json) => "TEXT",
            (Dialect::Postgres, ColumnKind::Json) => "JSONB",
            (Dialect::Sqlite, ColumnKind::TimestampTz) => "TIMESTAMPTZ",
            (Dialect::Postgres, ColumnKind::TimestampTz) => "TIMESTAMPTZ",
            (_, ColumnKind::Date) => "DATE",
            (_, ColumnKind::Time) => "TIME",
            // SQLite's numbers are floats: its decimals are their exact text.
            (Dialect::Sqlite, ColumnKind::Decimal) => "TEXT",
            (Dialect::Postgres, ColumnKind::Decimal) => "NUMERIC",
            (Dialect::Sqlite, ColumnKind::Uuid) => "TEXT",
            (Dialect::Postgres, ColumnKind::Uuid) => "UUID",
            (Dialect::Sqlite, ColumnKind::Bytes) => "BLOB",
            (Dialect::Postgres, ColumnKind::Bytes) => "BYTEA",
        }
    }

    /// The type of the pivot's own timestamps.
    fn timestamp_type(self) -> &'static str {
        match self {
            Dialect::Sqlite => "TIMESTAMP",
            Dialect::Postgres => "TIMESTAMPTZ",
        }
    }

    fn now(self) -> &'static str {
        match self {
            Dialect::Sqlite => "CURRENT_TIMESTAMP",
            Dialect::Postgres => "now()",
        }
    }
}

/// `"featured" BOOLEAN NOT NULL DEFAULT FALSE`.
pub fn column_definition(dialect: Dialect, column: &Column) -> String {
    let mut sql = format!(r#""{}" {}"#, column.name, dialect.column_type(column.kind));
    if !column.nullable {
        sql.push_str(" NOT NULL");
    }
    if let Some(default) = &column.default {
        let literal = match default {
            DefaultValue::Null => None,
            DefaultValue::Bool(true) => Some("TRUE".to_owned()),
            DefaultValue::Bool(false) => Some("FALSE".to_owned()),
            DefaultValue::Integer(n) | DefaultValue::Float(n) => Some(n.clone()),
            DefaultValue::Text(text) | DefaultValue::Json(text) => {
                Some(format!("'{}'", text.replace('\'', "''")))
            }
            DefaultValue::Decimal(n) => Some(match dialect {
                Dialect::Sqlite => format!("'{n}'"),
                Dialect::Postgres => n.clone(),
            }),
            DefaultValue::Date(date) => Some(format!("'{}'", date.format("%Y-%m-%d"))),
            DefaultValue::Time(time) => Some(format!("'{}'", time.format("%H:%M:%S%.f"))),
            // The text diesel writes for one on SQLite, which PostgreSQL reads too.
            DefaultValue::TimestampTz(time) => {
                Some(format!("'{}'", time.format("%Y-%m-%d %H:%M:%S%.f+00:00")))
            }
            DefaultValue::Uuid(bits) => Some(format!("'{}'", uuid_text(*bits))),
            DefaultValue::Bytes(bytes) => {
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                Some(match dialect {
                    Dialect::Sqlite => format!("X'{hex}'"),
                    Dialect::Postgres => format!("'\\x{hex}'"),
                })
            }
        };
        if let Some(literal) = literal {
            write!(sql, " DEFAULT {literal}").expect("writing to a String");
        }
    }
    sql
}

/// `67e55044-10b1-426f-9247-bb680e5fe0c8`: a UUID's hyphenated, lower-case text.
fn uuid_text(bits: u128) -> String {
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The `CREATE TABLE` and `CREATE INDEX` statements of a link.
pub fn create_table(dialect: Dialect, link: &Link, names: &ResolvedNames) -> String {
    let table = &names.table;
    let left = names.left_column();
    let right = names.right_column();
    let timestamp = dialect.timestamp_type();
    let now = dialect.now();

    let mut columns = vec![
        r#""id" TEXT NOT NULL"#.to_owned(),
        format!(r#""{left}" TEXT NOT NULL"#),
        format!(r#""{right}" TEXT NOT NULL"#),
    ];
    columns.extend(link.columns.iter().map(|c| column_definition(dialect, c)));
    columns.push(format!(
        r#""created_at" {timestamp} NOT NULL DEFAULT {now}"#
    ));
    columns.push(format!(
        r#""updated_at" {timestamp} NOT NULL DEFAULT {now}"#
    ));
    columns.push(format!(r#""deleted_at" {timestamp}"#));
    columns.push(format!(r#"PRIMARY KEY ("{left}", "{right}")"#));

    let mut sql = format!(
        "CREATE TABLE IF NOT EXISTS \"{table}\" (\n    {}\n);\n",
        columns.join(",\n    ")
    );
    for index in indexes(link, names) {
        writeln!(sql, "{}", index.sql).expect("writing to a String");
    }
    sql
}

/// An index of a pivot table; its statement is the same on both backends.
pub struct Index {
    pub name: String,
    pub sql: String,
}

/// The indexes of a link's pivot table: its `id`, and each side's column over live rows.
///
/// Cardinality lives in the indexes: without `is_list` on the right side, a left record has
/// at most one live right partner, so the left column's index over live rows is unique (and
/// the other way round).
pub fn indexes(link: &Link, names: &ResolvedNames) -> Vec<Index> {
    let table = &names.table;
    let id_name = index_name(table, "id_unique");
    let mut indexes = vec![Index {
        sql: format!(r#"CREATE UNIQUE INDEX IF NOT EXISTS "{id_name}" ON "{table}" ("id");"#),
        name: id_name,
    }];
    let (left, right) = (names.left_column(), names.right_column());
    for (column, single) in [(&left, !link.right.is_list), (&right, !link.left.is_list)] {
        let (unique, suffix) = if single {
            ("UNIQUE ", "live_unique")
        } else {
            ("", "live_index")
        };
        let name = index_name(table, &format!("{column}_{suffix}"));
        indexes.push(Index {
            sql: format!(
                r#"CREATE {unique}INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}") WHERE "deleted_at" IS NULL;"#
            ),
            name,
        });
    }
    indexes
}

/// `{table}_{suffix}`, shortened with a hash when PostgreSQL would truncate it.
fn index_name(table: &str, suffix: &str) -> String {
    let name = format!("{table}_{suffix}");
    if name.len() <= MAX_IDENTIFIER_LEN {
        return name;
    }
    // FNV-1a: stable across builds, unlike std's hasher.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let keep = MAX_IDENTIFIER_LEN - 9;
    format!("{}_{:08x}", &name[..keep], hash as u32)
}

#[cfg(test)]
mod tests {
    use super::index_name;

    #[test]
    fn long_index_names_are_shortened_stably() {
        let table = "a".repeat(60);
        let name = index_name(&table, "product_id_live_unique");
        assert_eq!(name.len(), 63);
        assert_eq!(name, index_name(&table, "product_id_live_unique"));
        assert_ne!(name, index_name(&table, "brand_id_live_unique"));
        assert_eq!(index_name("t", "id_unique"), "t_id_unique");
    }
}
