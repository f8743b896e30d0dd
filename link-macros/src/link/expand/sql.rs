//! The SQL that creates a link's pivot table, per backend.
//!
//! The macro writes it whole, but for a column of an enum type: the enum's variants are
//! its derive's to know, so its `CHECK` and its default are parts the compiler fills in
//! ([`Sql`]), joined at compile time by the runtime's `const fn`s.

use std::fmt::Write;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

use crate::link::model::{Column, ColumnKind, DefaultValue, Element, Link, ResolvedNames};
use crate::names::MAX_IDENTIFIER_LEN;

/// SQL text, some of whose parts may be an enum's to give.
#[derive(Default)]
pub struct Sql {
    parts: Vec<Part>,
}

enum Part {
    Text(String),
    /// Every variant's text of the enum, as SQL literals: `'a', 'b'`.
    Variants(syn::Type),
    /// The text of the enum's variant `value` (a path the compiler resolves), as a literal.
    Variant {
        ty: syn::Type,
        value: syn::Expr,
    },
}

impl Sql {
    fn push_str(&mut self, text: &str) {
        match self.parts.last_mut() {
            Some(Part::Text(last)) => last.push_str(text),
            _ => self.parts.push(Part::Text(text.to_owned())),
        }
    }

    fn push(&mut self, part: Part) {
        match part {
            Part::Text(text) => self.push_str(&text),
            part => self.parts.push(part),
        }
    }

    fn append(&mut self, other: Sql) {
        for part in other.parts {
            self.push(part);
        }
    }
}

impl From<String> for Sql {
    fn from(text: String) -> Self {
        let mut sql = Sql::default();
        sql.push_str(&text);
        sql
    }
}

impl ToTokens for Sql {
    /// A string literal, or a constant block that joins the parts into one `&'static str`.
    fn to_tokens(&self, tokens: &mut TokenStream) {
        if let [] | [Part::Text(_)] = self.parts[..] {
            let text = match self.parts.first() {
                Some(Part::Text(text)) => text.as_str(),
                _ => "",
            };
            return text.to_tokens(tokens);
        }
        let parts = self.parts.iter().map(|part| match part {
            Part::Text(text) => quote!(::link_runtime::__private::SqlPart::Text(#text)),
            Part::Variants(ty) => quote_spanned! {ty.span()=>
                ::link_runtime::__private::SqlPart::Literals(
                    <#ty as ::link_runtime::ColumnEnum>::VARIANTS,
                )
            },
            Part::Variant { ty, value } => {
                let value = quote_spanned!(value.span()=> (#value) as i128);
                quote_spanned! {ty.span()=>
                    ::link_runtime::__private::SqlPart::Variant {
                        texts: <#ty as ::link_runtime::ColumnEnum>::VARIANTS,
                        discriminants: <#ty as ::link_runtime::ColumnEnum>::DISCRIMINANTS,
                        value: #value,
                    }
                }
            }
        });
        quote! {
            {
                const PARTS: &[::link_runtime::__private::SqlPart] = &[#(#parts),*];
                const BYTES: [u8; ::link_runtime::__private::sql_len(PARTS)] =
                    ::link_runtime::__private::sql_bytes(PARTS);
                ::link_runtime::__private::sql_text(&BYTES)
            }
        }
        .to_tokens(tokens);
    }
}

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
            (_, ColumnKind::Enum) => "TEXT",
            // SQLite has no arrays: a JSON array in text, under a name that says what it
            // holds (the `ARRAY` of standard SQL), so that a sync sees its element change.
            (Dialect::Sqlite, ColumnKind::Array(Element::Text)) => "TEXT ARRAY",
            (Dialect::Sqlite, ColumnKind::Array(Element::Integer)) => "INTEGER ARRAY",
            (Dialect::Sqlite, ColumnKind::Array(Element::BigInt)) => "BIGINT ARRAY",
            (Dialect::Sqlite, ColumnKind::Array(Element::Double)) => "DOUBLE ARRAY",
            (Dialect::Sqlite, ColumnKind::Array(Element::Bool)) => "BOOLEAN ARRAY",
            (Dialect::Postgres, ColumnKind::Array(Element::Text)) => "TEXT[]",
            (Dialect::Postgres, ColumnKind::Array(Element::Integer)) => "INTEGER[]",
            (Dialect::Postgres, ColumnKind::Array(Element::BigInt)) => "BIGINT[]",
            (Dialect::Postgres, ColumnKind::Array(Element::Double)) => "DOUBLE PRECISION[]",
            (Dialect::Postgres, ColumnKind::Array(Element::Bool)) => "BOOLEAN[]",
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

/// `"featured" BOOLEAN NOT NULL DEFAULT FALSE`; an enum's with its check,
/// `"status" TEXT NOT NULL DEFAULT 'active' CHECK ("status" IN ('active', 'archived'))`,
/// which on PostgreSQL is named (`CONSTRAINT "{table}_status_check"`) so that a sync can
/// replace it when the variants change.
pub fn column_definition(dialect: Dialect, column: &Column, table: &str) -> Sql {
    let mut sql = Sql::from(format!(
        r#""{}" {}"#,
        column.name,
        dialect.column_type(column.kind)
    ));
    if !column.nullable {
        sql.push_str(" NOT NULL");
    }
    match &column.default {
        Some(DefaultValue::Variant(value)) => {
            sql.push_str(" DEFAULT ");
            sql.push(Part::Variant {
                ty: column.value_ty.clone(),
                value: value.clone(),
            });
        }
        Some(default) => {
            if let Some(literal) = default_literal(dialect, default) {
                sql.push_str(&format!(" DEFAULT {literal}"));
            }
        }
        None => {}
    }
    if column.kind == ColumnKind::Enum {
        if let Dialect::Postgres = dialect {
            let name = check_name(table, &column.name.to_string());
            sql.push_str(&format!(r#" CONSTRAINT "{name}""#));
        }
        sql.push_str(&format!(r#" CHECK ("{}" IN ("#, column.name));
        sql.push(Part::Variants(column.value_ty.clone()));
        sql.push_str("))");
    }
    sql
}

/// The name of an enum column's check on PostgreSQL: `{table}_{column}_check`, as
/// PostgreSQL would name it, shortened as an index name is.
fn check_name(table: &str, column: &str) -> String {
    index_name(table, &format!("{column}_check"))
}

/// A default as a SQL literal; `None` for NULL, which needs no `DEFAULT`.
fn default_literal(dialect: Dialect, default: &DefaultValue) -> Option<String> {
    Some(match default {
        DefaultValue::Null => return None,
        DefaultValue::Bool(true) => "TRUE".to_owned(),
        DefaultValue::Bool(false) => "FALSE".to_owned(),
        DefaultValue::Integer(n) | DefaultValue::Float(n) => n.clone(),
        DefaultValue::Text(text) | DefaultValue::Json(text) => quoted(text),
        DefaultValue::Decimal(n) => match dialect {
            Dialect::Sqlite => format!("'{n}'"),
            Dialect::Postgres => n.clone(),
        },
        DefaultValue::Date(date) => format!("'{}'", date.format("%Y-%m-%d")),
        DefaultValue::Time(time) => format!("'{}'", time.format("%H:%M:%S%.f")),
        // The text diesel writes for one on SQLite, which PostgreSQL reads too.
        DefaultValue::TimestampTz(time) => {
            format!("'{}'", time.format("%Y-%m-%d %H:%M:%S%.f+00:00"))
        }
        DefaultValue::Uuid(bits) => format!("'{}'", uuid_text(*bits)),
        DefaultValue::Bytes(bytes) => {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            match dialect {
                Dialect::Sqlite => format!("X'{hex}'"),
                Dialect::Postgres => format!("'\\x{hex}'"),
            }
        }
        DefaultValue::Array(elements) => quoted(&array_text(dialect, elements)),
        // Written by `column_definition` as a part of the enum's.
        DefaultValue::Variant(_) => return None,
    })
}

/// `text` as a SQL string literal.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The text of an array: PostgreSQL's array literal (`{"a","b"}`, `{1,2}`), or on SQLite
/// the JSON array (`["a","b"]`, `[1,2]`).
fn array_text(dialect: Dialect, elements: &[DefaultValue]) -> String {
    let items: Vec<String> = elements
        .iter()
        .map(|element| match (dialect, element) {
            (_, DefaultValue::Bool(b)) => b.to_string(),
            (_, DefaultValue::Integer(n)) => n.clone(),
            // Its shortest text that reads back as the same float, in a form both JSON
            // and PostgreSQL read (`2.` is neither's).
            (_, DefaultValue::Float(n)) => {
                format!("{:?}", n.parse::<f64>().expect("validated float"))
            }
            (Dialect::Sqlite, DefaultValue::Text(text)) => {
                serde_json::to_string(text).expect("text serializes")
            }
            (Dialect::Postgres, DefaultValue::Text(text)) => {
                format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
            }
            _ => unreachable!("validation allows literals of an array's elements only"),
        })
        .collect();
    match dialect {
        Dialect::Sqlite => format!("[{}]", items.join(",")),
        Dialect::Postgres => format!("{{{}}}", items.join(",")),
    }
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
pub fn create_table(dialect: Dialect, link: &Link, names: &ResolvedNames) -> Sql {
    let table = &names.table;
    let left = names.left_column();
    let right = names.right_column();
    let timestamp = dialect.timestamp_type();
    let now = dialect.now();

    let mut columns: Vec<Sql> = vec![
        Sql::from(r#""id" TEXT NOT NULL"#.to_owned()),
        Sql::from(format!(r#""{left}" TEXT NOT NULL"#)),
        Sql::from(format!(r#""{right}" TEXT NOT NULL"#)),
    ];
    columns.extend(
        link.columns
            .iter()
            .map(|c| column_definition(dialect, c, table)),
    );
    columns.extend(
        [
            format!(r#""created_at" {timestamp} NOT NULL DEFAULT {now}"#),
            format!(r#""updated_at" {timestamp} NOT NULL DEFAULT {now}"#),
            format!(r#""deleted_at" {timestamp}"#),
            format!(r#"PRIMARY KEY ("{left}", "{right}")"#),
        ]
        .map(Sql::from),
    );

    let mut sql = Sql::from(format!("CREATE TABLE IF NOT EXISTS \"{table}\" (\n    "));
    for (i, column) in columns.into_iter().enumerate() {
        if i > 0 {
            sql.push_str(",\n    ");
        }
        sql.append(column);
    }
    sql.push_str("\n);\n");
    let mut indexes = String::new();
    for index in self::indexes(link, names) {
        writeln!(indexes, "{}", index.sql).expect("writing to a String");
    }
    sql.push_str(&indexes);
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
