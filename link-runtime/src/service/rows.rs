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
