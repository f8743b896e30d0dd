//! The SQL of graph queries: a statement being written ([`Sql`]), with every value bound
//! and every name taken from the plan (which took it from the registry), never from the
//! query's own strings; conditions, orders, and the select list of a node with the links
//! joined into it.

use std::collections::HashMap;

use serde_json::Value;

use crate::backend::{Executor, JsonRow, LoadRow, RowCells, Statement};
use crate::definition::ColumnKind;
use crate::definition::{ColumnValue, LinkSchema, Side};
use crate::dialect::{json_list, Dialect};
use crate::error::{Error, Result};
use crate::graph::filter::Order;
use crate::graph::plan::{Bind, Column, Cond, Count, Edge, Node, Op, OrderKey, Source};
use crate::migrate::sql::ident;
use crate::service::{counts, live_unique_index, over_linked, over_linked_column, precedence};
use chrono::NaiveDateTime;

/// A statement being written: its text, its binds, the table aliases used so far, and the
/// counts it binds whole.
pub(super) struct Sql {
    dialect: Dialect,
    pub(super) text: String,
    binds: Vec<Bind>,
    aliases: usize,
    /// Counts bound whole, which the statement looks its rows' counts up in
    /// ([`Sql::bind_counts`]).
    counts: Vec<BoundCounts>,
}

/// Every record's count of one link field, counted in the application (the link's tables
/// being in another database) and bound into a statement as one JSON object, keyed by the
/// record's column `own`.
struct BoundCounts {
    /// The link field counted (`products` of `_count.products`).
    name: &'static str,
    own: &'static str,
    placeholder: String,
    /// The table the statement builds from the object, where the dialect needs one.
    table: String,
}

impl Sql {
    pub(super) fn new(dialect: Dialect) -> Self {
        Sql {
            dialect,
            text: String::new(),
            binds: Vec::new(),
            aliases: 0,
            counts: Vec::new(),
        }
    }

    /// Binds `counted`, every record's count of its link field `name` by the value of its
    /// column `own` (a record absent counts 0), for [`Sql::bound_count`] to read: what an
    /// order by a count whose link's tables are in another database reads. The statement's
    /// text must begin with [`Sql::with`].
    pub(super) fn bind_counts(
        &mut self,
        name: &'static str,
        own: &'static str,
        counted: &HashMap<String, u64>,
    ) {
        let object: serde_json::Map<String, Value> = counted
            .iter()
            .map(|(key, n)| (key.clone(), Value::from(*n)))
            .collect();
        let placeholder = self.bind(Bind::Text(Value::Object(object).to_string()));
        let table = ident(&format!("link_counted_{}", self.counts.len()));
        self.counts.push(BoundCounts {
            name,
            own,
            placeholder,
            table,
        });
    }

    /// The count of link field `name` of the row `alias`, if the statement binds it whole
    /// ([`Sql::bind_counts`]).
    pub(super) fn bound_count(&self, alias: &str, name: &str) -> Option<String> {
        let bound = self.counts.iter().find(|bound| bound.name == name)?;
        Some(
            self.dialect
                .json_lookup(&bound.table, &bound.placeholder, &col(alias, bound.own)),
        )
    }

    /// `WITH .. ` the tables the statement's bound counts are read from, if it has any the
    /// dialect needs; nothing otherwise.
    pub(super) fn with(&self) -> String {
        let tables: Vec<String> = self
            .counts
            .iter()
            .filter_map(|bound| {
                self.dialect
                    .json_lookup_table(&bound.table, &bound.placeholder)
            })
            .collect();
        match tables.is_empty() {
            true => String::new(),
            false => format!("WITH {} ", tables.join(", ")),
        }
    }

    /// Binds a value; returns its placeholder. Placeholders are numbered on both backends
    /// (SQLite's `?NNN`), so that a part of a statement may be written before the text
    /// that precedes it, and an expression may stand in it twice.
    pub(super) fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        match self.dialect {
            Dialect::Sqlite => format!("?{}", self.binds.len()),
            Dialect::Postgres => self.dialect.placeholder(self.binds.len()),
        }
    }

    /// A fresh table alias.
    pub(super) fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("t{}", self.aliases)
    }

    /// Runs the statement; returns its rows.
    pub(super) async fn run<E: Executor>(&self, conn: &mut E) -> Result<Vec<Vec<Value>>> {
        let binds = self.values();
        let rows: Vec<JsonRow> = conn.fetch(Statement::shaped(&self.text, &binds)).await?;
        Ok(rows.into_iter().map(|row| row.0).collect())
    }

    /// Runs the statement and hands its rows to `each`, read as `R`, as they are read,
    /// until it returns `false`; returns how many rows it handed over.
    pub(super) async fn run_each<E: Executor, R: LoadRow>(
        &self,
        conn: &mut E,
        each: &mut (dyn FnMut(R) -> bool + Send),
    ) -> Result<usize> {
        let binds = self.values();
        Ok(conn
            .fetch_each(Statement::shaped(&self.text, &binds), each)
            .await?)
    }

    /// The binds, as the executor takes them.
    fn values(&self) -> Vec<ColumnValue<'_>> {
        self.binds
            .iter()
            .map(|bind| match bind {
                Bind::Bool(value) => ColumnValue::Bool(*value),
                Bind::Int(value) => ColumnValue::BigInt(*value),
                Bind::Float(value) => ColumnValue::Double(*value),
                Bind::Text(value) => ColumnValue::Text(value),
                Bind::Timestamp(value) => ColumnValue::Timestamp(*value),
                Bind::Bytes(value) => ColumnValue::Bytes(value),
                Bind::TimestampTz(value) => ColumnValue::TimestampTz(*value),
                Bind::Date(value) => ColumnValue::Date(*value),
                Bind::Time(value) => ColumnValue::Time(*value),
                Bind::Json(value) => ColumnValue::Json(value),
                #[cfg(feature = "decimal")]
                Bind::Decimal(value) => ColumnValue::Decimal(value),
                #[cfg(feature = "uuid")]
                Bind::Uuid(value) => ColumnValue::Uuid(*value),
            })
            .collect()
    }
}

/// `"alias"."column"`
pub(super) fn col(alias: &str, column: &str) -> String {
    format!("{}.{}", ident(alias), ident(column))
}

pub(super) fn select_list(alias: &str, columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| col(alias, c.column))
        .collect::<Vec<_>>()
        .join(", ")
}

/// ` AND "alias"."deleted_at" IS NULL`: the live rows of `source`, aliased `alias`, unless
/// deleted rows are asked for or the table has no soft-delete column.
pub(super) fn live(source: Source, alias: &str, with_deleted: bool) -> String {
    match source.deleted_at() {
        Some(deleted_at) if !with_deleted => format!(" AND {} IS NULL", col(alias, deleted_at)),
        _ => String::new(),
    }
}

/// A page bound: `u64` as SQL's signed integer.
pub(super) fn count_bind(value: u64) -> Bind {
    Bind::Int(i64::try_from(value).unwrap_or(i64::MAX))
}

/// A statement's select list and `FROM` clause ([`select_joined`]), and the columns it
/// selects last to find records with more live links than their side allows.
pub(super) struct Selected {
    pub select: String,
    pub from: String,
    pub checks: Vec<OverLinkCheck>,
}

/// A column a statement selects after every other: whether the record whose id an
/// expression of the statement gives holds several live links on a side of `link` that
/// allows one ([`over_linked_column`]). A graph query that reads such a side for a record
/// fails with [`Error::OverLinked`](crate::Error::OverLinked) rather than choose one of
/// its partners.
#[derive(Debug, Clone)]
pub(super) struct OverLinkCheck {
    link: &'static LinkSchema,
    /// The pivot column of the record's side.
    from: &'static str,
    /// The side of its partners.
    to: Side,
    /// The SQL expression of the record's id.
    record: String,
}

impl OverLinkCheck {
    /// The check of the link `edge` reads, from the record whose id `record` gives, if the
    /// edge reads one partner on a side of a pivot.
    pub(super) fn of(edge: Edge, record: String) -> Option<Self> {
        match edge {
            Edge::Pivot { link, from, to } | Edge::Row { link, from, to } if !to.is_list => {
                Some(OverLinkCheck {
                    link,
                    from,
                    to,
                    record,
                })
            }
            _ => None,
        }
    }

    /// The column, its index's name bound.
    fn column(&self, sql: &mut Sql) -> String {
        let index = live_unique_index(self.link, self.from)
            .map(|name| sql.bind(Bind::Text(name.to_owned())));
        let other = sql.alias();
        over_linked_column(
            sql.dialect,
            self.link.table,
            &other,
            self.from,
            self.to.column,
            &self.record,
            index.as_deref(),
        )
    }

    /// The columns of `checks`, each after a comma, to end a select list.
    pub(super) fn columns(checks: &[OverLinkCheck], sql: &mut Sql) -> String {
        checks
            .iter()
            .map(|check| format!(", {}", check.column(sql)))
            .collect()
    }

    /// Fails on the first of the columns of `checks`, which end `row`, that finds a record
    /// with several live links.
    pub(super) fn verify(checks: &[OverLinkCheck], row: &impl RowCells) -> Result<()> {
        let start = row.columns().saturating_sub(checks.len());
        for (i, check) in checks.iter().enumerate() {
            let Some(side) = self_side(check.link, check.from) else {
                continue;
            };
            over_linked(check.link, side, &check.to, &row.value(start + i))?;
        }
        Ok(())
    }

    /// Takes the columns of `checks` off the end of `row`; fails on the first that finds a
    /// record with several live links.
    pub(super) fn strip(checks: &[OverLinkCheck], row: &mut Vec<Value>) -> Result<()> {
        let flags = row.split_off(row.len().saturating_sub(checks.len()));
        for (check, flag) in checks.iter().zip(&flags) {
            let Some(side) = self_side(check.link, check.from) else {
                continue;
            };
            over_linked(check.link, side, &check.to, flag)?;
        }
        Ok(())
    }
}

/// The side of `link` whose pivot column is `column`.
fn self_side(link: &'static LinkSchema, column: &str) -> Option<&'static Side> {
    [&link.left, &link.right]
        .into_iter()
        .find(|side| side.column == column)
}

/// What a node's own statement reads besides its columns: which of its hops are `joined`
/// into it, and which of its counts are counted `apart`, in the application (nulls in the
/// statement). Empty masks: none.
#[derive(Debug, Clone, Copy)]
pub(super) struct Parts<'a> {
    pub joined: &'a [bool],
    pub apart: &'a [bool],
}

/// The select list and the `FROM` clause of a statement on `node`: its table as `t0`, then
/// for each joined hop its pivot (if any) and its table `LEFT JOIN`ed, their columns
/// selected after the node's, hop by hop; then the expressions `keys` (which bind
/// nothing: a page's order keys, for its cursor); then the columns of the over-link checks
/// of its joined hops and of `extra` ([`OverLinkCheck`]), each once. The checks bind the
/// names of their sides' unique indexes first (the select list comes first in the text),
/// then a joined pivot binds its own ([`link_counts`]), so the statement's later parts
/// bind theirs after them.
pub(super) fn select_joined(
    sql: &mut Sql,
    node: &Node,
    parts: Parts<'_>,
    with_deleted: bool,
    keys: &[String],
    extra: Vec<OverLinkCheck>,
    counting: Counting,
) -> Selected {
    let Parts { joined, apart } = parts;
    let hops = || {
        node.hops
            .iter()
            .zip(joined)
            .filter_map(|(h, j)| j.then_some(h))
    };
    let mut checks: Vec<OverLinkCheck> = Vec::new();
    let joined_checks = hops()
        .filter_map(|hop| OverLinkCheck::of(hop.edge, col("t0", node.select[hop.from].column)));
    for check in joined_checks.chain(extra) {
        let same = |c: &OverLinkCheck| {
            (c.link.table, c.from, &c.record) == (check.link.table, check.from, &check.record)
        };
        if !checks.iter().any(same) {
            checks.push(check);
        }
    }
    let flags: Vec<String> = checks.iter().map(|check| check.column(sql)).collect();
    let mut select = vec![select_list("t0", &node.select)];
    let mut from = format!("{} AS {}", ident(node.source.table()), ident("t0"));
    for hop in hops() {
        let key = col("t0", node.select[hop.from].column);
        let target = hop.node.source;
        let t = match hop.edge {
            Edge::Pivot {
                link,
                from: own,
                to,
            } => {
                // The side holds one partner at most: only the link that counts for the
                // record is joined, so that a table whose data breaks the side's
                // cardinality (one adopted from Medusa) cannot repeat the record (which
                // its check then refuses).
                let p = sql.alias();
                let counts = link_counts(sql, link, &p, own, to.column, with_deleted);
                from += &format!(
                    " LEFT JOIN {} AS {} ON {} = {key}{} AND {counts}",
                    ident(link.table),
                    ident(&p),
                    col(&p, own),
                    live(Source::Link(link), &p, with_deleted),
                );
                join_target(sql, &mut from, target, &col(&p, to.column), with_deleted)
            }
            Edge::Direct { .. } => join_target(sql, &mut from, target, &key, with_deleted),
            // The link row beside the one partner: the pivot itself, as above.
            Edge::Row {
                link,
                from: own,
                to,
            } => {
                let p = sql.alias();
                let counts = link_counts(sql, link, &p, own, to.column, with_deleted);
                from += &format!(
                    " LEFT JOIN {} AS {} ON {} = {key}{} AND {counts}",
                    ident(link.table),
                    ident(&p),
                    col(&p, own),
                    live(Source::Link(link), &p, with_deleted),
                );
                p
            }
            // A list, never joined.
            Edge::Referring { .. } => unreachable!("a list is read by its own statement"),
        };
        select.push(select_list(&t, &hop.node.select));
    }
    // The node's counts come after its joined records' columns, before the checks; those
    // counted `apart`, in the application, are nulls here, unless the statement binds them.
    for (i, count) in node.counts.iter().enumerate() {
        let counted = match (sql.bound_count("t0", count.name), counting) {
            // Bound whole for an order by it: read where it is bound.
            (Some(bound), _) => bound,
            _ if apart.get(i).copied().unwrap_or(false) => "NULL".to_owned(),
            (None, Counting::PerRow) => count_expr(sql, "t0", node.source, count, with_deleted),
            (None, Counting::Grouped) => {
                let (join, counted) = grouped_count(sql, "t0", node.source, count, i, with_deleted);
                from += &join;
                counted
            }
        };
        select.push(format!("{counted} AS {}", ident(&count_alias(i))));
    }
    // Then the order keys a cursor is made of.
    select.extend(keys.iter().cloned());
    select.extend(flags);
    Selected {
        select: select.join(", "),
        from,
        checks,
    }
}

/// `target`'s table `LEFT JOIN`ed to `from` on its primary key holding `linked`; its alias.
fn join_target(
    sql: &mut Sql,
    from: &mut String,
    target: Source,
    linked: &str,
    with_deleted: bool,
) -> String {
    let t = sql.alias();
    *from += &format!(
        " LEFT JOIN {} AS {} ON {} = {linked}{}",
        ident(target.table()),
        ident(&t),
        col(&t, target.primary_key()),
        live(target, &t, with_deleted),
    );
    t
}

/// The condition that the row aliased `row` of `link`'s pivot (its record in `from`, its
/// partner in `to`) is the link that counts for its record, on a side that holds one
/// record at most (`service/cardinality.rs`): free where the side's unique index exists.
pub(super) fn link_counts(
    sql: &mut Sql,
    link: &'static LinkSchema,
    row: &str,
    from: &str,
    to: &str,
    with_deleted: bool,
) -> String {
    let other = sql.alias();
    // With deleted rows, dismissed links compete too: the index says nothing of them.
    let index = live_unique_index(link, from)
        .filter(|_| !with_deleted)
        .map(|name| sql.bind(Bind::Text(name.to_owned())));
    counts(
        sql.dialect,
        link.table,
        row,
        &other,
        from,
        to,
        with_deleted,
        index.as_deref(),
    )
}

/// A `LIKE` pattern (`%`, `_`, `\` escaping the next character) as the SQLite `GLOB`
/// pattern that matches the same strings, case included.
fn like_to_glob(pattern: &str) -> String {
    let mut glob = String::with_capacity(pattern.len() + 4);
    let literal = |glob: &mut String, c: char| match c {
        // GLOB's own wildcards, matched literally as a one-character set.
        '*' | '?' | '[' => {
            glob.push('[');
            glob.push(c);
            glob.push(']');
        }
        c => glob.push(c),
    };
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => glob.push('*'),
            '_' => glob.push('?'),
            '\\' => literal(&mut glob, chars.next().unwrap_or('\\')),
            c => literal(&mut glob, c),
        }
    }
    glob
}

/// `cond` on the rows of `source` aliased `alias`, as SQL.
pub(super) fn cond(
    sql: &mut Sql,
    alias: &str,
    source: Source,
    cond_: &Cond,
    with_deleted: bool,
) -> String {
    match cond_ {
        Cond::True => "1 = 1".to_owned(),
        Cond::Column {
            column: name, op, ..
        } => {
            // A primary key's index finds its values in a JSON list.
            let indexed = *name == source.primary_key();
            compare(sql, &col(alias, name), op, indexed)
        }
        Cond::Count { count, op } => {
            let counted = count_expr(sql, alias, source, count, with_deleted);
            compare(sql, &counted, op, false)
        }
        Cond::Linked {
            edge,
            target,
            inner,
        } => linked(sql, alias, source, *edge, *target, inner, with_deleted),
        Cond::Not(inner) => match &**inner {
            Cond::Linked {
                edge,
                target,
                inner,
            } => unlinked(sql, alias, source, *edge, *target, inner, with_deleted),
            // Unknown (a null compared) is not true, so it is a match here.
            other => format!(
                "({}) IS NOT TRUE",
                cond(sql, alias, source, other, with_deleted)
            ),
        },
        Cond::Ids { ids, .. } if ids.is_empty() => "1 = 0".to_owned(),
        Cond::Ids { column, ids } => {
            let keys: Vec<&str> = ids.iter().map(String::as_str).collect();
            let p = sql.bind(Bind::Text(json_list(&keys)));
            sql.dialect.in_json(&col(alias, column), &p)
        }
        Cond::And(conds) | Cond::Or(conds) => {
            let (joiner, empty) = match cond_ {
                Cond::And(_) => (" AND ", "1 = 1"),
                _ => (" OR ", "1 = 0"),
            };
            if conds.is_empty() {
                return empty.to_owned();
            }
            let parts: Vec<String> = conds
                .iter()
                .map(|c| cond(sql, alias, source, c, with_deleted))
                .collect();
            if parts.len() <= FLAT_TERMS {
                format!("({})", parts.join(joiner))
            } else {
                balanced(&parts, joiner)
            }
        }
    }
}

/// `column` (an SQL expression) compared as `op` says; `indexed` when an index on it finds
/// the values of a JSON list.
fn compare(sql: &mut Sql, column: &str, op: &Op, indexed: bool) -> String {
    match op {
        Op::Compare(operator, value) => {
            let p = sql.bind(value.clone());
            format!("{column} {operator} {p}")
        }
        Op::In(values) if values.is_empty() => "1 = 0".to_owned(),
        Op::NotIn(values) if values.is_empty() => "1 = 1".to_owned(),
        Op::In(values) | Op::NotIn(values) => {
            let list: Vec<String> = values.iter().map(|v| sql.bind(v.clone())).collect();
            let not = if matches!(op, Op::NotIn(_)) {
                "NOT "
            } else {
                ""
            };
            format!("{column} {not}IN ({})", list.join(", "))
        }
        Op::InJson { list, negated, .. } => {
            let p = sql.bind(Bind::Text(list.clone()));
            // A primary key's index finds its values; any other column is tested
            // against the list's values as a set.
            if !*negated && indexed {
                sql.dialect.in_json(column, &p)
            } else {
                sql.dialect.in_json_set(column, &p, *negated)
            }
        }
        // PostgreSQL's semantics on both backends: `LIKE` respects case, and a
        // backslash escapes the character after it.
        Op::Like(pattern) => match (sql.dialect, pattern) {
            // SQLite's LIKE ignores ASCII case: its GLOB does not.
            (Dialect::Sqlite, Bind::Text(pattern)) => {
                let p = sql.bind(Bind::Text(like_to_glob(pattern)));
                format!("{column} GLOB {p}")
            }
            _ => {
                let p = sql.bind(pattern.clone());
                format!("{column} LIKE {p}")
            }
        },
        Op::ILike(pattern) => {
            let p = sql.bind(pattern.clone());
            match sql.dialect {
                // SQLite's LIKE ignores ASCII case already.
                Dialect::Sqlite => format!("{column} LIKE {p} ESCAPE '\\'"),
                Dialect::Postgres => format!("{column} ILIKE {p}"),
            }
        }
        Op::IsNull => format!("{column} IS NULL"),
        Op::IsNotNull => format!("{column} IS NOT NULL"),
    }
}

/// How the records linked through an edge are matched to the row they are linked from.
pub(super) enum Reach {
    /// Through a pivot table: its `from` column holds the row's key, its `to` column the
    /// linked key.
    Pivot {
        link: &'static LinkSchema,
        from: &'static str,
        to: &'static str,
    },
    /// By one column on each side, no table between: the row's `own` column equals the
    /// linked table's `theirs` (a pivot row's side, a read-only link, a record's link rows).
    Columns {
        own: &'static str,
        theirs: &'static str,
    },
}

impl Reach {
    pub(super) fn of(edge: Edge, source: Source, target: Source) -> Self {
        match edge {
            Edge::Pivot { link, from, to } => Reach::Pivot {
                link,
                from,
                to: to.column,
            },
            Edge::Direct { to } => Reach::Columns {
                own: to.column,
                theirs: target.primary_key(),
            },
            // A link row's own record: its pivot column of the record's side.
            Edge::Referring { column, .. } | Edge::Row { from: column, .. } => Reach::Columns {
                own: source.primary_key(),
                theirs: column,
            },
        }
    }
}

/// How a statement counts its records' linked records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Counting {
    /// A subquery per row, which the link's index answers: for a statement that reads
    /// some of its table's records (a page, a filter, the records of a level's keys).
    PerRow,
    /// Each count once for the whole table, grouped by record and joined on its key: for a
    /// statement that reads every record of its table, where a subquery per row would
    /// probe the index once per record (1,000 subqueries to rank 1,000 brands).
    Grouped,
}

/// `count` for every record of `source` (aliased `alias`) at once: a `LEFT JOIN` of the
/// live links grouped by record ([`grouped_links`]), and the expression of the `i`th count
/// over it. It binds the values of the count's filter, if any.
fn grouped_count(
    sql: &mut Sql,
    alias: &str,
    source: Source,
    count: &Count,
    i: usize,
    with_deleted: bool,
) -> (String, String) {
    let c = format!("c{i}");
    let (grouped, own) = grouped_links(sql, source, count, None, with_deleted);
    let join = format!(
        " LEFT JOIN ({grouped}) AS {} ON {} = {}",
        ident(&c),
        col(&c, "k"),
        col(alias, own)
    );
    let counted = match count.edge.is_list() {
        true => format!("COALESCE({}, 0)", col(&c, "n")),
        false => format!("(CASE WHEN {} > 0 THEN 1 ELSE 0 END)", col(&c, "n")),
    };
    (join, counted)
}

/// The live records linked through `count`'s link field that its filter keeps, grouped by
/// the record they are linked from: `SELECT <its key> AS k, COUNT(*) AS n ..` (of the
/// records whose key is in the JSON list bound at `keys`, if given), on the link's tables
/// only; and the column of the record its key is (its primary key, or for a side held in
/// one of its columns, that column).
pub(super) fn grouped_links(
    sql: &mut Sql,
    source: Source,
    count: &Count,
    keys: Option<&str>,
    with_deleted: bool,
) -> (String, &'static str) {
    let target = count.target;
    let t = sql.alias();
    let target_live = live(target, &t, with_deleted) + &count_filter(sql, &t, count, with_deleted);
    let within = |sql: &Sql, column: String| match keys {
        Some(keys) => format!(" AND {}", sql.dialect.in_json(&column, keys)),
        None => String::new(),
    };
    match Reach::of(count.edge, source, target) {
        Reach::Pivot { link, from, to } => {
            let p = sql.alias();
            let within = within(sql, col(&p, from));
            let grouped = format!(
                "SELECT {} AS k, COUNT(*) AS n FROM {} AS {} JOIN {} AS {} ON {} = {} \
                 WHERE 1 = 1{}{target_live}{within} GROUP BY {}",
                col(&p, from),
                ident(link.table),
                ident(&p),
                ident(target.table()),
                ident(&t),
                col(&t, target.primary_key()),
                col(&p, to),
                live(Source::Link(link), &p, with_deleted),
                col(&p, from),
            );
            (grouped, source.primary_key())
        }
        Reach::Columns { own, theirs } => {
            let within = within(sql, col(&t, theirs));
            let grouped = format!(
                "SELECT {} AS k, COUNT(*) AS n FROM {} AS {} WHERE 1 = 1{target_live}{within} \
                 GROUP BY {}",
                col(&t, theirs),
                ident(target.table()),
                ident(&t),
                col(&t, theirs),
            );
            (grouped, own)
        }
    }
}

/// ` AND ` the filter of which linked records `count` counts, on the target aliased `t`;
/// nothing when every live one counts.
fn count_filter(sql: &mut Sql, t: &str, count: &Count, with_deleted: bool) -> String {
    match count.filter.always_holds() {
        true => String::new(),
        false => format!(
            " AND {}",
            cond(sql, t, count.target, &count.filter, with_deleted)
        ),
    }
}

/// How many live records are linked to the row `alias` of `source` through `count`'s link
/// field: a correlated subquery, which each database answers from the index on the link's
/// side of the row. Of a side that holds one record at most, 0 or 1 whatever the data.
/// It binds the values of the count's filter, if any; placeholders are numbered, so it
/// may stand anywhere in a statement.
pub(super) fn count_expr(
    sql: &mut Sql,
    alias: &str,
    source: Source,
    count: &Count,
    with_deleted: bool,
) -> String {
    let target = count.target;
    let t = sql.alias();
    let target_live = live(target, &t, with_deleted) + &count_filter(sql, &t, count, with_deleted);
    let body = match Reach::of(count.edge, source, target) {
        Reach::Pivot { link, from, to } => {
            let p = sql.alias();
            format!(
                "FROM {} AS {} JOIN {} AS {} ON {} = {} WHERE {} = {}{}{target_live}",
                ident(link.table),
                ident(&p),
                ident(target.table()),
                ident(&t),
                col(&t, target.primary_key()),
                col(&p, to),
                col(&p, from),
                col(alias, source.primary_key()),
                live(Source::Link(link), &p, with_deleted),
            )
        }
        Reach::Columns { own, theirs } => format!(
            "FROM {} AS {} WHERE {} = {}{target_live}",
            ident(target.table()),
            ident(&t),
            col(&t, theirs),
            col(alias, own),
        ),
    };
    if count.edge.is_list() {
        format!("(SELECT COUNT(*) {body})")
    } else {
        format!("(CASE WHEN EXISTS (SELECT 1 {body}) THEN 1 ELSE 0 END)")
    }
}

/// Some live record linked to the row `alias` of `source` through `edge` meets `inner`:
/// nested semi-joins rather than a join, so that the database finds the matching targets
/// first, then their pivot rows by the side's index, instead of looking up the target of
/// every pivot row.
fn linked(
    sql: &mut Sql,
    alias: &str,
    source: Source,
    edge: Edge,
    target: Source,
    inner: &Cond,
    with_deleted: bool,
) -> String {
    let t = sql.alias();
    match Reach::of(edge, source, target) {
        Reach::Pivot { link, from, to } => {
            let p = sql.alias();
            let inner = cond(sql, &t, target, inner, with_deleted);
            let live = live(Source::Link(link), &p, with_deleted);
            format!(
                "{} IN (SELECT {} FROM {} AS {} WHERE {} IN \
                 (SELECT {} FROM {} AS {} WHERE {inner}){live})",
                col(alias, source.primary_key()),
                col(&p, from),
                ident(link.table),
                ident(&p),
                col(&p, to),
                col(&t, target.primary_key()),
                ident(target.table()),
                ident(&t),
            )
        }
        Reach::Columns { own, theirs } => {
            let inner = cond(sql, &t, target, inner, with_deleted);
            format!(
                "{} IN (SELECT {} FROM {} AS {} WHERE {inner})",
                col(alias, own),
                col(&t, theirs),
                ident(target.table()),
                ident(&t),
            )
        }
    }
}

/// No live record linked to the row `alias` of `source` through `edge` meets `inner`: an
/// anti-join (`NOT EXISTS`, which a null in the linked column cannot turn unknown, as it
/// would a `NOT IN`), correlated on the row's key so that each database looks the row's
/// links up by their index.
fn unlinked(
    sql: &mut Sql,
    alias: &str,
    source: Source,
    edge: Edge,
    target: Source,
    inner: &Cond,
    with_deleted: bool,
) -> String {
    let t = sql.alias();
    match Reach::of(edge, source, target) {
        Reach::Pivot { link, from, to } => {
            let p = sql.alias();
            let inner = cond(sql, &t, target, inner, with_deleted);
            let live = live(Source::Link(link), &p, with_deleted);
            format!(
                "NOT EXISTS (SELECT 1 FROM {} AS {} WHERE {} = {}{live} AND {} IN \
                 (SELECT {} FROM {} AS {} WHERE {inner}))",
                ident(link.table),
                ident(&p),
                col(&p, from),
                col(alias, source.primary_key()),
                col(&p, to),
                col(&t, target.primary_key()),
                ident(target.table()),
                ident(&t),
            )
        }
        Reach::Columns { own, theirs } => {
            let inner = cond(sql, &t, target, inner, with_deleted);
            format!(
                "NOT EXISTS (SELECT 1 FROM {} AS {} WHERE {} = {} AND {inner})",
                ident(target.table()),
                ident(&t),
                col(&t, theirs),
                col(alias, own),
            )
        }
    }
}

/// Up to how many terms an `AND` or `OR` is written flat: `(a OR b OR c)`.
const FLAT_TERMS: usize = 64;

/// `parts` joined by `joiner` as a balanced tree, `((a OR b) OR (c OR d))`: SQLite parses
/// a flat chain into a tree as deep as it is long, and refuses one deeper than 1,000.
fn balanced(parts: &[String], joiner: &str) -> String {
    match parts {
        [one] => one.clone(),
        _ => {
            let (left, right) = parts.split_at(parts.len() / 2);
            format!(
                "({}{joiner}{})",
                balanced(left, joiner),
                balanced(right, joiner)
            )
        }
    }
}

/// The name a statement gives the `i`th count it selects, by which its order refers to it
/// rather than counting again.
fn count_alias(i: usize) -> String {
    format!("link_count_{i}")
}

/// An `ORDER BY` term: [`order_value`] and its direction. NULLs sort as PostgreSQL sorts
/// them by default, on both backends: after every value, so last when ascending and first
/// when descending. A count the statement selects too (among `selected`, its node's) is
/// the selected column, named: each row counts once.
pub(super) fn order_expr(
    sql: &mut Sql,
    alias: &str,
    source: Source,
    key: &OrderKey,
    selected: &[Count],
    with_deleted: bool,
) -> String {
    let expr = match &key.count {
        Some(count) => match selected.iter().position(|c| c.name == count.name) {
            Some(i) => ident(&count_alias(i)),
            None => order_value(sql, alias, source, key, with_deleted),
        },
        None => order_value(sql, alias, source, key, with_deleted),
    };
    match key.order {
        Order::Asc => format!("{expr} ASC NULLS LAST"),
        Order::Desc => format!("{expr} DESC NULLS FIRST"),
    }
}

/// The value an order key gives the row `alias` of `source`, as an expression that stands
/// anywhere in the statement (its select list and `WHERE` included, where a selected
/// column's name does not): its column; a count of its linked records ([`count_expr`], or
/// looked up where the statement binds it whole: [`Sql::bind_counts`]); or a linked field,
/// read by a subquery that yields the value of the partner that counts (a side ordered by
/// has one live partner at most, and where the data holds several, the one [`precedence`]
/// puts first: the one the output shows), so the order is well defined.
/// It binds nothing but a count's filter.
pub(super) fn order_value(
    sql: &mut Sql,
    alias: &str,
    source: Source,
    key: &OrderKey,
    with_deleted: bool,
) -> String {
    match (&key.count, key.via) {
        (Some(count), _) => match sql.bound_count(alias, count.name) {
            Some(bound) => bound,
            None => count_expr(sql, alias, source, count, with_deleted),
        },
        (None, None) => col(alias, key.column),
        (None, Some((edge, target))) => {
            let t = sql.alias();
            let target_live = live(target, &t, with_deleted);
            match edge {
                Edge::Pivot { link, from, to } => {
                    let p = sql.alias();
                    let live = live(Source::Link(link), &p, with_deleted);
                    format!(
                        "(SELECT {} FROM {} AS {} JOIN {} AS {} ON {} = {} WHERE {} = {}{live}{target_live} \
                         ORDER BY {} LIMIT 1)",
                        col(&t, key.column),
                        ident(link.table),
                        ident(&p),
                        ident(target.table()),
                        ident(&t),
                        col(&t, target.primary_key()),
                        col(&p, to.column),
                        col(&p, from),
                        col(alias, source.primary_key()),
                        precedence(&p, to.column),
                    )
                }
                Edge::Direct { to } => format!(
                    "(SELECT {} FROM {} AS {} WHERE {} = {}{target_live})",
                    col(&t, key.column),
                    ident(target.table()),
                    ident(&t),
                    col(&t, target.primary_key()),
                    col(alias, to.column),
                ),
                // The link row that counts, as for its partner.
                Edge::Row { link, from, to } => {
                    let live = live(Source::Link(link), &t, with_deleted);
                    format!(
                        "(SELECT {} FROM {} AS {} WHERE {} = {}{live} ORDER BY {} LIMIT 1)",
                        col(&t, key.column),
                        ident(link.table),
                        ident(&t),
                        col(&t, from),
                        col(alias, source.primary_key()),
                        precedence(&t, to.column),
                    )
                }
                // The planner orders through a side that holds one record only.
                Edge::Referring { .. } => unreachable!("an order key follows no list"),
            }
        }
    }
}

/// The condition that the row `alias` of `source` comes after the row whose order keys
/// hold `values` (a cursor's: one per key of `keys`, the last of which is the primary
/// key), in the order [`order_expr`] writes: `(k1, k2, .., pk) > (v1, v2, .., pk)` for
/// keys of either direction, a NULL sorting after every value.
///
/// It is the alternatives "equal on the first `i` keys and after on key `i`", behind a
/// bound on the first key that every row after the cursor meets (`k1 >= v1` ascending,
/// `k1 <= v1` descending): an index on that key then seeks to the cursor's row rather
/// than scan the rows before it. A key whose value is NULL is compared with `IS NULL`,
/// so the statement's text depends on which of the cursor's values are NULL, never on
/// the values themselves.
///
/// # Errors
///
/// [`Error::InvalidCursor`] for a value that is not one of its column's.
pub(super) fn after(
    sql: &mut Sql,
    alias: &str,
    source: Source,
    keys: &[OrderKey],
    values: &[Value],
    with_deleted: bool,
) -> Result<String> {
    /// One key's value in the cursor, the key's expression written once per use.
    struct Term<'k> {
        key: &'k OrderKey,
        value: Option<Bind>,
    }
    let terms = keys
        .iter()
        .zip(values)
        .map(|(key, value)| {
            let value = match value {
                Value::Null => None,
                value => Some(cursor_bind(sql.dialect, key.kind, value).ok_or_else(|| {
                    Error::InvalidCursor {
                        reason: format!(
                            "its value of `{}` is not one the field holds, or of a kind a \
                             cursor does not compare (it compares text, numbers, booleans, \
                             times, dates, decimals, UUIDs and bytes)",
                            key.path
                        ),
                    }
                })?),
            };
            Ok(Term { key, value })
        })
        .collect::<Result<Vec<_>>>()?;
    let expr = |sql: &mut Sql, term: &Term| order_value(sql, alias, source, term.key, with_deleted);
    // The bound on the first key.
    let mut parts = Vec::new();
    if let Some(first) = terms.first() {
        let e = expr(sql, first);
        match (&first.value, first.key.order) {
            (Some(value), Order::Asc) if !first.key.nullable => {
                parts.push(format!("{e} >= {}", sql.bind(value.clone())));
            }
            (Some(value), Order::Desc) => parts.push(format!("{e} <= {}", sql.bind(value.clone()))),
            (None, Order::Asc) => parts.push(format!("{e} IS NULL")),
            _ => {}
        }
    }
    let mut alternatives = Vec::new();
    for (i, term) in terms.iter().enumerate() {
        // None is after a NULL where NULLs come last.
        if term.value.is_none() && term.key.order == Order::Asc {
            continue;
        }
        // Equal on the keys before, then after on this one.
        let mut all = Vec::with_capacity(i + 1);
        for before in &terms[..i] {
            let e = expr(sql, before);
            all.push(match &before.value {
                Some(value) => format!("{e} = {}", sql.bind(value.clone())),
                None => format!("{e} IS NULL"),
            });
        }
        let e = expr(sql, term);
        all.push(match (&term.value, term.key.order) {
            (Some(value), Order::Asc) if term.key.nullable => {
                format!("({e} > {} OR {e} IS NULL)", sql.bind(value.clone()))
            }
            (Some(value), Order::Asc) => format!("{e} > {}", sql.bind(value.clone())),
            (Some(value), Order::Desc) => format!("{e} < {}", sql.bind(value.clone())),
            (None, _) => format!("{e} IS NOT NULL"),
        });
        alternatives.push(format!("({})", all.join(" AND ")));
    }
    parts.push(match alternatives.is_empty() {
        true => "1 = 0".to_owned(),
        false => format!("({})", alternatives.join(" OR ")),
    });
    Ok(format!("({})", parts.join(" AND ")))
}

/// A cursor's value of a column of `kind` as the value to compare the column with, as
/// the column holds it: on SQLite, the value as it is stored (a timestamp's own text, so
/// that it compares as `ORDER BY` sorts it), bytes back from their base64; on PostgreSQL,
/// a value of the column's type. `None` if the value is not one of the kind's.
fn cursor_bind(dialect: Dialect, kind: Option<ColumnKind>, value: &Value) -> Option<Bind> {
    use base64::Engine;
    let text = value.as_str();
    let plain = || match value {
        Value::Bool(value) => Some(Bind::Bool(*value)),
        Value::Number(n) => Some(
            n.as_i64()
                .map_or_else(|| Bind::Float(n.as_f64().unwrap_or(f64::NAN)), Bind::Int),
        ),
        Value::String(text) => Some(Bind::Text(text.clone())),
        _ => None,
    };
    let bytes = || {
        base64::engine::general_purpose::STANDARD
            .decode(text?)
            .ok()
            .map(Bind::Bytes)
    };
    let parse_time = |text: &str| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok();
    match (dialect, kind) {
        (_, Some(ColumnKind::Bytes)) => bytes(),
        // An enum's column holds its variant's text.
        (Dialect::Sqlite, _)
        | (Dialect::Postgres, None | Some(ColumnKind::Text | ColumnKind::Enum(_))) => plain(),
        (Dialect::Postgres, Some(kind)) => match kind {
            ColumnKind::Bool => value.as_bool().map(Bind::Bool),
            ColumnKind::SmallInt | ColumnKind::Integer | ColumnKind::BigInt => {
                value.as_i64().map(Bind::Int)
            }
            ColumnKind::Float | ColumnKind::Double => value.as_f64().map(Bind::Float),
            ColumnKind::Timestamp => parse_time(text?).map(Bind::Timestamp),
            ColumnKind::TimestampTz => {
                parse_time(text?).map(|time| Bind::TimestampTz(time.and_utc()))
            }
            ColumnKind::Date => text?.parse().ok().map(Bind::Date),
            ColumnKind::Time => text?.parse().ok().map(Bind::Time),
            ColumnKind::Json => Some(Bind::Json(value.clone())),
            #[cfg(feature = "decimal")]
            ColumnKind::Decimal => text?.parse().ok().map(Bind::Decimal),
            #[cfg(feature = "uuid")]
            ColumnKind::Uuid => text?.parse().ok().map(Bind::Uuid),
            // Read as text, and compared with nothing else: without the feature that binds
            // the kind, a cursor cannot start after one of its values.
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::like_to_glob;

    #[test]
    fn like_patterns_become_the_globs_that_match_the_same() {
        assert_eq!(like_to_glob("Trail%"), "Trail*");
        assert_eq!(like_to_glob("_ead"), "?ead");
        assert_eq!(like_to_glob("100\\%"), "100%");
        assert_eq!(like_to_glob("a*b?c[d]"), "a[*]b[?]c[[]d]");
        assert_eq!(like_to_glob("x\\_y"), "x_y");
    }
}
