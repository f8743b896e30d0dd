//! The SQL dialects links are written in: the one fact about a backend that plain code needs.

/// The SQL dialect of a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// SQLite (the embedded default, bundled).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// `values` as a JSON array of strings: the one parameter [`Dialect::in_json`] reads.
pub(crate) fn json_list(values: &[&str]) -> String {
    serde_json::to_string(values).expect("strings serialize")
}

impl Dialect {
    /// The bind placeholder for the `n`th parameter (1-based).
    pub(crate) fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => "?".to_owned(),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// The most parameters one statement may bind: SQLite's default limit (32,766 since
    /// 3.32; the bundled SQLite is newer) and PostgreSQL's protocol limit (65,535).
    pub(crate) fn max_binds(self) -> usize {
        match self {
            Dialect::Sqlite => 32_766,
            Dialect::Postgres => 65_535,
        }
    }

    /// `n` placeholders from the `first`th on, comma separated: `?, ?` or `$3, $4`.
    pub(crate) fn placeholders(self, first: usize, n: usize) -> String {
        let mut list = String::with_capacity(n * 4);
        self.push_placeholders(&mut list, first, n);
        list
    }

    /// Appends [`Dialect::placeholders`] to `sql`, without allocating each one: a batch
    /// writes thousands.
    pub(crate) fn push_placeholders(self, sql: &mut String, first: usize, n: usize) {
        use std::fmt::Write as _;
        for i in first..first + n {
            if i > first {
                sql.push_str(", ");
            }
            match self {
                Dialect::Sqlite => sql.push('?'),
                Dialect::Postgres => {
                    let _ = write!(sql, "${i}");
                }
            }
        }
    }

    /// `column` is one of the text values of the JSON array bound at `placeholder`: any
    /// number of values in one bound parameter. On PostgreSQL the array is read once
    /// (`= ANY(ARRAY(..))`, an init plan) and looked up in `column`'s index; an
    /// `IN (SELECT jsonb_array_elements_text(..))` may instead be planned as a nested loop
    /// that reads the array again for every row.
    pub(crate) fn in_json(self, column: &str, placeholder: &str) -> String {
        match self {
            Dialect::Sqlite => format!("{column} IN (SELECT value FROM json_each({placeholder}))"),
            Dialect::Postgres => format!(
                "{column} = ANY(ARRAY(SELECT jsonb_array_elements_text(CAST({placeholder} AS JSONB))))"
            ),
        }
    }

    /// Whether the index whose name is bound at `placeholder` exists (in the schema the
    /// statement's unqualified names resolve in), as a condition the database computes once
    /// per statement: an uncorrelated subquery.
    pub(crate) fn index_exists(self, placeholder: &str) -> String {
        match self {
            Dialect::Sqlite => format!(
                "EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = {placeholder})"
            ),
            Dialect::Postgres => {
                format!("(SELECT to_regclass(quote_ident({placeholder})) IS NOT NULL)")
            }
        }
    }

    /// `column` is one of the text values of the JSON array bound at `placeholder`, or is
    /// not when `negated`, tested against a set built once from the array: for a column no
    /// index may hold, where [`in_json`](Self::in_json) would look through the whole array
    /// for every row. SQLite builds the set of an `IN (SELECT ..)` once. PostgreSQL hashes
    /// the array once when the `IN (SELECT ..)` stays a subplan; directly in a `WHERE` it
    /// would be turned into a join, which may be planned as a nested loop that reads the
    /// array again for every row, so the positive test is written under two `NOT`s,
    /// which keep it a subplan (and which the planner then removes).
    pub(crate) fn in_json_set(self, column: &str, placeholder: &str, negated: bool) -> String {
        let member = match self {
            Dialect::Sqlite => format!("{column} IN (SELECT value FROM json_each({placeholder}))"),
            Dialect::Postgres => format!(
                "{column} IN (SELECT jsonb_array_elements_text(CAST({placeholder} AS JSONB)))"
            ),
        };
        match (self, negated) {
            (_, true) => format!("NOT ({member})"),
            (Dialect::Sqlite, false) => member,
            (Dialect::Postgres, false) => format!("NOT (NOT ({member}))"),
        }
    }

    /// `[key, [value, ..]]` as JSON text: an aggregate over a group's rows, `key` one of
    /// the columns it is grouped by, `value` each row's text (in no particular order).
    pub(crate) fn json_group(self, key: &str, value: &str) -> String {
        match self {
            Dialect::Sqlite => format!("json_array({key}, json_group_array({value}))"),
            Dialect::Postgres => {
                format!("CAST(json_build_array({key}, json_agg({value})) AS TEXT)")
            }
        }
    }

    /// The definition of a table `table(key, n)` that a statement builds once from the JSON
    /// object bound at `placeholder` (`{"key": n, ..}`), for [`json_lookup`](Self::json_lookup)
    /// to read from; `None` where the dialect reads the object itself. On SQLite a
    /// materialized common table expression, which the database indexes for the lookup
    /// (a `json_each` read for each row would read the whole object each time); on
    /// PostgreSQL the object is a constant of the statement, whose keys `->>` finds by a
    /// binary search.
    pub(crate) fn json_lookup_table(self, table: &str, placeholder: &str) -> Option<String> {
        match self {
            Dialect::Sqlite => Some(format!(
                "{table}(\"key\", \"n\") AS MATERIALIZED \
                 (SELECT \"key\", \"value\" FROM json_each({placeholder}))"
            )),
            Dialect::Postgres => None,
        }
    }

    /// The integer under the text of `key` in the JSON object bound at `placeholder`, 0
    /// where the object has no such key (read from `table` on SQLite:
    /// [`json_lookup_table`](Self::json_lookup_table)).
    pub(crate) fn json_lookup(self, table: &str, placeholder: &str, key: &str) -> String {
        match self {
            Dialect::Sqlite => format!(
                "COALESCE((SELECT \"n\" FROM {table} WHERE {table}.\"key\" = CAST({key} AS TEXT)), 0)"
            ),
            Dialect::Postgres => format!(
                "COALESCE(CAST(CAST({placeholder} AS JSONB) ->> CAST({key} AS TEXT) AS BIGINT), 0)"
            ),
        }
    }

    /// The expression for the current time.
    pub(crate) fn now(self) -> &'static str {
        match self {
            Dialect::Sqlite => "CURRENT_TIMESTAMP",
            Dialect::Postgres => "now()",
        }
    }
}
