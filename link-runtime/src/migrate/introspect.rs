//! What the database has: tables, their columns and indexes, and whether they hold rows.
//!
//! Table names travel as bound parameters to the catalog queries; only [`row_count`] writes
//! a name into SQL, quoted by [`ident`].

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;

use crate::backend::{load_text, Executor};
use crate::definition::ColumnValue;
use crate::dialect::Dialect;
use crate::error::Result;
use crate::migrate::sql::ident;

/// A table as the database describes it.
#[derive(Debug, Clone, Default)]
pub(crate) struct TableShape {
    /// `(name, type)` of each column, in table order: the type as declared on SQLite, as
    /// PostgreSQL names it (`text`, `character varying(255)`, `integer[]`) there.
    pub columns: Vec<(String, String)>,
    /// The names of the table's indexes.
    pub indexes: Vec<String>,
}

impl TableShape {
    pub fn has_column(&self, name: &str) -> bool {
        self.columns.iter().any(|(column, _)| column == name)
    }

    pub fn has_index(&self, name: &str) -> bool {
        self.indexes.iter().any(|index| index == name)
    }
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    value: String,
    #[diesel(sql_type = Text)]
    kind: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    value: i64,
}

/// Whether `table` exists.
pub(crate) async fn table_exists<E: Executor>(conn: &mut E, table: &str) -> Result<bool> {
    let sql = match E::DIALECT {
        Dialect::Sqlite => {
            "SELECT name AS value FROM sqlite_master WHERE type = 'table' AND name = ?"
        }
        Dialect::Postgres => {
            "SELECT table_name::text AS value FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    Ok(!load_text(conn, sql, &[ColumnValue::Text(table)])
        .await?
        .is_empty())
}

/// The columns and indexes of `table`, or `None` if it does not exist (a table has at
/// least one column, so no columns means no table).
pub(crate) async fn table<E: Executor>(conn: &mut E, table: &str) -> Result<Option<TableShape>> {
    let (columns, indexes) = match E::DIALECT {
        Dialect::Sqlite => (
            "SELECT name AS value, type AS kind FROM pragma_table_info(?) ORDER BY cid",
            "SELECT name AS value FROM sqlite_master WHERE type = 'index' AND tbl_name = ? \
             ORDER BY name",
        ),
        Dialect::Postgres => (
            "SELECT column_name::text AS value, \
             CASE WHEN data_type = 'ARRAY' THEN format_type(to_regtype(\
             quote_ident(udt_schema) || '.' || quote_ident(udt_name)), NULL) \
             WHEN character_maximum_length IS NULL THEN data_type::text \
             ELSE data_type::text || '(' || character_maximum_length || ')' END AS kind \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 \
             ORDER BY ordinal_position",
            "SELECT indexname::text AS value FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename = $1 ORDER BY indexname",
        ),
    };
    let binds = [ColumnValue::Text(table)];
    let columns: Vec<Column> = conn.load(columns, &binds).await?;
    if columns.is_empty() {
        return Ok(None);
    }
    Ok(Some(TableShape {
        columns: columns
            .into_iter()
            .map(|column| (column.value, column.kind))
            .collect(),
        indexes: load_text(conn, indexes, &binds).await?,
    }))
}

/// How many rows `table` holds, soft-deleted ones included.
pub(crate) async fn row_count<E: Executor>(conn: &mut E, table: &str) -> Result<i64> {
    let sql = format!("SELECT COUNT(*) AS value FROM {}", ident(table));
    let counts: Vec<Count> = conn.load(&sql, &[]).await?;
    Ok(counts.first().map_or(0, |count| count.value))
}
