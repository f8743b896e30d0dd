//! What the service's statements share: how big one gets, and the rows they read.

use diesel::sql_types::Text;
use diesel::QueryableByName;

use crate::dialect::Dialect;

/// The most rows one generated statement carries, whatever the backend allows. Ten
/// thousand is what a hand-written diesel batch insert would use: with 2,000, a bulk
/// create of 100,000 links took 1.3× the insert on SQLite rather than 1.2× (`cargo bench
/// -p link-bench --bench writes`).
pub(super) const MAX_ROWS_PER_STATEMENT: usize = 10_000;

/// How many ids one `IN (...)` list binds: the backend's limit, capped.
pub(crate) fn ids_per_statement(dialect: Dialect) -> usize {
    dialect.max_binds().min(MAX_ROWS_PER_STATEMENT)
}

/// `"a", "b", "c"`.
pub(crate) fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!(r#""{name}""#))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A row of a record and one of its partners.
#[derive(QueryableByName)]
pub(super) struct Partner {
    #[diesel(sql_type = Text)]
    pub(super) record: String,
    #[diesel(sql_type = Text)]
    pub(super) partner: String,
}

/// On PostgreSQL, locks the pivot rows of `schema` that `condition` (with `binds`) selects,
/// in the order of their pairs, before a statement that updates some of them; returns what
/// that statement is to update: those rows, by id, and no other.
///
/// An `UPDATE` locks rows in the order it finds them, and two writes that find the same
/// rows in different orders can deadlock. Every write that changes existing rows locks them
/// this way first, and batches of creates lock their pairs' rows this way before they
/// insert new ones, so writes take their locks in one order. `condition` names the rows
/// whatever their state (a pair, a record's id), not only those the update will change, so
/// that no other write can revive or dismiss one in between; and the update is kept to the
/// rows locked here, so that a row another write inserted in between is not locked by it,
/// out of order. (Such a row came after the write: leaving it alone is what the write would
/// have done had it run a moment sooner.)
///
/// SQLite writes one transaction at a time and needs none: there, the update goes by
/// `condition`.
pub(crate) async fn lock_in_order<E: crate::backend::Executor>(
    conn: &mut E,
    schema: &crate::definition::LinkSchema,
    condition: &str,
    binds: &[crate::definition::ColumnValue<'_>],
) -> diesel::QueryResult<Target> {
    if E::DIALECT != Dialect::Postgres {
        return Ok(Target::Condition);
    }
    let sql = format!(
        r#"SELECT "id" AS value FROM "{table}" WHERE {condition} ORDER BY "{left}", "{right}" FOR UPDATE"#,
        table = schema.table,
        left = schema.left.column,
        right = schema.right.column,
    );
    let ids = crate::backend::load_text(conn, &sql, binds).await?;
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    Ok(Target::Ids(crate::dialect::json_list(&ids)))
}

/// The rows an update after [`lock_in_order`] is to change.
pub(crate) enum Target {
    /// The rows its condition selects (SQLite).
    Condition,
    /// The rows locked, by id: a JSON array (PostgreSQL).
    Ids(String),
}

impl Target {
    /// The `WHERE` of the update, as `condition` with `binds` and the rows' state (say,
    /// `"deleted_at" IS NULL`), and its binds.
    pub(crate) fn matching<'a>(
        &'a self,
        dialect: Dialect,
        condition: &str,
        state: &str,
        binds: Vec<crate::definition::ColumnValue<'a>>,
    ) -> (String, Vec<crate::definition::ColumnValue<'a>>) {
        match self {
            Target::Condition => (format!("{condition} AND {state}"), binds),
            Target::Ids(ids) => (
                format!(
                    "{} AND {state}",
                    dialect.in_json(r#""id""#, &dialect.placeholder(1))
                ),
                vec![crate::definition::ColumnValue::Text(ids)],
            ),
        }
    }
}
