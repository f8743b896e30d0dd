//! Whether the rows a table holds allow an enum column's check: before the plan calls a
//! change of the variants safe, it asks the table which values it holds that the new check
//! would refuse, with one statement whose answer is bounded (how many values, the first
//! few, and how many rows hold each).

use diesel::sql_types::{BigInt, Text};
use diesel::QueryableByName;

use crate::backend::Executor;
use crate::definition::ColumnValue;
use crate::dialect::json_list;
use crate::error::Result;
use crate::migrate::sql::ident;

/// How many of the refused values a plan names.
const NAMED: usize = 5;

/// The values of a column that its new check refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    /// How many values (not rows) are refused.
    pub count: i64,
    /// The first few values, in order, and how many rows hold each.
    pub first: Vec<(String, i64)>,
}

#[derive(QueryableByName)]
struct Held {
    #[diesel(sql_type = Text)]
    value: String,
    #[diesel(sql_type = BigInt)]
    held: i64,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

/// The values of `column` in `table` (soft-deleted rows included: a check holds for every
/// row) that are none of `allowed`. The texts travel as one bound JSON array.
pub(crate) async fn refused<E: Executor>(
    conn: &mut E,
    table: &str,
    column: &str,
    allowed: &[&str],
) -> Result<Refused> {
    let value = format!("CAST({} AS TEXT)", ident(column));
    let outside = E::DIALECT.in_json_set(&value, &E::DIALECT.placeholder(1), true);
    let sql = format!(
        "SELECT {value} AS value, COUNT(*) AS held, COUNT(*) OVER () AS total FROM {table} \
         WHERE {column} IS NOT NULL AND {outside} GROUP BY {value} ORDER BY value LIMIT {NAMED}",
        table = ident(table),
        column = ident(column),
    );
    let list = json_list(allowed);
    let rows: Vec<Held> = conn.load(&sql, &[ColumnValue::Text(&list)]).await?;
    Ok(Refused {
        count: rows.first().map_or(0, |row| row.total),
        first: rows.into_iter().map(|row| (row.value, row.held)).collect(),
    })
}

impl Refused {
    /// Why the check cannot be put on `column` of `table`: the values it would refuse, and
    /// how to resolve them.
    pub fn reason(&self, table: &str, column: &str) -> String {
        let mut named: Vec<String> = self
            .first
            .iter()
            .map(|(value, rows)| format!("`{value}` ({rows} row{})", plural(*rows)))
            .collect();
        if self.count > self.first.len() as i64 {
            named.push(format!("and {} more", self.count - self.first.len() as i64));
        }
        format!(
            "`{table}` holds values of `{column}` that its enum no longer has: {}; the check \
             cannot be made until those rows hold a variant the enum has (or the enum has \
             their variants again)",
            named.join(", ")
        )
    }
}

fn plural(n: i64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::Refused;

    #[test]
    fn the_reason_names_the_values_and_their_rows() {
        let refused = Refused {
            count: 7,
            first: vec![("archived".into(), 1), ("paused".into(), 3)],
        };
        assert_eq!(
            refused.reason("t", "status"),
            "`t` holds values of `status` that its enum no longer has: `archived` (1 row), \
             `paused` (3 rows), and 5 more; the check cannot be made until those rows hold a \
             variant the enum has (or the enum has their variants again)"
        );
    }
}
