//! The `link_metadata` table: what the last sync recorded about each link.
//!
//! One row per synced link: its table, both sides with their options, the extra columns'
//! and indexes' definitions as they were created, the `CREATE` statements (so that a
//! dropped table can be re-created by a `down.sql`), and a fingerprint of all of it. The
//! planner compares a link's current schema with this record: a changed column definition
//! is found here, not by parsing what the database reports as a column's default.

use diesel::sql_types::Text;
use diesel::QueryableByName;

use crate::backend::Executor;
use crate::definition::{LinkSchema, Side};
use crate::dialect::Dialect;
use crate::error::Result;
use crate::migrate::introspect::TableShape;
use crate::migrate::sql::{column_type, fnv1a, ident, literal};

/// The metadata table's name.
pub(crate) const TABLE: &str = "link_metadata";

/// The statement that creates the metadata table: the `table_name` key, text columns, and
/// the time of the sync.
pub(crate) fn create_table_sql(dialect: Dialect) -> String {
    let timestamp = match dialect {
        Dialect::Sqlite => "TIMESTAMP",
        Dialect::Postgres => "TIMESTAMPTZ",
    };
    let (key, rest) = COLUMNS.split_first().expect("columns");
    let (synced_at, text) = rest.split_last().expect("columns");
    let mut columns = vec![format!("{key} TEXT PRIMARY KEY")];
    columns.extend(text.iter().map(|column| format!("{column} TEXT NOT NULL")));
    columns.push(format!("{synced_at} {timestamp} NOT NULL"));
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n    {}\n);",
        ident(TABLE),
        columns.join(",\n    ")
    )
}

/// One side of a recorded link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SideRecord {
    pub module: String,
    pub model: String,
    pub column: String,
    /// `is_list` and `delete_cascade`, comma separated, in that order.
    pub options: String,
}

impl SideRecord {
    fn of(side: &Side) -> Self {
        let options: Vec<&str> = [
            (side.is_list, "is_list"),
            (side.delete_cascade, "delete_cascade"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        SideRecord {
            module: side.module().to_owned(),
            model: side.model().to_owned(),
            column: side.column.to_owned(),
            options: options.join(","),
        }
    }
}

/// What a sync recorded about one link: a row of `link_metadata`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinkRecord {
    pub table: String,
    pub left: SideRecord,
    pub right: SideRecord,
    /// `(name, definition)` of each extra column, in declaration order.
    pub columns: Vec<(String, String)>,
    /// `(name, CREATE INDEX statement)` of each index.
    pub indexes: Vec<(String, String)>,
    pub create_sql: String,
    pub fingerprint: String,
}

impl LinkRecord {
    /// The record a sync of `schema` on `dialect` writes.
    pub fn of(schema: &LinkSchema, dialect: Dialect) -> Self {
        let mut record = LinkRecord {
            table: schema.table.to_owned(),
            left: SideRecord::of(&schema.left),
            right: SideRecord::of(&schema.right),
            columns: schema
                .columns
                .iter()
                .map(|column| {
                    (
                        column.name.to_owned(),
                        column.definition(dialect).to_owned(),
                    )
                })
                .collect(),
            indexes: schema
                .indexes
                .iter()
                .map(|index| (index.name.to_owned(), index.sql.to_owned()))
                .collect(),
            create_sql: schema.create_sql(dialect).to_owned(),
            fingerprint: String::new(),
        };
        record.fingerprint = record.compute_fingerprint();
        record
    }

    /// The record a sync of `schema` on `dialect` writes for a table it found rather than
    /// created, whose columns are `shape`'s: the `CREATE TABLE` it records gives each
    /// column of the link's own (`id`, the sides, the timestamps) the type the table has
    /// where that is not the type the link would create. A table adopted from Medusa is
    /// recorded with its `character varying(255)` ids; one a sync made reads as it did.
    pub fn found(schema: &LinkSchema, dialect: Dialect, shape: &TableShape) -> Self {
        let mut record = Self::of(schema, dialect);
        let base = schema.base_columns();
        let lines: Vec<String> = record
            .create_sql
            .lines()
            .map(|line| {
                let definition = line.trim_start();
                let indent = &line[..line.len() - definition.len()];
                for (column, found) in &shape.columns {
                    let name = format!("{} ", ident(column));
                    let Some(after_name) = definition.strip_prefix(&name) else {
                        continue;
                    };
                    let declared = column_type(definition.trim_end_matches(','));
                    match after_name.strip_prefix(declared) {
                        Some(rest)
                            if base.contains(&column.as_str())
                                && !same_type(dialect, declared, found) =>
                        {
                            return format!("{indent}{name}{found}{rest}");
                        }
                        _ => break,
                    }
                }
                line.to_owned()
            })
            .collect();
        let mut create_sql = lines.join("\n");
        if record.create_sql.ends_with('\n') {
            create_sql.push('\n');
        }
        record.create_sql = create_sql;
        record.fingerprint = record.compute_fingerprint();
        record
    }

    /// `left -> right` by model name, as [`LinkSchema::describe`] says it.
    pub fn describe(&self) -> String {
        format!("{} -> {}", self.left.model, self.right.model)
    }

    /// The recorded definition of the extra column `name`.
    pub fn column(&self, name: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(column, _)| column == name)
            .map(|(_, definition)| definition.as_str())
    }

    /// A hash of everything recorded: equal fingerprints, equal links.
    fn compute_fingerprint(&self) -> String {
        let fields = [
            self.table.as_str(),
            &self.left.module,
            &self.left.model,
            &self.left.column,
            &self.left.options,
            &self.right.module,
            &self.right.model,
            &self.right.column,
            &self.right.options,
            &encode_pairs(&self.columns),
            &encode_pairs(&self.indexes),
            &self.create_sql,
        ];
        format!("{:016x}", fnv1a(fields.join("\0").as_bytes()))
    }

    /// The statement that writes this record, replacing an earlier one of the same table.
    pub fn upsert_sql(&self, dialect: Dialect) -> String {
        let values = [
            literal(&self.table),
            literal(&self.left.module),
            literal(&self.left.model),
            literal(&self.left.column),
            literal(&self.left.options),
            literal(&self.right.module),
            literal(&self.right.model),
            literal(&self.right.column),
            literal(&self.right.options),
            literal(&encode_pairs(&self.columns)),
            literal(&encode_pairs(&self.indexes)),
            literal(&self.create_sql),
            literal(&self.fingerprint),
            dialect.now().to_owned(),
        ];
        let updates: Vec<String> = COLUMNS[1..]
            .iter()
            .map(|column| format!("{column} = excluded.{column}"))
            .collect();
        format!(
            "INSERT INTO {table} ({columns})\nVALUES ({values})\n\
             ON CONFLICT (\"table_name\") DO UPDATE SET {updates};",
            table = ident(TABLE),
            columns = COLUMNS.join(", "),
            values = values.join(", "),
            updates = updates.join(", "),
        )
    }
}

/// Whether the type a link declares for a column (`TEXT`, `TIMESTAMPTZ`) is the type the
/// database reports for it (`text`, `timestamp with time zone` on PostgreSQL; the declared
/// name on SQLite).
fn same_type(dialect: Dialect, declared: &str, found: &str) -> bool {
    let canonical = match (dialect, declared.to_ascii_uppercase().as_str()) {
        (Dialect::Postgres, "TIMESTAMPTZ") => "timestamp with time zone",
        (Dialect::Postgres, "TIMESTAMP") => "timestamp without time zone",
        _ => declared,
    };
    canonical.eq_ignore_ascii_case(found)
}

/// The statement that removes the record of `table`.
pub(crate) fn delete_sql(table: &str) -> String {
    format!(
        "DELETE FROM {} WHERE \"table_name\" = {};",
        ident(TABLE),
        literal(table)
    )
}

/// The metadata table's columns, in the order of [`LinkRecord::upsert_sql`]'s values.
const COLUMNS: [&str; 14] = [
    "\"table_name\"",
    "\"left_module\"",
    "\"left_model\"",
    "\"left_column\"",
    "\"left_options\"",
    "\"right_module\"",
    "\"right_model\"",
    "\"right_column\"",
    "\"right_options\"",
    "\"columns\"",
    "\"indexes\"",
    "\"create_sql\"",
    "\"fingerprint\"",
    "\"synced_at\"",
];

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    left_module: String,
    #[diesel(sql_type = Text)]
    left_model: String,
    #[diesel(sql_type = Text)]
    left_column: String,
    #[diesel(sql_type = Text)]
    left_options: String,
    #[diesel(sql_type = Text)]
    right_module: String,
    #[diesel(sql_type = Text)]
    right_model: String,
    #[diesel(sql_type = Text)]
    right_column: String,
    #[diesel(sql_type = Text)]
    right_options: String,
    #[diesel(sql_type = Text)]
    columns: String,
    #[diesel(sql_type = Text)]
    indexes: String,
    #[diesel(sql_type = Text)]
    create_sql: String,
    #[diesel(sql_type = Text)]
    fingerprint: String,
}

/// Every recorded link, by table name. The metadata table must exist.
pub(crate) async fn load<E: Executor>(conn: &mut E) -> Result<Vec<LinkRecord>> {
    let sql = format!(
        "SELECT {} FROM {} ORDER BY \"table_name\"",
        COLUMNS[..13].join(", "),
        ident(TABLE)
    );
    let rows: Vec<Row> = conn.load(&sql, &[]).await?;
    Ok(rows
        .into_iter()
        .map(|row| LinkRecord {
            table: row.table_name,
            left: SideRecord {
                module: row.left_module,
                model: row.left_model,
                column: row.left_column,
                options: row.left_options,
            },
            right: SideRecord {
                module: row.right_module,
                model: row.right_model,
                column: row.right_column,
                options: row.right_options,
            },
            columns: decode_pairs(&row.columns),
            indexes: decode_pairs(&row.indexes),
            create_sql: row.create_sql,
            fingerprint: row.fingerprint,
        })
        .collect())
}

/// `name<TAB>value` lines, with `\`, tab and newline escaped so that any value fits.
fn encode_pairs(pairs: &[(String, String)]) -> String {
    let escape = |text: &str| {
        text.replace('\\', "\\\\")
            .replace('\t', "\\t")
            .replace('\n', "\\n")
    };
    pairs
        .iter()
        .map(|(name, value)| format!("{}\t{}", escape(name), escape(value)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The inverse of [`encode_pairs`].
fn decode_pairs(text: &str) -> Vec<(String, String)> {
    let unescape = |text: &str| {
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        }
        out
    };
    text.lines()
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (name, value) = line.split_once('\t').unwrap_or((line, ""));
            (unescape(name), unescape(value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_survive_tabs_newlines_and_backslashes() {
        let pairs = vec![
            (
                "note".to_owned(),
                "\"note\" TEXT DEFAULT 'a\tb\nc\\n'".to_owned(),
            ),
            ("rank".to_owned(), String::new()),
        ];
        assert_eq!(decode_pairs(&encode_pairs(&pairs)), pairs);
        assert!(!encode_pairs(&pairs).lines().any(|line| line.is_empty()));
    }
}
