//! Whether the rows a table holds allow a unique index the plan would create on it.
//!
//! A link's table made by a sync has its unique indexes from the start. A table the sync
//! adopts (one of Medusa's, made without them) or a side that stops being a list gets them
//! later, on rows written without them: a Medusa product may hold two live brands where
//! the link says one. Before the plan calls such an index safe, it asks the table, with one
//! statement whose answer is bounded: how many values break the index, and the first few.

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;

use crate::backend::Executor;
use crate::definition::{LinkSchema, UniqueKey};
use crate::error::Result;
use crate::migrate::sql::ident;
use crate::service::single_sides;

/// How many of the values that break an index a plan names.
const NAMED: usize = 5;

/// The statement that selects the values of `key` held by more than one row of `table`,
/// one row each, as `value`.
pub(crate) fn duplicates_sql(table: &str, key: UniqueKey) -> String {
    let column = ident(key.column);
    let live = match key.live {
        true => r#" WHERE "deleted_at" IS NULL"#,
        false => "",
    };
    format!(
        "SELECT {column} AS value FROM {}{live} GROUP BY {column} HAVING COUNT(*) > 1",
        ident(table)
    )
}

/// The values that break a unique key: how many there are, and the first few, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Duplicates {
    pub count: i64,
    pub first: Vec<String>,
}

#[derive(QueryableByName)]
struct Duplicate {
    #[diesel(sql_type = Text)]
    value: String,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// The values of `key` that more than one row of `table` holds.
pub(crate) async fn duplicates<E: Executor>(
    conn: &mut E,
    table: &str,
    key: UniqueKey,
) -> Result<Duplicates> {
    let sql = format!(
        "SELECT CAST(value AS TEXT) AS value, COUNT(*) OVER () AS total FROM ({}) AS d \
         ORDER BY value LIMIT {NAMED}",
        duplicates_sql(table, key)
    );
    let rows: Vec<Duplicate> = conn.load(&sql, &[]).await?;
    Ok(Duplicates {
        count: rows.first().map_or(0, |row| row.total),
        first: rows.into_iter().map(|row| row.value).collect(),
    })
}

impl Duplicates {
    /// Why the index of `key` cannot be created on `schema`'s table, in words: what breaks
    /// it, and how to resolve it.
    pub fn reason(&self, schema: &LinkSchema, key: UniqueKey) -> String {
        let mut named = self
            .first
            .iter()
            .map(|value| format!("`{value}`"))
            .collect::<Vec<_>>()
            .join(", ");
        if self.count > self.first.len() as i64 {
            named.push_str(", ..");
        }
        let table = schema.table;
        let single = single_sides(schema).find(|single| single.side.column == key.column);
        match single {
            Some(single) if key.live => {
                let (model, partner) = (single.side.model(), single.other.model());
                format!(
                    "`{table}` holds {count} {model}(s) with more than one live {partner} \
                     ({named}), where a {model} has one {partner} at most, so the index \
                     cannot be built: `links check` lists them, and `links check --prune` \
                     keeps the newest live link of each and dismisses the others",
                    count = self.count,
                )
            }
            _ => format!(
                "`{table}` holds {count} value(s) of `{column}` in more than one {rows}row \
                 ({named}), so the index cannot be built until each is in one row only",
                count = self.count,
                column = key.column,
                rows = if key.live { "live " } else { "" },
            ),
        }
    }
}
