//! Property tests of graph queries, on SQLite and PostgreSQL: arbitrary names, values and
//! JSON documents through the builder and `Graph::from_json`.
//!
//! - `typed_outcomes_built`, `typed_outcomes_json`: whatever a query holds, running it
//!   never panics and ends `Ok` or in a typed error of the query, never a database error;
//!   a query holding a NUL, a pattern over 10,000 characters or (in JSON) an empty
//!   condition `{}` is refused. `typed_outcomes_well_formed` holds the same of built
//!   queries whose names are known in all but a few cases, nearly half of which run: pages
//!   inside each record, counts of linked records (`_count.{link}` among the fields, in
//!   filters and in orders), their filters and orders.
//! - `names_never_reach_the_sql`: a query refused for a name runs no statement; a query
//!   that runs names only what the registry knows, and its statements hold only the
//!   registry's tables and columns, placeholders and a fixed SQL vocabulary.
//! - `values_never_reach_the_sql`: for a fixed shape, the statements' text is the same for
//!   any value as for a reference value of the same kind (and list length; any text list
//!   of 1,000 values or more is bound as one parameter), and a value the runtime refuses
//!   (NUL, a pattern too long, a timestamp outside the years 1 to 9999) runs none.
//! - `filters_find_exactly_the_matching_rows`: a row holding an arbitrary name is found by
//!   `$eq`, `$in`, `$like` and `$ilike` exactly as a model of the table says, and a
//!   timestamp compares as a time.
//!
//! Each property runs a bounded number of cases on one connection and prints a line that
//! counts its cases, its queries and their outcomes (`--nocapture` shows it). A database
//! error fails a property: the runtime refuses what it cannot run with a typed error.
//!
//! The bugs these properties found, B1 to B9 and B11, are fixed; the module `regressions`
//! holds a test of each at its smallest. B10 is open: on SQLite, `$like` and `$ilike` read a
//! stored text up to its first NUL. Its test is ignored, and the results property stores
//! no NUL.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use diesel::connection::Connection;
use link_runtime::chrono::{Datelike, NaiveDate, NaiveDateTime};
use link_runtime::graph::{Condition, Filter, Graph, GraphResult, Nested, Order};
use link_runtime::{Dialect, Error, LinkConnection, Linkable};
use link_test_support::{via, Statements, TestSql};
use link_tests::fixtures::catalog;
use link_tests::modules::brand::Brand;
use link_tests::modules::customer::Customer;
use link_tests::modules::product::Product;
use link_tests::modules::supplier::{Store, Supplier};
use link_tests::modules::tag::Tag;
use link_tests::modules::wishlist::Wishlist;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------------------
// Fixtures

/// The products of the shared [`catalog`], by id.
const PRODUCTS: [(&str, &str); 4] = [
    ("prod_1", "Kettle"),
    ("prod_2", "Teapot"),
    ("prod_3", "Toaster"),
    ("prod_4", "Whisk"),
];

// ---------------------------------------------------------------------------------------
// The registry as the tests see it

/// An entity and the names a query can use on it.
struct Entity {
    fields: Vec<&'static str>,
    /// Link fields and the entity each leads to.
    links: Vec<(&'static str, &'static str)>,
    /// The link fields that hold a list of records: those a `nested` entry pages.
    lists: Vec<(&'static str, &'static str)>,
}

struct Registry {
    entities: BTreeMap<&'static str, Entity>,
    /// Every field and link field name of every entity.
    names: Vec<&'static str>,
    /// Every table and column name: all that may be quoted in a statement.
    identifiers: BTreeSet<&'static str>,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let links = link_runtime::registered_links().expect("the links are registered");
        let mut entities = BTreeMap::new();
        let mut identifiers = BTreeSet::new();
        for model in [
            Product::ENTITY,
            Brand::ENTITY,
            Supplier::ENTITY,
            Tag::ENTITY,
            Customer::ENTITY,
            Wishlist::ENTITY,
        ] {
            identifiers.insert(model.table);
            identifiers.insert(model.primary_key);
            identifiers.extend(model.fields.iter().map(|f| f.column));
            let mut reached = Vec::new();
            let mut lists = Vec::new();
            for link in &links {
                if (link.left.module(), link.left.model()) == (model.module, model.model) {
                    if link.right.is_list {
                        lists.push((link.right.graph_field, link.right.model()));
                    }
                    reached.push((link.right.graph_field, link.right.model()));
                    // The link row beside the record: the pivot table's row.
                    reached.push((link.right.link_field, link.table));
                }
                if (link.right.module(), link.right.model()) == (model.module, model.model) {
                    if link.left.is_list {
                        lists.push((link.left.graph_field, link.left.model()));
                    }
                    reached.push((link.left.graph_field, link.left.model()));
                    reached.push((link.left.link_field, link.table));
                }
            }
            entities.insert(
                model.model,
                Entity {
                    fields: model.fields.iter().map(|f| f.name).collect(),
                    links: reached,
                    lists,
                },
            );
        }
        for link in &links {
            let mut fields = vec!["id", link.left.column, link.right.column];
            fields.extend(link.columns.iter().map(|c| c.name));
            fields.extend(["created_at", "updated_at", "deleted_at"]);
            identifiers.insert(link.table);
            identifiers.extend(fields.iter().copied());
            entities.insert(
                link.table,
                Entity {
                    fields,
                    links: vec![
                        (link.left.model(), link.left.model()),
                        (link.right.model(), link.right.model()),
                    ],
                    lists: Vec::new(),
                },
            );
        }
        let mut names: Vec<&'static str> = entities
            .values()
            .flat_map(|e| e.fields.iter().copied().chain(e.links.iter().map(|l| l.0)))
            .collect();
        names.sort_unstable();
        names.dedup();
        Registry {
            entities,
            names,
            identifiers,
        }
    })
}

/// The field under which a record answers its counts of linked records.
const COUNT: &str = "_count";

/// What a path is used for: each ends differently.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Use {
    /// A field path: a field, a link (all its fields), or `*` at the end. Each use may end
    /// in a count of linked records, `_count.{link}`.
    Field,
    /// A filter path: links, then a field.
    Filter,
    /// A filter path compared with null: links, then a field or a link (whether the
    /// record has a live linked record).
    Presence,
    /// An order path: a field, or one link and a field.
    Order,
}

/// Whether `path` names only what the registry knows, from `entity` on, as `use_` needs.
fn resolves(entity: &str, path: &str, use_: Use) -> bool {
    let registry = registry();
    let Some(mut at) = registry.entities.get(entity) else {
        return false;
    };
    let segments: Vec<&str> = path.split('.').collect();
    if use_ == Use::Order && segments.len() > 2 {
        return false;
    }
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        if *segment == "*" {
            return use_ == Use::Field && last;
        }
        // A count of the records of one of the entity's links ends the path.
        if *segment == COUNT {
            let counted = segments.get(i + 1);
            return i + 2 == segments.len()
                && at.links.iter().any(|(name, _)| Some(name) == counted);
        }
        if at.fields.contains(segment) {
            return last;
        }
        match at.links.iter().find(|(name, _)| name == segment) {
            // A link ends a field path only: it reads all the linked fields.
            Some(_) if last => return matches!(use_, Use::Field | Use::Presence),
            Some((_, target)) => at = &registry.entities[target],
            None => return false,
        }
    }
    false
}

// ---------------------------------------------------------------------------------------
// Outcomes and counts

fn error_kind(error: &Error) -> &'static str {
    match error {
        Error::UnknownEntity { .. } => "UnknownEntity",
        Error::AmbiguousEntity { .. } => "AmbiguousEntity",
        Error::UnknownField { .. } => "UnknownField",
        Error::AmbiguousField { .. } => "AmbiguousField",
        Error::InvalidFilter { .. } => "InvalidFilter",
        Error::InvalidOrder { .. } => "InvalidOrder",
        Error::MalformedQuery { .. } => "MalformedQuery",
        Error::TooCostly { .. } => "TooCostly",
        Error::Database(_) => "Database",
        _ => "other",
    }
}

/// Whether an error is the query's fault, named before any SQL runs (its cost over the
/// default limits included).
fn is_refusal(error: &Error) -> bool {
    matches!(
        error,
        Error::UnknownEntity { .. }
            | Error::AmbiguousEntity { .. }
            | Error::UnknownField { .. }
            | Error::AmbiguousField { .. }
            | Error::InvalidFilter { .. }
            | Error::InvalidOrder { .. }
            | Error::MalformedQuery { .. }
            | Error::TooCostly { .. }
    )
}

/// The cases of a property, the queries they ran and how those ended.
#[derive(Default)]
struct Tally {
    cases: u64,
    ran: u64,
    refused: BTreeMap<&'static str, u64>,
    /// Database errors: each fails the property.
    failed: u64,
    /// Anything else a property counts (statements, rows found, refusals by reason).
    notes: BTreeMap<&'static str, u64>,
}

impl Tally {
    fn case(&mut self) {
        self.cases += 1;
    }

    /// Counts a query's outcome.
    fn outcome(&mut self, outcome: &Result<GraphResult<Value>, Error>) {
        match outcome {
            Ok(_) => self.ran += 1,
            Err(error) if is_refusal(error) => self.refused(error_kind(error)),
            Err(_) => self.failed += 1,
        }
    }

    /// Counts a query refused before it ran (by `Graph::from_json`, say).
    fn refused(&mut self, kind: &'static str) {
        *self.refused.entry(kind).or_default() += 1;
    }

    fn note(&mut self, what: &'static str, n: u64) {
        *self.notes.entry(what).or_default() += n;
    }

    fn line(&self, backend: &str, property: &str) -> String {
        let list = |map: &BTreeMap<&'static str, u64>| {
            let items: Vec<String> = map.iter().map(|(what, n)| format!("{what} {n}")).collect();
            items.join(", ")
        };
        let refused: u64 = self.refused.values().sum();
        let mut line = format!(
            "graph_props[{backend}]: {property}: {} cases, {} queries: {refused} refused ({}), \
             {} database errors, {} ran",
            self.cases,
            refused + self.failed + self.ran,
            list(&self.refused),
            self.failed,
            self.ran,
        );
        if !self.notes.is_empty() {
            line += &format!("; {}", list(&self.notes));
        }
        line
    }
}

/// Runs `test` on `cases` inputs of `strategy`, prints the tally's line, and fails with
/// proptest's minimal failing input if a case fails.
fn check<S: Strategy>(
    backend: &str,
    property: &str,
    cases: u32,
    strategy: S,
    tally: &RefCell<Tally>,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&strategy, |input| {
        tally.borrow_mut().case();
        test(input)
    });
    let tally = tally.borrow();
    match result {
        Ok(()) => {
            assert_eq!(tally.cases, u64::from(cases), "every case was counted once");
            println!("{}", tally.line(backend, property));
        }
        Err(error) => {
            println!(
                "{} (failed, shrinking included)",
                tally.line(backend, property)
            );
            panic!("graph_props[{backend}]: {property}: {error}");
        }
    }
}

fn backend<C: LinkConnection>() -> &'static str {
    match C::DIALECT {
        Dialect::Sqlite => "sqlite",
        Dialect::Postgres => "postgres",
        _ => "other",
    }
}

// ---------------------------------------------------------------------------------------
// SQL as the runtime may write it

/// The words a statement may hold outside quoted identifiers.
const SQL_WORDS: &[&str] = &[
    "SELECT",
    "DISTINCT",
    "COUNT",
    "FROM",
    "AS",
    "LEFT",
    "JOIN",
    "ON",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    // A side that holds one record at most reads only the link that counts for each
    // record: `AND NOT EXISTS (SELECT 1 FROM pivot ..)` a link ranked before it, unless the
    // catalog says the side's unique index (its name bound) exists.
    "EXISTS",
    "sqlite_master",
    "type",
    "name",
    "to_regclass",
    "quote_ident",
    // And selects, where that index is missing, a record's live partners when it has
    // several, so that the query refuses it: `CASE WHEN <index exists> THEN NULL ELSE
    // (SELECT <record and partners as JSON> .. GROUP BY .. HAVING COUNT(*) > 1) END`.
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "GROUP",
    "HAVING",
    "json_array",
    "json_group_array",
    "json_build_array",
    "json_agg",
    "TEXT",
    "IN",
    "IS",
    "NULL",
    "LIKE",
    "ILIKE",
    "GLOB",
    "ESCAPE",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "NULLS",
    "FIRST",
    "LAST",
    "LIMIT",
    "OFFSET",
    "value",
    "json_each",
    "ANY",
    "ARRAY",
    "jsonb_array_elements_text",
    "CAST",
    "JSONB",
    "0",
    "1",
    // A query's statements run in a transaction of its own, one snapshot, which on
    // PostgreSQL sets the query's statement timeout and turns JIT off: `BEGIN`, `SET
    // TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`, `SET LOCAL jit = 'off'; SET
    // LOCAL statement_timeout = '5000'`, `COMMIT`.
    "BEGIN",
    "SET",
    "TRANSACTION",
    "ISOLATION",
    "LEVEL",
    "REPEATABLE",
    "READ",
    "ONLY",
    "LOCAL",
    "jit",
    "statement_timeout",
    "COMMIT",
    // A page inside each record ranks each parent's linked records: `ROW_NUMBER() OVER
    // (PARTITION BY .. ORDER BY ..)`, in the order of the links by bytes (`COLLATE "C"`
    // on PostgreSQL).
    "ROW_NUMBER",
    "OVER",
    "PARTITION",
    "COLLATE",
    // A count of linked records: `COUNT(*)` in a subquery per record, or, for every record
    // of a table, `COALESCE(c0.n, 0)` over its links grouped once (`SELECT .. AS k,
    // COUNT(*) AS n .. GROUP BY ..`).
    "COALESCE",
    "k",
    "n",
];

/// The names the runtime's own statements give what they select, quoted as identifiers
/// are: a page's ranked rows, the collation it orders text by on PostgreSQL, and the
/// columns of links grouped for a count.
const OWN_NAMES: &[&str] = &["parent", "linked", "rank", "C", "k", "n"];

/// Checks that `sql` holds only registry names (quoted), aliases `t0`, `t1`, ..,
/// placeholders, the words of [`SQL_WORDS`], punctuation and the literals `'\'` and
/// `'index'`.
fn check_sql(sql: &str) -> Result<(), String> {
    // The settings of a query's transaction are one message of several `SET LOCAL`s; any
    // other text is one statement.
    if sql.starts_with("SET LOCAL ") {
        return sql
            .split("; ")
            .try_for_each(|set| match set.starts_with("SET LOCAL ") {
                true => check_statement(set),
                false => Err(format!("`{set}` among the settings")),
            });
    }
    check_statement(sql)
}

/// [`check_sql`] of one statement.
fn check_statement(sql: &str) -> Result<(), String> {
    let registry = registry();
    let mut chars = sql.chars().peekable();
    let mut word = String::new();
    let end_word = |word: &mut String| -> Result<(), String> {
        if word.is_empty() {
            return Ok(());
        }
        let placeholder = word == "?"
            || (word.len() > 1
                && (word.starts_with('$') || word.starts_with('?'))
                && word[1..].bytes().all(|b| b.is_ascii_digit()));
        if !placeholder && !SQL_WORDS.contains(&word.as_str()) {
            return Err(format!("unexpected word `{word}`"));
        }
        word.clear();
        Ok(())
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                end_word(&mut word)?;
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            name.push('"');
                        }
                        Some('"') => break,
                        Some(c) => name.push(c),
                        None => return Err("an unterminated identifier".into()),
                    }
                }
                // `t0`, `t1`, ..: tables; `c0`, ..: grouped counts; `link_count_0`, ..:
                // the counts a statement selects.
                let numbered = |prefix: &str| {
                    name.strip_prefix(prefix)
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                };
                let alias = numbered("t") || numbered("c") || numbered("link_count_");
                let own = OWN_NAMES.contains(&name.as_str());
                if !alias && !own && !registry.identifiers.contains(name.as_str()) {
                    return Err(format!("identifier `{name}` is not the registry's"));
                }
            }
            '\'' => {
                end_word(&mut word)?;
                let literal: String = chars.by_ref().take_while(|c| *c != '\'').collect();
                // `'\'` escapes SQLite's `LIKE`; `'index'` is the type sqlite_master gives
                // an index; `'off'` and a number of milliseconds are the settings of the
                // query's transaction.
                let setting = literal == "off"
                    || (!literal.is_empty() && literal.bytes().all(|b| b.is_ascii_digit()));
                if literal != "\\" && literal != "index" && !setting {
                    return Err(format!("unexpected literal '{literal}'"));
                }
            }
            c if c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '?' => word.push(c),
            ' ' | '(' | ')' | ',' | '.' | '=' | '<' | '>' | '*' => end_word(&mut word)?,
            other => return Err(format!("unexpected character {other:?}")),
        }
    }
    end_word(&mut word)
}

/// The invariants of every query run: a refusal ran no statement; a query that ran used
/// only names the registry knows (`paths`, with `entity`), ran some statements, and each
/// reads as the runtime's SQL; a query with a reason to be refused (`refuse`) was. A
/// database error is never an answer to a query's input.
fn check_outcome(
    entity: &str,
    paths: &[(String, Use)],
    refuse: Option<&'static str>,
    outcome: &Result<GraphResult<Value>, Error>,
    statements: &[String],
) -> Result<(), TestCaseError> {
    match outcome {
        Err(error) if is_refusal(error) => {
            prop_assert!(
                statements.is_empty(),
                "refused with {error}, but ran {statements:?}"
            );
        }
        Err(error) => {
            return Err(TestCaseError::fail(format!(
                "not a typed refusal: {error:?} ({error}); statements: {statements:?}"
            )))
        }
        Ok(_) => {
            if let Some(why) = refuse {
                return Err(TestCaseError::fail(format!(
                    "ran a query that must be {why}; statements: {statements:?}"
                )));
            }
            prop_assert!(
                registry().entities.contains_key(entity),
                "ran with an unknown entity {entity:?}"
            );
            for (path, use_) in paths {
                prop_assert!(
                    resolves(entity, path, *use_),
                    "ran with {path:?} ({use_:?}), not a path of `{entity}`"
                );
            }
            prop_assert!(!statements.is_empty(), "ran without a statement");
        }
    }
    for sql in statements {
        if let Err(why) = check_sql(sql) {
            return Err(TestCaseError::fail(format!("{why} in {sql}")));
        }
    }
    Ok(())
}

/// The longest `LIKE` pattern the runtime takes, in characters.
const MAX_PATTERN_CHARS: usize = 10_000;

/// Why the runtime refuses a value, before any SQL runs.
const HOLDS_NUL: &str = "refused for a NUL";
const LONG_PATTERN: &str = "refused for a pattern over 10,000 characters";
const UNMATCHABLE: &str = "refused for a pattern holding U+FFFD, U+FFFE or U+FFFF";
const OUT_OF_RANGE: &str = "refused for a timestamp out of range";

/// Why a query that holds `texts` (every name, value and pattern), of which `patterns`
/// are `LIKE` patterns, must be refused: a NUL (U+0000) anywhere, in a name or a value,
/// or a pattern longer than [`MAX_PATTERN_CHARS`].
fn must_refuse<'a>(
    texts: impl IntoIterator<Item = &'a str>,
    patterns: impl IntoIterator<Item = &'a str>,
) -> Option<&'static str> {
    if texts.into_iter().any(|text| text.contains('\0')) {
        return Some(HOLDS_NUL);
    }
    let patterns: Vec<&str> = patterns.into_iter().collect();
    if patterns
        .iter()
        .any(|pattern| pattern.contains(['\u{fffd}', '\u{fffe}', '\u{ffff}']))
    {
        return Some(UNMATCHABLE);
    }
    if patterns
        .iter()
        .any(|pattern| pattern.chars().count() > MAX_PATTERN_CHARS)
    {
        return Some(LONG_PATTERN);
    }
    None
}

// ---------------------------------------------------------------------------------------
// Strategies

/// Pieces of hostile text: quotes, comment and statement separators, wildcards, NUL,
/// bidirectional and zero-width characters, SQL, and names the registry knows.
const HOSTILE: &[&str] = &[
    "\"",
    "'",
    "`",
    ";",
    "--",
    "/*",
    "*/",
    "\0",
    ".",
    "..",
    "*",
    "$",
    "$1",
    "?",
    "%",
    "_",
    "\\",
    "[",
    "]",
    " ",
    "\n",
    "\r",
    "\t",
    "(",
    ")",
    ",",
    "=",
    "DROP TABLE products",
    " OR 1=1",
    "name",
    "brand",
    "product",
    "id",
    "t0",
    "\"t0\".\"id\"",
    "NULL",
    "$eq",
    "$or",
    "é",
    "ß",
    "İ",
    "K",
    "🦀",
    "\u{202e}",
    "\u{feff}",
    "\u{200b}",
    "\u{ffff}",
    "\u{10ffff}",
];

/// Values that the fixture rows hold, so that some filters match.
const DATA: &[&str] = &[
    "Kettle",
    "kettle",
    "Teapot",
    "Acme",
    "Alder",
    "Cherry",
    "prod_1",
    "brand_2",
    "tag_1",
    "sup_c",
    "gift",
    "kitchen",
    "new",
    "front page",
    "2026-02-03 04:05:06",
    "2026-01-01T12:00:00",
    "K%",
    "%e%",
    "_ettle",
    "%",
    "",
];

fn hostile() -> BoxedStrategy<String> {
    vec(select(HOSTILE), 1..8)
        .prop_map(|pieces| pieces.concat())
        .boxed()
}

/// Text of 500 to 60,000 characters: a piece repeated, or arbitrary characters.
fn long_text() -> BoxedStrategy<String> {
    prop_oneof![
        (select(HOSTILE), 500usize..20_000).prop_map(|(piece, n)| piece.repeat(n)),
        vec(any::<char>(), 500..4_000).prop_map(String::from_iter),
    ]
    .boxed()
}

/// Any text: arbitrary unicode, hostile pieces, very long.
fn arbitrary_text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => any::<String>(),
        3 => hostile(),
        1 => long_text(),
    ]
    .boxed()
}

/// A timestamp of any year chrono knows, and its text in one of three forms: with a
/// `T`, with a space and milliseconds, or with a `T` and `Z` (RFC 3339, which the runtime
/// reads for years of four digits only).
fn timestamp() -> BoxedStrategy<(NaiveDateTime, String)> {
    (
        prop_oneof![
            3 => 1900i32..2100,
            2 => 0i32..=9999,
            2 => -262_000i32..262_000,
        ],
        1u32..=12,
        1u32..=28,
        (0u32..24, 0u32..60, 0u32..60),
        0usize..3,
    )
        .prop_map(|(year, month, day, (h, m, s), form)| {
            let time = NaiveDate::from_ymd_opt(year, month, day)
                .and_then(|date| date.and_hms_opt(h, m, s))
                .expect("a valid date");
            let format = [
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%d %H:%M:%S%.3f",
                "%Y-%m-%dT%H:%M:%SZ",
            ];
            (time, time.format(format[form]).to_string())
        })
        .boxed()
}

fn timestamp_text() -> BoxedStrategy<String> {
    timestamp().prop_map(|(_, text)| text).boxed()
}

/// Text a filter may compare with: the fixtures' values, timestamps, or any text.
fn value_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(DATA).prop_map(str::to_owned),
        4 => arbitrary_text(),
        1 => timestamp_text(),
    ]
    .boxed()
}

/// A finite number of any magnitude.
fn float() -> BoxedStrategy<f64> {
    use proptest::num::f64;
    (f64::POSITIVE | f64::NEGATIVE | f64::NORMAL | f64::SUBNORMAL | f64::ZERO).boxed()
}

/// Any JSON value: null, booleans, numbers of every kind, text, and arrays and objects of
/// them, three levels deep.
fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => (-10i64..10).prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => float().prop_map(Value::from),
        5 => value_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(json_key(), inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
    .boxed()
}

const OPERATORS: &[&str] = &[
    "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$like", "$ilike",
];

/// An object key: a known name, a combinator, an operator, or any text.
fn json_key() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(registry().names.clone()).prop_map(str::to_owned),
        1 => select(vec!["$and", "$or", "$not", "$regex", "$exists", "$"]).prop_map(str::to_owned),
        2 => select(OPERATORS).prop_map(str::to_owned),
        2 => arbitrary_text(),
    ]
    .boxed()
}

/// The known entities.
fn known_entity() -> BoxedStrategy<String> {
    select(registry().entities.keys().copied().collect::<Vec<_>>())
        .prop_map(str::to_owned)
        .boxed()
}

/// An entity name: known `known` times in `known + 1`; otherwise any text or a known name
/// slightly changed.
fn entity_name(known: u32) -> BoxedStrategy<String> {
    prop_oneof![
        known => known_entity(),
        1 => prop_oneof![arbitrary_text(), mutated(known_entity())],
    ]
    .boxed()
}

/// A name with a change: another case, a space, a quote, a NUL, a dot.
fn mutated(names: BoxedStrategy<String>) -> BoxedStrategy<String> {
    (names, 0usize..8, select(HOSTILE))
        .prop_map(|(name, how, piece)| match how {
            0 => name.to_uppercase(),
            1 => format!("{name} "),
            2 => format!(" {name}"),
            3 => format!("{name}{piece}"),
            4 => format!("{piece}{name}"),
            5 => format!("{name}s"),
            6 => name.replacen('_', "-", 1),
            _ => format!("\"{name}\""),
        })
        .boxed()
}

/// A path from `entity` through the registry (a walk along its links) as `use_` needs it:
/// valid `valid` times in `valid + 1`; otherwise one segment is replaced by another name
/// (known elsewhere, changed, or any text), or the path is any text.
fn path(entity: &str, use_: Use, valid: u32) -> BoxedStrategy<String> {
    let entity = entity.to_owned();
    let walked = vec(any::<u32>(), 1..4)
        .prop_map(move |choices| walk(&entity, &choices, use_))
        .boxed();
    let segment = prop_oneof![
        2 => select(registry().names.clone()).prop_map(str::to_owned),
        1 => Just("*".to_owned()),
        1 => Just(String::new()),
        2 => arbitrary_text(),
        2 => mutated(select(registry().names.clone()).prop_map(str::to_owned).boxed()),
    ];
    let broken = (walked.clone(), any::<usize>(), segment).prop_map(|(path, at, segment)| {
        let mut segments: Vec<&str> = path.split('.').collect();
        let at = at % (segments.len() + 1);
        if at == segments.len() {
            segments.push(&segment);
        } else {
            segments[at] = &segment;
        }
        segments.join(".")
    });
    prop_oneof![
        valid => walked,
        1 => broken,
        1 => arbitrary_text(),
    ]
    .boxed()
}

/// The path that `choices` pick from `entity` on: at each step a field (which ends the
/// path), `*` (for a field path), or a link to follow.
fn walk(entity: &str, choices: &[u32], use_: Use) -> String {
    let registry = registry();
    let Some(mut at) = registry.entities.get(entity) else {
        return entity.to_owned();
    };
    let mut segments = Vec::new();
    for (i, choice) in choices.iter().enumerate() {
        let last = i + 1 == choices.len() || (use_ == Use::Order && i == 1);
        let links = match use_ {
            Use::Order if i > 0 => 0,
            _ => at.links.len(),
        };
        let star = usize::from(use_ == Use::Field);
        // `_count.{link}`: a count of linked records, which ends the path.
        let counts = links;
        let options = at.fields.len() + links + counts + star;
        let pick = *choice as usize % options;
        if pick < at.fields.len() {
            segments.push(at.fields[pick]);
            break;
        } else if pick >= at.fields.len() + links && pick < at.fields.len() + links + counts {
            segments.push(COUNT);
            segments.push(at.links[pick - at.fields.len() - links].0);
            break;
        } else if pick < at.fields.len() + links {
            let (name, target) = at.links[pick - at.fields.len()];
            segments.push(name);
            at = &registry.entities[target];
            if last {
                if use_ != Use::Field {
                    segments.push(at.fields[*choice as usize % at.fields.len()]);
                }
                break;
            }
        } else {
            segments.push("*");
            break;
        }
    }
    segments.join(".")
}

/// Up to 70,000 texts: past both backends' limits on bound parameters (a list of 1,000
/// texts or more on a text field is one parameter).
fn many_texts() -> BoxedStrategy<Vec<String>> {
    (0usize..70_000, select(DATA))
        .prop_map(|(n, seed)| (0..n).map(|i| format!("{seed}{i}")).collect())
        .boxed()
}

/// Any condition: a JSON value as the builder reads it, or each operator with any value;
/// now and then a list of many values.
fn condition() -> BoxedStrategy<Condition> {
    prop_oneof![
        24 => small_condition(),
        1 => (many_texts(), any::<bool>()).prop_map(|(texts, not)| {
            let values = texts.into_iter().map(Value::from).collect();
            if not {
                Condition::NeAll(values)
            } else {
                Condition::EqAny(values)
            }
        }),
    ]
    .boxed()
}

/// Any condition, with lists of a few values.
fn small_condition() -> BoxedStrategy<Condition> {
    let text = value_text;
    prop_oneof![
        3 => json_value().prop_map(Condition::from),
        1 => json_value().prop_map(Condition::Eq),
        1 => json_value().prop_map(Condition::Ne),
        1 => json_value().prop_map(Condition::Gt),
        1 => json_value().prop_map(Condition::Ge),
        1 => json_value().prop_map(Condition::Lt),
        1 => json_value().prop_map(Condition::Le),
        1 => vec(json_value(), 0..5).prop_map(Condition::EqAny),
        1 => vec(json_value(), 0..5).prop_map(Condition::NeAll),
        2 => text().prop_map(Condition::Like),
        2 => text().prop_map(Condition::ILike),
        1 => Just(Condition::IsNull),
        1 => Just(Condition::IsNotNull),
    ]
    .boxed()
}

/// Filters on `entity`: conditions on paths, combined with `and` and `or`, a few or (now
/// and then) up to 1,500 at once.
fn filter(entity: &str, valid: u32) -> BoxedStrategy<Filter> {
    let leaf = (path(entity, Use::Filter, valid), condition())
        .prop_map(|(path, condition)| Filter::Field { path, condition });
    let small_leaf = (path(entity, Use::Filter, valid), small_condition())
        .prop_map(|(path, condition)| Filter::Field { path, condition });
    let many = (0usize..1_500, small_leaf, any::<bool>()).prop_map(|(n, filter, or)| {
        let filters = vec![filter; n];
        if or {
            Filter::Or(filters)
        } else {
            Filter::And(filters)
        }
    });
    let nested = leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(Filter::And),
            vec(inner, 0..3).prop_map(Filter::Or),
        ]
    });
    prop_oneof![24 => nested, 1 => many].boxed()
}

fn order() -> BoxedStrategy<Order> {
    prop_oneof![Just(Order::Asc), Just(Order::Desc)].boxed()
}

fn page() -> BoxedStrategy<Option<u64>> {
    prop_oneof![
        3 => Just(None),
        2 => (0u64..5).prop_map(Some),
        1 => any::<u64>().prop_map(Some),
    ]
    .boxed()
}

/// A query as the builder makes it.
#[derive(Debug, Clone)]
struct Built {
    entity: String,
    fields: Vec<String>,
    filters: Vec<Filter>,
    order: Vec<(String, Order)>,
    skip: Option<u64>,
    take: Option<u64>,
    with_deleted: bool,
    nested: Vec<BuiltNested>,
}

/// A `nested` entry of a built query: a link field (or not) and a page of its records.
#[derive(Debug, Clone)]
struct BuiltNested {
    field: String,
    filters: Vec<Filter>,
    order: Vec<(String, Order)>,
    skip: Option<u64>,
    take: Option<u64>,
}

impl BuiltNested {
    fn nested(&self) -> Nested {
        let mut nested = Nested::new();
        for filter in &self.filters {
            nested = nested.filter_by(filter.clone());
        }
        for (path, order) in &self.order {
            nested = nested.order(path.clone(), *order);
        }
        if let Some(skip) = self.skip {
            nested = nested.skip(skip);
        }
        if let Some(take) = self.take {
            nested = nested.take(take);
        }
        nested
    }
}

/// The link fields of `entity` that hold a list of records (now and then another name:
/// a field that holds one, or anything) and the entity each leads to (for another name,
/// `entity` itself).
fn link_field(entity: &str, valid: u32) -> BoxedStrategy<(String, String)> {
    let links: Vec<(String, String)> = registry()
        .entities
        .get(entity)
        .map(|at| {
            at.lists
                .iter()
                .map(|(name, target)| ((*name).to_owned(), (*target).to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let entity = entity.to_owned();
    let other = prop_oneof![
        2 => select(registry().names.clone()).prop_map(str::to_owned),
        1 => arbitrary_text(),
    ]
    .prop_map(move |name| (name, entity.clone()));
    match links.is_empty() {
        true => other.boxed(),
        false => prop_oneof![valid => select(links), 1 => other].boxed(),
    }
}

/// `nested` entries on `entity`: a page of a link field's records, its filters and order
/// on the linked entity; on an entity without lists, none but now and then.
fn nested_entries(entity: &str, valid: u32) -> BoxedStrategy<Vec<BuiltNested>> {
    let entry = link_field(entity, valid).prop_flat_map(move |(field, target)| {
        (
            vec(filter(&target, valid), 0..2),
            vec((path(&target, Use::Order, valid), order()), 0..2),
            page(),
            page(),
            Just(field),
        )
            .prop_map(|(filters, order, skip, take, field)| BuiltNested {
                field,
                filters,
                order,
                skip,
                take,
            })
    });
    let has_lists = registry()
        .entities
        .get(entity)
        .is_some_and(|at| !at.lists.is_empty());
    match has_lists {
        true => vec(entry, 0..2).boxed(),
        // An entry here names no list, and is refused: now and then.
        false => prop_oneof![valid => Just(Vec::new()), 1 => vec(entry, 1..2)].boxed(),
    }
}

impl Built {
    fn graph(&self) -> Graph {
        let mut graph = Graph::entity(self.entity.clone()).fields(self.fields.iter().cloned());
        for filter in &self.filters {
            graph = graph.filter_by(filter.clone());
        }
        for (path, order) in &self.order {
            graph = graph.order(path.clone(), *order);
        }
        if let Some(skip) = self.skip {
            graph = graph.skip(skip);
        }
        if let Some(take) = self.take {
            graph = graph.take(take);
        }
        if self.with_deleted {
            graph = graph.with_deleted();
        }
        for entry in &self.nested {
            graph = graph.nested(entry.field.clone(), entry.nested());
        }
        graph
    }

    /// Why the query must be refused, if it must: see [`must_refuse`].
    fn refuse(&self) -> Option<&'static str> {
        fn filter_texts<'a>(
            filter: &'a Filter,
            texts: &mut Vec<&'a str>,
            patterns: &mut Vec<&'a str>,
        ) {
            match filter {
                Filter::Field { path, condition } => {
                    texts.push(path);
                    match condition {
                        Condition::Eq(value)
                        | Condition::Ne(value)
                        | Condition::Gt(value)
                        | Condition::Ge(value)
                        | Condition::Lt(value)
                        | Condition::Le(value) => json_texts(value, texts),
                        Condition::EqAny(values) | Condition::NeAll(values) => {
                            values.iter().for_each(|value| json_texts(value, texts))
                        }
                        Condition::Like(pattern) | Condition::ILike(pattern) => {
                            texts.push(pattern);
                            patterns.push(pattern);
                        }
                        _ => {}
                    }
                }
                Filter::And(filters) | Filter::Or(filters) => filters
                    .iter()
                    .for_each(|filter| filter_texts(filter, texts, patterns)),
                Filter::Linked { path, filters, .. } => {
                    texts.push(path);
                    filters
                        .iter()
                        .for_each(|filter| filter_texts(filter, texts, patterns))
                }
            }
        }
        let mut texts: Vec<&str> = vec![&self.entity];
        texts.extend(self.fields.iter().map(String::as_str));
        texts.extend(self.order.iter().map(|(path, _)| path.as_str()));
        let mut patterns = Vec::new();
        for filter in &self.filters {
            filter_texts(filter, &mut texts, &mut patterns);
        }
        for entry in &self.nested {
            texts.push(&entry.field);
            texts.extend(entry.order.iter().map(|(path, _)| path.as_str()));
            for filter in &entry.filters {
                filter_texts(filter, &mut texts, &mut patterns);
            }
        }
        must_refuse(texts, patterns)
    }

    /// Every path the query names, and what for.
    fn paths(&self) -> Vec<(String, Use)> {
        fn filter_paths(filter: &Filter, paths: &mut Vec<(String, Use)>) {
            match filter {
                Filter::Field { path, condition } => {
                    let use_ = match condition {
                        Condition::Eq(Value::Null)
                        | Condition::Ne(Value::Null)
                        | Condition::IsNull
                        | Condition::IsNotNull => Use::Presence,
                        _ => Use::Filter,
                    };
                    paths.push((path.clone(), use_))
                }
                Filter::And(filters) | Filter::Or(filters) => {
                    filters.iter().for_each(|f| filter_paths(f, paths))
                }
                Filter::Linked { .. } => unreachable!("the strategies build no quantified filter"),
            }
        }
        let mut paths: Vec<(String, Use)> = self
            .fields
            .iter()
            .map(|path| (path.clone(), Use::Field))
            .collect();
        self.filters
            .iter()
            .for_each(|filter| filter_paths(filter, &mut paths));
        paths.extend(
            self.order
                .iter()
                .map(|(path, _)| (path.clone(), Use::Order)),
        );
        // A nested entry's names, from the query's entity: its link field, then its
        // filters' paths and its order keys (a field, or one link and a field) past it.
        for entry in &self.nested {
            paths.push((entry.field.clone(), Use::Field));
            let mut below = Vec::new();
            entry
                .filters
                .iter()
                .for_each(|filter| filter_paths(filter, &mut below));
            below.extend(
                entry
                    .order
                    .iter()
                    .map(|(path, _)| (path.clone(), Use::Filter)),
            );
            paths.extend(
                below
                    .into_iter()
                    .map(|(path, use_)| (format!("{}.{path}", entry.field), use_)),
            );
        }
        paths
    }
}

/// Built queries: an entity (known `valid` times in `valid + 1`) and paths on it.
fn built(valid: u32) -> BoxedStrategy<Built> {
    entity_name(valid)
        .prop_flat_map(move |entity| {
            (
                vec(path(&entity, Use::Field, valid), 0..4),
                vec(filter(&entity, valid), 0..3),
                vec((path(&entity, Use::Order, valid), order()), 0..3),
                page(),
                page(),
                any::<bool>(),
                nested_entries(&entity, valid),
                Just(entity),
            )
        })
        .prop_map(
            |(fields, filters, order, skip, take, with_deleted, nested, entity)| Built {
                entity,
                fields,
                filters,
                order,
                skip,
                take,
                with_deleted,
                nested,
            },
        )
        .boxed()
}

/// A JSON filter object on `entity`: keys that are paths (or parts of one), combinators
/// and operators; values that are values, operator objects, nested filters and arrays.
fn json_filters(entity: &str, valid: u32) -> BoxedStrategy<Value> {
    let key = prop_oneof![
        6 => path(entity, Use::Filter, valid),
        1 => select(vec!["$and", "$or"]).prop_map(str::to_owned),
        1 => json_key(),
    ];
    let operand = prop_oneof![
        24 => json_value(),
        1 => many_texts().prop_map(Value::from),
    ];
    let operators = btree_map(
        prop_oneof![
            6 => select(OPERATORS).prop_map(str::to_owned),
            1 => json_key(),
        ],
        operand,
        0..3,
    )
    .prop_map(|map| Value::Object(map.into_iter().collect()));
    let leaf = btree_map(key.clone(), prop_oneof![json_value(), operators], 0..4)
        .prop_map(|map| Value::Object(map.into_iter().collect()));
    let many = (
        0usize..1_500,
        path(entity, Use::Filter, valid),
        json_value(),
        select(vec!["$and", "$or"]),
    )
        .prop_map(|(n, path, value, combinator)| {
            let mut item = Map::new();
            item.insert(path, value);
            let mut filters = Map::new();
            filters.insert(
                combinator.to_owned(),
                Value::from(vec![Value::Object(item); n]),
            );
            Value::Object(filters)
        });
    let nested = leaf.prop_recursive(3, 16, 4, move |inner| {
        let value = prop_oneof![
            3 => json_value(),
            2 => inner.clone(),
            2 => vec(inner.clone(), 0..3).prop_map(Value::Array),
        ];
        btree_map(key.clone(), value, 0..4).prop_map(|map| Value::Object(map.into_iter().collect()))
    });
    prop_oneof![24 => nested, 1 => many].boxed()
}

/// A JSON document: any JSON value (`wild` times in `wild + shaped`), or an object with
/// the keys of a graph query (and sometimes another), each of the right type or not.
fn json_document(valid: u32, wild: u32, shaped: u32) -> BoxedStrategy<Value> {
    let shaped_document = entity_name(valid)
        .prop_flat_map(move |entity| {
            let fields = prop_oneof![
                6 => vec(path(&entity, Use::Field, valid), 0..4)
                    .prop_map(Value::from),
                1 => json_value(),
            ];
            let filters = prop_oneof![
                6 => json_filters(&entity, valid),
                1 => json_value(),
            ];
            let direction = prop_oneof![
                4 => select(vec!["ASC", "DESC", "asc", "Desc"]).prop_map(Value::from),
                1 => json_value(),
            ];
            let order_object = btree_map(path(&entity, Use::Order, valid), direction, 0..3)
                .prop_map(|map| Value::Object(map.into_iter().collect()));
            let order = prop_oneof![
                3 => order_object.clone(),
                2 => vec(order_object, 0..3).prop_map(Value::Array),
                1 => json_value(),
            ];
            let count = prop_oneof![
                4 => page().prop_map(|n| n.map_or(Value::Null, Value::from)),
                1 => json_value(),
            ];
            let pagination = prop_oneof![
                6 => (
                    proptest::option::of(count.clone()),
                    proptest::option::of(count),
                    proptest::option::of(order),
                    proptest::option::weighted(0.1, (json_key(), json_value())),
                )
                    .prop_map(|(skip, take, order, other)| {
                        let mut object = Map::new();
                        for (key, value) in [("skip", skip), ("take", take), ("order", order)] {
                            if let Some(value) = value {
                                object.insert(key.to_owned(), value);
                            }
                        }
                        if let Some((key, value)) = other {
                            object.insert(key, value);
                        }
                        Value::Object(object)
                    }),
                1 => json_value(),
            ];
            let with_deleted = prop_oneof![
                4 => any::<bool>().prop_map(Value::Bool),
                1 => json_value(),
            ];
            let nested = prop_oneof![
                6 => btree_map(
                    link_field(&entity, valid),
                    (
                        proptest::option::of(json_filters(&entity, valid)),
                        proptest::option::of(page()),
                        proptest::option::weighted(0.1, (json_key(), json_value())),
                    ),
                    0..3,
                )
                .prop_map(|entries| {
                    let entries = entries.into_iter().map(|((field, _), (filters, take, other))| {
                        let mut entry = Map::new();
                        if let Some(filters) = filters {
                            entry.insert("filters".to_owned(), filters);
                        }
                        if let Some(take) = take {
                            entry.insert("take".to_owned(), take.map_or(Value::Null, Value::from));
                        }
                        if let Some((key, value)) = other {
                            entry.insert(key, value);
                        }
                        (field, Value::Object(entry))
                    });
                    Value::Object(entries.collect())
                }),
                1 => json_value(),
            ];
            let entity_value = prop_oneof![
                12 => Just(Value::String(entity)),
                1 => Just(Value::Null),
                1 => json_value(),
            ];
            (
                proptest::option::weighted(0.97, entity_value),
                proptest::option::weighted(0.8, fields),
                proptest::option::weighted(0.7, filters),
                proptest::option::weighted(0.4, pagination),
                proptest::option::weighted(
                    0.2,
                    (select(vec!["with_deleted", "withDeleted"]), with_deleted),
                ),
                proptest::option::weighted(0.05, (json_key(), json_value())),
                proptest::option::weighted(0.3, nested),
            )
        })
        .prop_map(
            |(entity, fields, filters, pagination, with_deleted, other, nested)| {
                let mut object = Map::new();
                for (key, value) in [
                    ("entity", entity),
                    ("fields", fields),
                    ("filters", filters),
                    ("pagination", pagination),
                    ("nested", nested),
                ] {
                    if let Some(value) = value {
                        object.insert(key.to_owned(), value);
                    }
                }
                if let Some((key, value)) = with_deleted {
                    object.insert(key.to_owned(), value);
                }
                if let Some((key, value)) = other {
                    object.insert(key, value);
                }
                Value::Object(object)
            },
        );
    prop_oneof![
        wild => json_value(),
        shaped => shaped_document,
    ]
    .boxed()
}

/// Every text of a JSON value: its strings and its objects' keys.
fn json_texts<'a>(value: &'a Value, texts: &mut Vec<&'a str>) {
    match value {
        Value::String(text) => texts.push(text),
        Value::Array(items) => items.iter().for_each(|item| json_texts(item, texts)),
        Value::Object(object) => {
            for (key, value) in object {
                texts.push(key);
                json_texts(value, texts);
            }
        }
        _ => {}
    }
}

/// Every `$like` and `$ilike` pattern of a JSON value, wherever it is.
fn json_patterns<'a>(value: &'a Value, patterns: &mut Vec<&'a str>) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| json_patterns(item, patterns)),
        Value::Object(object) => {
            for (key, value) in object {
                match (key.as_str(), value) {
                    ("$like" | "$ilike", Value::String(pattern)) => patterns.push(pattern),
                    _ => json_patterns(value, patterns),
                }
            }
        }
        _ => {}
    }
}

/// A JSON query as the test reads it.
struct JsonQuery {
    /// The entity it names.
    entity: String,
    /// Every path it names, and what for, as `Graph::from_json` reads them.
    paths: Vec<(String, Use)>,
    /// A filter whose condition is `{}`, which `Graph::from_json` refuses.
    empty_condition: Option<String>,
    /// Why running it must end in a refusal, if it must: see [`must_refuse`].
    refuse: Option<&'static str>,
}

fn json_query(document: &Value) -> JsonQuery {
    fn filter_paths(filters: &Map<String, Value>, prefix: &str, query: &mut JsonQuery) {
        for (key, value) in filters {
            let path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match (key.as_str(), value) {
                ("$and" | "$or", Value::Array(items)) => {
                    for item in items {
                        if let Value::Object(item) = item {
                            filter_paths(item, prefix, query);
                        }
                    }
                }
                _ if key.starts_with('$') => {}
                (_, Value::Object(object))
                    if !object.is_empty() && !object.keys().all(|k| k.starts_with('$')) =>
                {
                    filter_paths(object, &path, query);
                }
                (_, Value::Object(object)) if object.is_empty() => {
                    query.empty_condition.get_or_insert(path);
                }
                // `null`, `{ "$eq": null }`, `{ "$ne": null }` ask a link whether there is
                // a live linked record.
                (_, value) => {
                    let null = |value: &Value| match value {
                        Value::Object(object) => {
                            !object.is_empty()
                                && object.iter().all(|(operator, value)| {
                                    ["$eq", "$ne"].contains(&operator.as_str()) && value.is_null()
                                })
                        }
                        value => value.is_null(),
                    };
                    let use_ = if null(value) {
                        Use::Presence
                    } else {
                        Use::Filter
                    };
                    query.paths.push((path, use_))
                }
            }
        }
    }
    let mut texts = Vec::new();
    json_texts(document, &mut texts);
    let mut patterns = Vec::new();
    json_patterns(document, &mut patterns);
    let mut query = JsonQuery {
        entity: document["entity"].as_str().unwrap_or_default().to_owned(),
        paths: Vec::new(),
        empty_condition: None,
        refuse: must_refuse(texts, patterns),
    };
    if let Some(fields) = document["fields"].as_array() {
        query.paths.extend(
            fields
                .iter()
                .filter_map(Value::as_str)
                .map(|path| (path.to_owned(), Use::Field)),
        );
    }
    if let Some(filters) = document["filters"].as_object() {
        filter_paths(filters, "", &mut query);
    }
    let orders = match &document["pagination"]["order"] {
        Value::Object(object) => vec![object],
        Value::Array(items) => items.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    };
    for object in orders {
        query
            .paths
            .extend(object.keys().map(|path| (path.clone(), Use::Order)));
    }
    // `nested` entries, each level's names past the link fields above it.
    fn nested_paths(entries: &Map<String, Value>, prefix: &str, query: &mut JsonQuery) {
        for (field, entry) in entries {
            let path = match prefix {
                "" => field.clone(),
                prefix => format!("{prefix}.{field}"),
            };
            query.paths.push((path.clone(), Use::Field));
            if let Some(filters) = entry["filters"].as_object() {
                filter_paths(filters, &path, query);
            }
            let orders = match &entry["order"] {
                Value::Object(object) => vec![object],
                Value::Array(items) => items.iter().filter_map(Value::as_object).collect(),
                _ => Vec::new(),
            };
            for object in orders {
                query.paths.extend(
                    object
                        .keys()
                        .map(|key| (format!("{path}.{key}"), Use::Filter)),
                );
            }
            if let Some(entries) = entry["nested"].as_object() {
                nested_paths(entries, &path, query);
            }
        }
    }
    if let Some(entries) = document["nested"].as_object() {
        nested_paths(entries, "", &mut query);
    }
    query
}

/// Reads `document` as `Graph::from_json` does, and checks that it refuses what it must:
/// a document that is no query, or that holds an empty condition, with `MalformedQuery`.
/// Counts a refusal; returns the graph and the query as the test reads it, if read.
fn read_json(
    document: Value,
    tally: &RefCell<Tally>,
) -> Result<Option<(Graph, JsonQuery)>, TestCaseError> {
    let query = json_query(&document);
    match Graph::from_json(document) {
        Ok(graph) => {
            if let Some(path) = &query.empty_condition {
                return Err(TestCaseError::fail(format!(
                    "from_json read the empty condition of `{path}`"
                )));
            }
            Ok(Some((graph, query)))
        }
        Err(error) => {
            prop_assert_eq!(
                error_kind(&error),
                "MalformedQuery",
                "from_json refused with {:?}",
                error
            );
            let mut tally = tally.borrow_mut();
            tally.refused("MalformedQuery (from_json)");
            if query.empty_condition.is_some() {
                tally.note("empty conditions refused", 1);
            }
            Ok(None)
        }
    }
}

/// A query for the names property: built or JSON.
#[derive(Debug, Clone)]
enum Input {
    Built(Built),
    Json(Value),
}

// ---------------------------------------------------------------------------------------
// Property 1: typed outcomes

/// Runs `graph` on `conn`, with its statements.
fn run<C: LinkConnection>(
    conn: &mut C,
    statements: &Statements,
    graph: Graph,
) -> (Result<GraphResult<Value>, Error>, Vec<String>) {
    statements.take();
    let outcome = via::graph(conn, graph);
    (outcome, statements.take())
}

/// What a query names and why it must be refused, if it must: for [`check_outcome`].
struct Expect<'a> {
    entity: &'a str,
    paths: &'a [(String, Use)],
    refuse: Option<&'static str>,
}

/// Runs `graph`, counts its outcome and statements, and checks the invariants of
/// [`check_outcome`].
fn run_checked<C: LinkConnection>(
    conn: &RefCell<&mut C>,
    statements: &Statements,
    tally: &RefCell<Tally>,
    expect: Expect<'_>,
    graph: Graph,
) -> Result<(), TestCaseError> {
    let (outcome, ran) = run(*conn.borrow_mut(), statements, graph);
    let mut tally = tally.borrow_mut();
    tally.outcome(&outcome);
    tally.note("statements checked", ran.len() as u64);
    if let Some(why) = expect.refuse {
        tally.note(why, 1);
    }
    check_outcome(expect.entity, expect.paths, expect.refuse, &outcome, &ran)
}

/// Runs a built query and checks it.
fn run_built<C: LinkConnection>(
    conn: &RefCell<&mut C>,
    statements: &Statements,
    tally: &RefCell<Tally>,
    query: &Built,
) -> Result<(), TestCaseError> {
    let paths = query.paths();
    let expect = Expect {
        entity: &query.entity,
        paths: &paths,
        refuse: query.refuse(),
    };
    run_checked(conn, statements, tally, expect, query.graph())
}

/// Reads a JSON query, runs it if read, and checks both.
fn run_json<C: LinkConnection>(
    conn: &RefCell<&mut C>,
    statements: &Statements,
    tally: &RefCell<Tally>,
    document: Value,
) -> Result<(), TestCaseError> {
    let Some((graph, query)) = read_json(document, tally)? else {
        return Ok(());
    };
    let expect = Expect {
        entity: &query.entity,
        paths: &query.paths,
        refuse: query.refuse,
    };
    run_checked(conn, statements, tally, expect, graph)
}

/// The outcomes of `cases` built queries, each part of which is valid `valid` times in
/// `valid + 1`, as the property `property`.
fn property_built_outcomes<C: Store + Connection>(
    conn: &mut C,
    property: &str,
    cases: u32,
    valid: u32,
) {
    catalog(conn);
    let statements = Statements::record(conn);
    let conn = RefCell::new(conn);
    let tally = RefCell::new(Tally::default());
    check(
        backend::<C>(),
        property,
        cases,
        built(valid),
        &tally,
        |query| run_built(&conn, &statements, &tally, &query),
    );
}

fn property_typed_outcomes_built<C: Store + Connection>(conn: &mut C) {
    property_built_outcomes(conn, "built queries", 512, 2);
}

/// The same, of queries whose every name is known in all but a few cases: nearly half of
/// them run, through pages inside each record, counts and their filters and orders.
fn property_typed_outcomes_well_formed<C: Store + Connection>(conn: &mut C) {
    property_built_outcomes(conn, "well-formed built queries", 256, 200);
}

fn property_typed_outcomes_json<C: Store + Connection>(conn: &mut C) {
    catalog(conn);
    let statements = Statements::record(conn);
    let conn = RefCell::new(conn);
    let tally = RefCell::new(Tally::default());
    check(
        backend::<C>(),
        "JSON documents",
        512,
        json_document(3, 1, 6),
        &tally,
        |document| {
            // serde reads a query as `from_json` does.
            let parsed = Graph::from_json(document.clone());
            let deserialized = serde_json::from_value::<Graph>(document.clone());
            match (&parsed, &deserialized) {
                (Ok(parsed), Ok(deserialized)) => prop_assert_eq!(parsed, deserialized),
                (Err(_), Err(_)) => {}
                _ => prop_assert!(false, "from_json: {parsed:?}, serde: {deserialized:?}"),
            }
            run_json(&conn, &statements, &tally, document)
        },
    );
}

// ---------------------------------------------------------------------------------------
// Property 2: names never reach SQL

fn property_names<C: Store + Connection>(conn: &mut C) {
    catalog(conn);
    let statements = Statements::record(conn);
    let conn = RefCell::new(conn);
    let tally = RefCell::new(Tally::default());
    let input = prop_oneof![
        built(8).prop_map(Input::Built),
        json_document(8, 0, 1).prop_map(Input::Json),
    ];
    check(
        backend::<C>(),
        "names",
        512,
        input,
        &tally,
        |input| match input {
            Input::Built(query) => run_built(&conn, &statements, &tally, &query),
            Input::Json(document) => run_json(&conn, &statements, &tally, document),
        },
    );
}

// ---------------------------------------------------------------------------------------
// Property 3: values never reach SQL

/// A value to filter by, of one kind.
#[derive(Debug, Clone)]
enum Probe {
    Text(String),
    Texts(Vec<String>),
    Int(i64),
    Ints(Vec<i64>),
    Float(f64),
    /// A timestamp and its text.
    Time(NaiveDateTime, String),
}

/// From how many text values an `$in` or `$nin` list is bound as one parameter, a JSON
/// array: the statement is then the same for any list that long or longer.
const ONE_PARAMETER_LIST: usize = 1_000;

impl Probe {
    /// The reference value of the same kind and length: a text list of
    /// [`ONE_PARAMETER_LIST`] values or more is compared with one of exactly that many.
    fn reference(&self) -> Probe {
        match self {
            Probe::Text(_) => Probe::Text("reference".to_owned()),
            Probe::Texts(texts) => {
                let n = match texts.len() {
                    n if n >= ONE_PARAMETER_LIST => ONE_PARAMETER_LIST,
                    n => n,
                };
                Probe::Texts((0..n).map(|i| format!("reference {i}")).collect())
            }
            Probe::Int(_) => Probe::Int(0),
            Probe::Ints(ints) => Probe::Ints((0..ints.len() as i64).collect()),
            Probe::Float(_) => Probe::Float(0.5),
            Probe::Time(..) => {
                let time = NaiveDate::from_ymd_opt(2026, 1, 1)
                    .and_then(|date| date.and_hms_opt(0, 0, 0))
                    .expect("a valid date");
                Probe::Time(time, "2026-01-01T00:00:00".to_owned())
            }
        }
    }

    /// Why the runtime refuses the `op`th condition of this value, before any SQL runs:
    /// a text with NUL, a pattern over [`MAX_PATTERN_CHARS`] characters, a timestamp
    /// outside the years 1 to 9999.
    fn refusal(&self, op: usize) -> Option<&'static str> {
        match self {
            Probe::Text(text) => {
                let pattern = matches!(op % 9, 6 | 7).then_some(text.as_str());
                must_refuse([text.as_str()], pattern)
            }
            Probe::Texts(texts) => must_refuse(texts.iter().map(String::as_str), None),
            Probe::Int(_) | Probe::Ints(_) | Probe::Float(_) => None,
            Probe::Time(time, _) => (!(1..=9999).contains(&time.year())).then_some(OUT_OF_RANGE),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Probe::Text(_) => "text",
            Probe::Texts(_) => "text list",
            Probe::Int(_) => "integer",
            Probe::Ints(_) => "integer list",
            Probe::Float(_) => "float",
            Probe::Time(..) => "timestamp",
        }
    }

    /// The `op`th condition this value makes.
    fn condition(&self, op: usize) -> Condition {
        fn compare(op: usize, value: Value) -> Condition {
            match op % 6 {
                0 => Condition::Eq(value),
                1 => Condition::Ne(value),
                2 => Condition::Gt(value),
                3 => Condition::Ge(value),
                4 => Condition::Lt(value),
                _ => Condition::Le(value),
            }
        }
        match self {
            Probe::Text(text) => match op % 9 {
                6 => Condition::Like(text.clone()),
                7 => Condition::ILike(text.clone()),
                8 => Condition::EqAny(vec![Value::from(text.as_str())]),
                op => compare(op, Value::from(text.as_str())),
            },
            Probe::Texts(texts) => {
                let values = texts.iter().map(|t| Value::from(t.as_str())).collect();
                match op % 2 {
                    0 => Condition::EqAny(values),
                    _ => Condition::NeAll(values),
                }
            }
            Probe::Int(n) => compare(op, Value::from(*n)),
            Probe::Ints(ns) => {
                let values = ns.iter().copied().map(Value::from).collect();
                match op % 2 {
                    0 => Condition::EqAny(values),
                    _ => Condition::NeAll(values),
                }
            }
            Probe::Float(x) => compare(op, Value::from(*x)),
            Probe::Time(_, text) => compare(op, Value::from(text.as_str())),
        }
    }

    /// The `shape`th query that filters by `condition`, for this kind of value: the root
    /// statement, with any one-side link joined into it, and a `COUNT` when paged.
    fn query(&self, shape: usize, condition: Condition) -> Graph {
        let product = || Graph::entity("product");
        let pivot = || Graph::entity("product_tags");
        match self {
            Probe::Text(_) | Probe::Texts(_) => match shape % 5 {
                0 => product()
                    .fields(["id", "name", "brand.name", "supplier.name"])
                    .filter("name", condition)
                    .order("name", Order::Asc)
                    .skip(1)
                    .take(5),
                1 => product().fields(["id"]).filter("brand.name", condition),
                2 => product()
                    .fields(["id", "brand.*"])
                    .filter("tags.name", condition)
                    .order("brand.name", Order::Desc),
                3 => pivot()
                    .fields(["id", "label", "product.name", "tag.name"])
                    .filter("note", condition)
                    .with_deleted(),
                _ => product()
                    .fields(["name", "supplier.*"])
                    .filter_by(Filter::or([
                        Filter::field("id", condition.clone()),
                        Filter::field("brand.supplier.name", condition),
                    ])),
            },
            Probe::Int(_) | Probe::Ints(_) | Probe::Float(_) => {
                let field = match self {
                    Probe::Float(_) => "weight",
                    _ if shape.is_multiple_of(2) => "position",
                    _ => "offset",
                };
                pivot()
                    .fields(["id", field, "tag.name"])
                    .filter(field, condition)
                    .order(field, Order::Desc)
                    .take(3)
            }
            Probe::Time(..) => match shape % 2 {
                0 => pivot().fields(["id"]).filter("created_at", condition),
                _ => Graph::entity("supplier")
                    .fields(["id", "deleted_at"])
                    .filter("deleted_at", condition)
                    .with_deleted(),
            },
        }
    }
}

fn probe() -> BoxedStrategy<Probe> {
    prop_oneof![
        5 => value_text().prop_map(Probe::Text),
        2 => vec(value_text(), 0..6).prop_map(Probe::Texts),
        1 => many_texts().prop_map(Probe::Texts),
        2 => any::<i64>().prop_map(Probe::Int),
        1 => vec(any::<i64>(), 0..6).prop_map(Probe::Ints),
        2 => float().prop_map(Probe::Float),
        2 => timestamp().prop_map(|(time, text)| Probe::Time(time, text)),
    ]
    .boxed()
}

fn property_values<C: Store + Connection>(conn: &mut C) {
    catalog(conn);
    let statements = Statements::record(conn);
    let conn = RefCell::new(conn);
    let tally = RefCell::new(Tally::default());
    check(
        backend::<C>(),
        "values",
        512,
        (probe(), 0usize..10, 0usize..10),
        &tally,
        |(probe, shape, op)| {
            let shown: String = format!("{probe:?}").chars().take(300).collect();
            let reference = probe.reference();
            let (expected, reference_ran) = run(
                *conn.borrow_mut(),
                &statements,
                reference.query(shape, reference.condition(op)),
            );
            if let Err(error) = &expected {
                prop_assert!(false, "the reference of {shown} fails: {error:?}");
            }
            let (outcome, ran) = run(
                *conn.borrow_mut(),
                &statements,
                probe.query(shape, probe.condition(op)),
            );
            let mut tally = tally.borrow_mut();
            tally.outcome(&outcome);
            tally.note(probe.kind(), 1);
            if matches!(&probe, Probe::Texts(texts) if texts.len() >= ONE_PARAMETER_LIST) {
                tally.note("text lists of 1,000 values or more", 1);
            }
            match (&outcome, probe.refusal(op)) {
                (Err(Error::InvalidFilter { .. }), Some(why)) => {
                    prop_assert!(ran.is_empty(), "{shown}: refused, but ran {ran:?}");
                    tally.note(why, 1);
                }
                (Ok(_), None) => prop_assert_eq!(&ran, &reference_ran, "{} ran other SQL", shown),
                (outcome, why) => prop_assert!(
                    false,
                    "{shown}: {outcome:?}, expected {}",
                    why.map_or("to run".to_owned(), |why| format!("InvalidFilter ({why})"))
                ),
            }
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------
// Property 4: filters find exactly the matching rows

/// A `LIKE` pattern read: `%` any run of characters, `_` one, a backslash makes the next
/// character literal (a last backslash is itself).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    Any,
    One,
    Char(char),
}

fn tokens(pattern: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '%' => Token::Any,
            '_' => Token::One,
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            c => Token::Char(c),
        });
    }
    tokens
}

/// Whether `text` matches the `LIKE` `pattern`, case included.
fn like(pattern: &str, text: &str) -> bool {
    matches_tokens(
        &tokens(pattern),
        &text.chars().collect::<Vec<_>>(),
        |a, b| a == b,
    )
}

/// Whether `text` matches the `LIKE` `pattern`, ASCII case aside: SQLite's `LIKE`, which
/// the runtime's `$ilike` is on SQLite.
fn like_ascii_case(pattern: &str, text: &str) -> bool {
    matches_tokens(
        &tokens(pattern),
        &text.chars().collect::<Vec<_>>(),
        |a, b| a.eq_ignore_ascii_case(&b),
    )
}

fn matches_tokens(tokens: &[Token], text: &[char], same: impl Fn(char, char) -> bool) -> bool {
    // matched[j]: the tokens so far match the first j characters.
    let mut matched = vec![false; text.len() + 1];
    matched[0] = true;
    let mut next = vec![false; text.len() + 1];
    for (i, token) in tokens.iter().enumerate() {
        // `%%` reads as `%`; and once nothing matches, nothing will.
        if *token == Token::Any && i > 0 && tokens[i - 1] == Token::Any {
            continue;
        }
        if !matched.contains(&true) {
            return false;
        }
        match token {
            Token::Any => {
                let mut any = false;
                for j in 0..=text.len() {
                    any |= matched[j];
                    next[j] = any;
                }
            }
            Token::One => {
                next[0] = false;
                next[1..].copy_from_slice(&matched[..text.len()]);
            }
            Token::Char(c) => {
                next[0] = false;
                for j in 1..=text.len() {
                    next[j] = matched[j - 1] && same(text[j - 1], *c);
                }
            }
        }
        std::mem::swap(&mut matched, &mut next);
    }
    matched[text.len()]
}

/// A pattern made from `name`: per character, kept (escaped if a wildcard), replaced by
/// `_` or `%`, followed by `%`, or dropped.
fn pattern_of(name: &str, edits: &[u8]) -> String {
    let mut pattern = String::new();
    for (c, edit) in name.chars().zip(edits.iter().chain(std::iter::repeat(&0))) {
        let literal = |pattern: &mut String| {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        };
        match edit % 10 {
            0..=4 => literal(&mut pattern),
            5 => pattern.push('_'),
            6 => pattern.push('%'),
            7 => {
                literal(&mut pattern);
                pattern.push('%');
            }
            8 => {}
            _ => pattern.push(c),
        }
    }
    pattern
}

/// A case of the results property: a product name to store, a pattern to look for, and
/// a timestamp to compare with.
#[derive(Debug, Clone)]
struct Case {
    name: String,
    pattern: String,
    time: (NaiveDateTime, String),
    op: usize,
}

/// Names without NUL: PostgreSQL's text cannot hold it, and SQLite's `LIKE` and `GLOB`
/// read a stored text up to its first NUL (see `regressions::b10_..`); patterns with NUL
/// now and then (the runtime refuses them), and now and then of about
/// [`MAX_PATTERN_CHARS`] characters.
fn case() -> BoxedStrategy<Case> {
    let name = prop_oneof![
        3 => any::<String>(),
        2 => hostile(),
        1 => select(DATA).prop_map(str::to_owned),
        1 => vec(any::<char>(), 0..200).prop_map(String::from_iter),
    ];
    let name = name.prop_map(|name| name.replace('\0', ""));
    name.prop_flat_map(move |name| {
        let length = name.chars().count();
        let edits = vec(any::<u8>(), length..=length);
        let pattern = prop_oneof![
            4 => edits.clone().prop_map({
                let name = name.clone();
                move |edits| pattern_of(&name, &edits)
            }),
            // The name's pattern, and a backslash that escapes nothing.
            1 => edits.clone().prop_map({
                let name = name.clone();
                move |edits| pattern_of(&name, &edits) + "\\"
            }),
            // The name's pattern after `%`s, to a length about the longest allowed.
            1 => (edits, MAX_PATTERN_CHARS - 10..=MAX_PATTERN_CHARS + 10, any::<bool>())
                .prop_map({
                    let name = name.clone();
                    move |(edits, chars, escape)| {
                        let mut pattern = pattern_of(&name, &edits);
                        if escape {
                            pattern.push('\\');
                        }
                        let short = chars.saturating_sub(pattern.chars().count());
                        "%".repeat(short) + &pattern
                    }
                }),
            1 => any::<String>(),
            1 => hostile(),
            1 => select(DATA).prop_map(str::to_owned),
        ];
        (Just(name), pattern, timestamp(), 0usize..6)
    })
    .prop_map(|(name, pattern, time, op)| Case {
        name,
        pattern,
        time,
        op,
    })
    .boxed()
}

/// When the fixture supplier `sup_c` was soft-deleted.
fn sup_c_deleted_at() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 2, 3)
        .and_then(|date| date.and_hms_opt(4, 5, 6))
        .expect("a valid date")
}

fn property_results<C: Store + Connection>(conn: &mut C) {
    catalog(conn);
    let statements = Statements::record(conn);
    let conn = RefCell::new(conn);
    let tally = RefCell::new(Tally::default());
    // The products table, as the test wrote it.
    let rows: RefCell<Vec<(String, String)>> = RefCell::new(
        PRODUCTS
            .iter()
            .map(|(id, name)| ((*id).to_owned(), (*name).to_owned()))
            .collect(),
    );
    let sqlite = C::DIALECT == Dialect::Sqlite;
    check(backend::<C>(), "results", 256, case(), &tally, |case| {
        let Case {
            name,
            pattern,
            time,
            op,
        } = case;
        let id = format!("prop_{:05}", rows.borrow().len());
        conn.borrow_mut().exec(
            "INSERT INTO products (id, name) VALUES (?, ?)",
            &[&id, &name],
        );
        rows.borrow_mut().push((id.clone(), name.clone()));
        // The ids of the products whose name `keep` keeps, as a query of `id`s gives them.
        let expected = |keep: &dyn Fn(&str) -> bool| -> Vec<Value> {
            let rows = rows.borrow();
            let mut ids: Vec<&str> = rows
                .iter()
                .filter(|(_, name)| keep(name))
                .map(|(id, _)| id.as_str())
                .collect();
            ids.sort_unstable();
            ids.into_iter().map(|id| json!({ "id": id })).collect()
        };
        let products = || {
            Graph::entity("product")
                .fields(["id"])
                .order("id", Order::Asc)
        };
        // The rows a query finds, in the test's order whatever the database's
        // collation; or `None` when it is refused as `refuse` says it must be.
        let found = |what: &'static str,
                     graph: Graph,
                     refuse: Option<&'static str>|
         -> Result<Option<Vec<Value>>, TestCaseError> {
            let (outcome, ran) = run(*conn.borrow_mut(), &statements, graph);
            let mut tally = tally.borrow_mut();
            tally.outcome(&outcome);
            match (outcome, refuse) {
                (Ok(result), None) => {
                    tally.note(what, result.data.len() as u64);
                    let mut rows = result.data;
                    rows.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
                    Ok(Some(rows))
                }
                (Err(Error::InvalidFilter { .. }), Some(why)) if ran.is_empty() => {
                    tally.note(why, 1);
                    Ok(None)
                }
                (outcome, why) => Err(TestCaseError::fail(format!(
                    "{what}: {outcome:?} (ran {} statements), expected {}",
                    ran.len(),
                    why.map_or("rows".to_owned(), |why| format!("InvalidFilter ({why})"))
                ))),
            }
        };
        let refuse_name = must_refuse([name.as_str()], None);
        let refuse_pattern = must_refuse([pattern.as_str()], [pattern.as_str()]);

        // `$eq` finds the row, and any other of the same name.
        let equal = found(
            "rows found by $eq",
            products().filter("name", name.as_str()),
            refuse_name,
        )?;
        if let Some(equal) = equal {
            prop_assert_eq!(&equal, &expected(&|n| n == name), "$eq {:?}", name);
            let stored = json!({ "id": id });
            prop_assert!(equal.contains(&stored), "$eq {:?} misses {}", name, stored);
        }

        // `$in` through JSON: the name or a fixture's.
        let document = json!({
            "entity": "product",
            "fields": ["id"],
            "filters": { "name": { "$in": [name, "Teapot"] } },
            "pagination": { "order": { "id": "ASC" } },
        });
        let graph =
            Graph::from_json(document).map_err(|error| TestCaseError::fail(format!("{error}")))?;
        if let Some(listed) = found("rows found by $in", graph, refuse_name)? {
            prop_assert_eq!(
                &listed,
                &expected(&|n| n == name || n == "Teapot"),
                "$in {:?}",
                name
            );
        }

        // `$like` as the pattern says, on both backends; a last backslash that escapes
        // nothing is a backslash.
        let like_query = products().filter("name", Condition::like(pattern.as_str()));
        let liked = found("rows found by $like", like_query, refuse_pattern)?;
        if let Some(liked) = &liked {
            prop_assert_eq!(
                liked,
                &expected(&|n| like(&pattern, n)),
                "$like {:?} (stored {:?})",
                pattern,
                name
            );
        }

        // `$ilike` finds at least what `$like` finds; on SQLite, exactly what ASCII
        // case aside matches.
        let ilike_query = products().filter("name", Condition::ilike(pattern.as_str()));
        if let Some(iliked) = found("rows found by $ilike", ilike_query, refuse_pattern)? {
            let missed: Vec<&Value> = liked
                .iter()
                .flatten()
                .filter(|row| !iliked.contains(row))
                .collect();
            prop_assert!(
                missed.is_empty(),
                "$ilike {:?} misses {:?} that $like finds",
                pattern,
                missed
            );
            if sqlite {
                prop_assert_eq!(
                    &iliked,
                    &expected(&|n| like_ascii_case(&pattern, n)),
                    "$ilike {:?} (stored {:?})",
                    pattern,
                    name
                );
            }
        }

        // A timestamp compares as a time: the soft-deleted supplier, or none; one
        // outside the years 1 to 9999 is refused.
        let (time, text) = time;
        let (condition, holds) = match op {
            0 => (
                Condition::Eq(text.as_str().into()),
                sup_c_deleted_at() == time,
            ),
            1 => (Condition::ne(text.as_str()), sup_c_deleted_at() != time),
            2 => (Condition::gt(text.as_str()), sup_c_deleted_at() > time),
            3 => (Condition::ge(text.as_str()), sup_c_deleted_at() >= time),
            4 => (Condition::lt(text.as_str()), sup_c_deleted_at() < time),
            _ => (Condition::le(text.as_str()), sup_c_deleted_at() <= time),
        };
        let suppliers = Graph::entity("supplier")
            .fields(["id"])
            .filter("deleted_at", condition)
            .with_deleted();
        let refuse_time = (!(1..=9999).contains(&time.year())).then_some(OUT_OF_RANGE);
        if let Some(found) = found("suppliers found by time", suppliers, refuse_time)? {
            let expected = if holds {
                vec![json!({ "id": "sup_c" })]
            } else {
                Vec::new()
            };
            prop_assert_eq!(
                &found,
                &expected,
                "deleted_at {} {:?}",
                ["=", "<>", ">", ">=", "<", "<="][op],
                text
            );
        }
        Ok(())
    });
}

#[test]
fn the_like_model_reads_wildcards_and_escapes() {
    assert!(like("K%", "Kettle"));
    assert!(!like("k%", "Kettle"));
    assert!(like("_ettle", "Kettle"));
    assert!(like("%", ""));
    assert!(!like("_", ""));
    assert!(like("100\\%", "100%"));
    assert!(!like("100\\%", "1000"));
    assert!(like("a\\", "a\\"));
    assert!(like("%\\_%", "a_b"));
    assert!(!like("%\\_%", "ab"));
    assert!(like("a\\\\", "a\\"));
    assert!(!like("a\\", "a"));
    assert!(like("%\\", "ab\\"));
    assert!(!like("ab", "ab\0c"));
    assert!(like(&"%".repeat(10_000), "Kettle"));
    assert!(!like("Kettle%", "kettle"));
    assert!(like_ascii_case("Kettle%", "kETTLE and more"));
    assert!(!like_ascii_case("é", "É"));
    assert!(like_ascii_case("_\\", "Ä\\"));
    assert_eq!(pattern_of("a%b", &[0, 0, 6]), "a\\%%");
}

#[test]
fn the_refusal_model_reads_nul_and_long_patterns() {
    assert_eq!(must_refuse(["a", "b\0"], None), Some(HOLDS_NUL));
    assert_eq!(must_refuse(["\0"], ["\0"]), Some(HOLDS_NUL));
    let longest = "🦀".repeat(MAX_PATTERN_CHARS);
    assert_eq!(must_refuse([longest.as_str()], [longest.as_str()]), None);
    let longer = longest + "%";
    assert_eq!(
        must_refuse([longer.as_str()], [longer.as_str()]),
        Some(LONG_PATTERN)
    );
    assert_eq!(must_refuse([longer.as_str()], None), None);
    // SQLite reads U+FFFE and U+FFFF as U+FFFD: such a pattern would match more there.
    assert_eq!(must_refuse(["\u{ffff}%"], ["\u{ffff}%"]), Some(UNMATCHABLE));
    assert_eq!(must_refuse(["\u{fffd}"], None), None);
}

#[test]
fn the_sql_check_refuses_what_the_runtime_never_writes() {
    assert!(check_sql("SELECT \"t0\".\"id\" FROM \"products\" AS \"t0\" WHERE 1 = 1").is_ok());
    assert!(check_sql("SELECT \"t0\".\"id\" FROM \"products\" AS \"t0\"; DROP").is_err());
    assert!(check_sql("SELECT \"t0\".\"pg_tables\" FROM \"products\" AS \"t0\"").is_err());
    assert!(check_sql("SELECT 'x' FROM \"products\"").is_err());
    assert!(check_sql("SELECT version()").is_err());
}

#[test]
fn the_path_model_matches_the_registry() {
    assert!(resolves("product", "brand.supplier.name", Use::Filter));
    assert!(resolves("product", "tags.*", Use::Field));
    assert!(resolves("product", "tags", Use::Field));
    assert!(!resolves("product", "tags", Use::Filter));
    // Compared with null, a link asks whether there is a live linked record.
    assert!(resolves("product", "tags", Use::Presence));
    assert!(resolves("product", "brand.supplier", Use::Presence));
    assert!(!resolves("product", "brand.*", Use::Presence));
    assert!(resolves("product", "brand.name", Use::Order));
    assert!(!resolves("product", "brand.supplier.name", Use::Order));
    assert!(resolves("product_tags", "tag.name", Use::Filter));
    assert!(!resolves("product", "name.first", Use::Filter));
    assert!(!resolves("products", "id", Use::Field));
    // A count of linked records ends any path; an order counts from the root only.
    assert!(resolves("brand", "_count.products", Use::Field));
    assert!(resolves("product", "brand._count.products", Use::Filter));
    assert!(resolves("brand", "_count.products", Use::Order));
    assert!(!resolves("product", "brand._count.products", Use::Order));
    assert!(!resolves("brand", "_count.name", Use::Field));
    assert!(!resolves("brand", "_count.products.id", Use::Filter));
    assert!(!resolves("brand", "_count", Use::Field));
}

link_test_support::backend_tests! {
    drivers;
    fn typed_outcomes_built(conn) {
        property_typed_outcomes_built(conn);
    }
    fn typed_outcomes_well_formed(conn) {
        property_typed_outcomes_well_formed(conn);
    }

    fn typed_outcomes_json(conn) {
        property_typed_outcomes_json(conn);
    }

    fn names_never_reach_the_sql(conn) {
        property_names(conn);
    }

    fn values_never_reach_the_sql(conn) {
        property_values(conn);
    }

    fn filters_find_exactly_the_matching_rows(conn) {
        property_results(conn);
    }
}

/// The bugs B1 to B9 and B11 that the properties found, each at its smallest, as fixed.
mod regressions {
    use super::*;

    /// Runs `graph`: its rows, or why it cannot.
    fn outcome(conn: &mut impl LinkConnection, graph: Graph) -> Result<Vec<Value>, Error> {
        via::graph(conn, graph).map(|result| result.data)
    }

    /// The ids of the rows `graph` finds, sorted.
    fn ids(conn: &mut impl LinkConnection, graph: Graph) -> Vec<String> {
        let shown = format!("{graph:?}");
        let shown: String = shown.chars().take(300).collect();
        let rows = outcome(conn, graph).unwrap_or_else(|error| panic!("{shown}: {error:?}"));
        let mut ids: Vec<String> = rows
            .iter()
            .map(|row| row["id"].as_str().expect("an id").to_owned())
            .collect();
        ids.sort_unstable();
        ids
    }

    /// The products whose `name` meets `condition`.
    fn products(conn: &mut impl LinkConnection, condition: Condition) -> Vec<String> {
        let graph = Graph::entity("product")
            .fields(["id"])
            .filter("name", condition);
        ids(conn, graph)
    }

    /// Asserts that `outcome` is `InvalidFilter` with a reason that says `says`.
    #[track_caller]
    fn assert_invalid_filter(outcome: &Result<Vec<Value>, Error>, says: &str) {
        assert!(
            matches!(outcome, Err(Error::InvalidFilter { reason, .. }) if reason.contains(says)),
            "expected InvalidFilter saying {says:?}: {outcome:?}"
        );
    }

    /// Asserts that `outcome` is `MalformedQuery` with a reason that says `says`.
    #[track_caller]
    fn assert_malformed<T: std::fmt::Debug>(outcome: &Result<T, Error>, says: &str) {
        assert!(
            matches!(outcome, Err(Error::MalformedQuery { reason }) if reason.contains(says)),
            "expected MalformedQuery saying {says:?}: {outcome:?}"
        );
    }

    /// How many parameters a statement binds.
    fn placeholders(sql: &str) -> usize {
        sql.matches(['?', '$']).count()
    }

    /// `filter` nested `depth` times in `Filter::or` (or `Filter::and`).
    fn nested(depth: usize, filter: Filter, or: bool) -> Filter {
        (0..depth).fold(filter, |inner, _| {
            if or {
                Filter::or([inner])
            } else {
                Filter::and([inner])
            }
        })
    }

    /// The product path through `links` links, alternately `brand` and `products`, then
    /// `last`.
    fn long_path(links: usize, last: &str) -> String {
        let mut segments: Vec<&str> = (0..links)
            .map(|i| if i % 2 == 0 { "brand" } else { "products" })
            .collect();
        segments.push(last);
        segments.join(".")
    }

    /// SQLite's text may hold NUL, which PostgreSQL's cannot: `$like` and `$ilike` read
    /// it whole, as `$eq` does, and as the pattern's model reads it.
    #[test]
    #[ignore = "a limit of SQLite, not fixed: its GLOB and LIKE read a stored text only up \
                to its first NUL (PostgreSQL cannot store NUL at all)"]
    fn b10_sqlite_like_reads_a_stored_text_past_a_nul() {
        let mut db = link_test_support::sqlite();
        let conn = &mut db;
        catalog(conn);
        conn.exec(
            "INSERT INTO products (id, name) VALUES ('prod_5', ?)",
            &["\0"],
        );
        conn.exec(
            "INSERT INTO products (id, name) VALUES ('prod_6', ?)",
            &["Kettle\0lid"],
        );
        assert_eq!(products(conn, Condition::from("Kettle")), ["prod_1"]);
        assert_eq!(products(conn, Condition::like("")), Vec::<String>::new());
        assert_eq!(products(conn, Condition::like("Kettle")), ["prod_1"]);
        assert_eq!(products(conn, Condition::ilike("kettle")), ["prod_1"]);
        assert_eq!(products(conn, Condition::like("%lid")), ["prod_6"]);
        assert_eq!(products(conn, Condition::ilike("%LID")), ["prod_6"]);
        assert_eq!(products(conn, Condition::like("_")), ["prod_5"]);
    }

    link_test_support::backend_tests! {
        drivers;
        fn b1_an_empty_condition_is_refused(conn) {
            catalog(conn);
            for (filters, path) in [
                (json!({ "no_such_field": {} }), "no_such_field"),
                (json!({ "name": {} }), "name"),
                (json!({ "brand": { "name": {} } }), "brand.name"),
                (
                    json!({ "$or": [{ "name": "Kettle" }, { "brand": { "name": {} } }] }),
                    "brand.name",
                ),
            ] {
                let read = Graph::from_json(json!({ "entity": "product", "filters": filters }));
                let reason = format!("`{path}`: an empty object is no condition");
                assert!(
                    matches!(&read, Err(Error::MalformedQuery { reason: r }) if *r == reason),
                    "{filters}: {read:?}"
                );
            }
            // Conditions that are objects of operators are read as before.
            let read = |filters: Value| {
                let document = json!({ "entity": "product", "fields": ["id"], "filters": filters });
                Graph::from_json(document).unwrap()
            };
            assert_eq!(ids(conn, read(json!({ "name": { "$eq": "Kettle" } }))), ["prod_1"]);
            assert_eq!(ids(conn, read(json!({ "brand": { "name": "Birch" } }))), ["prod_3"]);
        }

        fn b2_a_text_with_nul_is_refused_before_any_sql(conn) {
            catalog(conn);
            let statements = Statements::record(conn);
            let long_list: Vec<String> = (0..1_500).map(|i| format!("name {i}\0")).collect();
            for (path, condition) in [
                ("name", Condition::from("a\0b")),
                ("name", Condition::ne("\0")),
                ("name", Condition::gt("Kettle\0")),
                ("name", Condition::eq_any(["Kettle", "a\0b"])),
                ("name", Condition::ne_all(long_list)),
                ("brand.name", Condition::from("\0")),
            ] {
                statements.take();
                let graph = Graph::entity("product").filter(path, condition);
                assert_invalid_filter(&outcome(conn, graph), "NUL");
                assert_eq!(statements.take(), Vec::<String>::new());
            }
            // On a pivot table's text column, and through JSON.
            let graph = Graph::entity("product_tags").filter("note", "front\0page");
            assert_invalid_filter(&outcome(conn, graph), "NUL");
            let graph = Graph::from_json(json!({
                "entity": "tag",
                "filters": { "products": { "name": { "$in": ["\u{0}"] } } },
            }))
            .unwrap();
            assert_invalid_filter(&outcome(conn, graph), "NUL");
            assert_eq!(statements.take(), Vec::<String>::new());
        }

        fn b3_a_timestamp_outside_the_years_1_to_9999_is_refused(conn) {
            catalog(conn);
            let suppliers = |condition: Condition| {
                Graph::entity("supplier")
                    .fields(["id"])
                    .filter("deleted_at", condition)
                    .with_deleted()
            };
            for condition in [
                Condition::gt("-4714-01-01T00:00:00"),
                Condition::gt("0000-12-31T23:59:59"),
                Condition::lt("+10000-01-01T00:00:00"),
                Condition::Eq("+262000-01-01 00:00:00.000".into()),
                Condition::ne("0000-06-01T00:00:00Z"),
            ] {
                let outcome = outcome(conn, suppliers(condition));
                assert_invalid_filter(&outcome, "between the years 1 and 9999");
            }
            let pivot = Graph::entity("product_tags")
                .filter("created_at", Condition::lt("+10000-01-01T00:00:00"));
            assert_invalid_filter(&outcome(conn, pivot), "between the years 1 and 9999");
            // The first and the last years run, and compare as times.
            assert_eq!(ids(conn, suppliers(Condition::gt("0001-01-01T00:00:00"))), ["sup_c"]);
            assert_eq!(ids(conn, suppliers(Condition::lt("9999-12-31T23:59:59"))), ["sup_c"]);
            let none = Vec::<String>::new();
            assert_eq!(ids(conn, suppliers(Condition::le("0001-01-01 00:00:00"))), none);
            assert_eq!(ids(conn, suppliers(Condition::ge("9999-12-31T23:59:59Z"))), none);
        }

        fn b4_a_last_lone_backslash_is_a_backslash(conn) {
            catalog(conn);
            conn.exec("INSERT INTO products (id, name) VALUES ('prod_5', ?)", &["a\\"]);
            conn.exec("INSERT INTO products (id, name) VALUES ('prod_6', ?)", &["a\\\\"]);
            assert_eq!(products(conn, Condition::like("a\\")), ["prod_5"]);
            assert_eq!(products(conn, Condition::ilike("a\\")), ["prod_5"]);
            assert_eq!(products(conn, Condition::ilike("A\\")), ["prod_5"]);
            assert_eq!(products(conn, Condition::like("A\\")), Vec::<String>::new());
            assert_eq!(products(conn, Condition::like("%\\")), ["prod_5", "prod_6"]);
            assert_eq!(products(conn, Condition::ilike("_\\")), ["prod_5"]);
            // An escaped backslash, then a lone one.
            assert_eq!(products(conn, Condition::like("a\\\\\\")), ["prod_6"]);
            assert_eq!(products(conn, Condition::ilike("a\\\\\\")), ["prod_6"]);
            // The same, escaped: nothing changes.
            assert_eq!(products(conn, Condition::like("a\\\\")), ["prod_5"]);
            assert_eq!(products(conn, Condition::ilike("a\\\\\\\\")), ["prod_6"]);
        }

        fn b5_a_pattern_of_up_to_10000_characters_runs(conn) {
            catalog(conn);
            let all = ["prod_1", "prod_2", "prod_3", "prod_4"];
            let any = "%".repeat(10_000);
            assert_eq!(products(conn, Condition::like(any.as_str())), all);
            assert_eq!(products(conn, Condition::ilike(any.as_str())), all);
            // The most bytes a pattern of 10,000 characters takes, as `LIKE` or `GLOB`.
            let none = Vec::<String>::new();
            for pattern in [
                "🦀".repeat(10_000),
                "*".repeat(9_999) + "%",
                "[".repeat(10_000),
                "%".repeat(9_999) + "\\",
            ] {
                assert_eq!(products(conn, Condition::like(pattern.as_str())), none);
                assert_eq!(products(conn, Condition::ilike(pattern.as_str())), none);
            }
            // One more character is refused.
            for pattern in ["%".repeat(10_001), "*".repeat(16_667), "🦀".repeat(10_001)] {
                let pattern = pattern.as_str();
                for condition in [Condition::like(pattern), Condition::ilike(pattern)] {
                    let graph = Graph::entity("product").filter("name", condition);
                    assert_invalid_filter(&outcome(conn, graph), "at most 10000");
                }
            }
        }

        fn b6_a_pattern_with_nul_is_refused(conn) {
            catalog(conn);
            let statements = Statements::record(conn);
            for pattern in ["Kettle\0 and more", "\0", "%\0%", "Kettle\0"] {
                for condition in [Condition::like(pattern), Condition::ilike(pattern)] {
                    statements.take();
                    let graph = Graph::entity("product").filter("name", condition);
                    assert_invalid_filter(&outcome(conn, graph), "NUL");
                    assert_eq!(statements.take(), Vec::<String>::new());
                }
            }
        }

        fn b7_a_long_text_list_is_one_parameter(conn) {
            catalog(conn);
            // SQLite takes 32,766 parameters, PostgreSQL 65,535.
            let names = |n: usize, name: &str| -> Vec<String> {
                let mut names: Vec<String> = (1..n).map(|i| format!("name {i}")).collect();
                names.insert(n / 2, name.to_owned());
                names
            };
            let many = names(65_536, "Kettle");
            assert_eq!(products(conn, Condition::eq_any(many.clone())), ["prod_1"]);
            assert_eq!(
                products(conn, Condition::ne_all(many.clone())),
                ["prod_2", "prod_3", "prod_4"]
            );
            let birch = Graph::entity("product")
                .fields(["id"])
                .filter("brand.name", Condition::eq_any(names(65_536, "Birch")));
            assert_eq!(ids(conn, birch), ["prod_3"]);
            let graph = Graph::from_json(json!({
                "entity": "product",
                "fields": ["id"],
                "filters": { "name": { "$in": many } },
            }))
            .unwrap();
            assert_eq!(ids(conn, graph), ["prod_1"]);

            // From 1,000 values on, the statement is the same for any length; shorter
            // lists bind a parameter per value.
            let statements = Statements::record(conn);
            let mut sql = |n: usize| {
                statements.take();
                assert_eq!(products(conn, Condition::eq_any(names(n, "Teapot"))), ["prod_2"]);
                // The query's own statement, past those that set its timeout.
                let ran = statements.take();
                ran.into_iter().find(|sql| sql.contains("\"products\"")).expect("the query")
            };
            let (short, long, longer) = (sql(999), sql(1_000), sql(65_536));
            assert_eq!(long, longer);
            assert!(placeholders(&short) >= 999, "{short}");
            assert!(placeholders(&long) < 5, "{long}");
        }

        fn b7_more_than_30000_values_one_by_one_are_refused(conn) {
            catalog(conn);
            let pivot = |n: i32| {
                Graph::entity("product_tags")
                    .fields(["id"])
                    .filter("position", Condition::eq_any(0..n))
            };
            assert_malformed(&outcome(conn, pivot(30_001)), "at most 30000");
            assert_eq!(ids(conn, pivot(29_000)).len(), 3);
            // Short text lists bind a parameter per value, and add up.
            let lists = |n: usize| {
                let alternatives = (0..n).map(|list| {
                    let mut names: Vec<String> =
                        (0..999).map(|i| format!("name {list} {i}")).collect();
                    if list == 7 {
                        names[500] = "Kettle".to_owned();
                    }
                    Filter::field("name", names)
                });
                Graph::entity("product")
                    .fields(["id"])
                    .filter_by(Filter::or(alternatives))
            };
            assert_malformed(&outcome(conn, lists(31)), "at most 30000");
            assert_eq!(ids(conn, lists(30)), ["prod_1"]);
        }

        fn b8_thousands_of_alternatives_run(conn) {
            catalog(conn);
            let or = |n: usize, path: &str, found: &str| {
                let mut alternatives: Vec<Filter> =
                    (0..n).map(|i| Filter::field(path, format!("name {i}"))).collect();
                alternatives[n / 2] = Filter::field(path, found);
                Graph::entity("product")
                    .fields(["id"])
                    .filter_by(Filter::or(alternatives))
            };
            assert_eq!(ids(conn, or(5_000, "name", "Whisk")), ["prod_4"]);
            // A subquery each: past SQLite's depth of 1,000, and no more, for the time it
            // takes (a second on SQLite for 2,000, half a minute on PostgreSQL for 4,000).
            assert_eq!(ids(conn, or(1_500, "brand.name", "Birch")), ["prod_3"]);
            let all_but_one = (0..5_000)
                .map(|i| Filter::field("name", Condition::ne(format!("name {i}"))))
                .chain([Filter::field("name", Condition::ne("Kettle"))]);
            let graph = Graph::entity("product")
                .fields(["id"])
                .filter_by(Filter::and(all_but_one));
            assert_eq!(ids(conn, graph), ["prod_2", "prod_3", "prod_4"]);
            let mut items: Vec<Value> =
                (0..5_000).map(|i| json!({ "name": format!("name {i}") })).collect();
            items.push(json!({ "name": "Teapot" }));
            let graph = Graph::from_json(json!({
                "entity": "product",
                "fields": ["id"],
                "filters": { "$or": items },
            }))
            .unwrap();
            assert_eq!(ids(conn, graph), ["prod_2"]);
        }

        /// B11: a `names` case ANDed 1,500 copies of one `$in` list of three ids; on
        /// PostgreSQL 15 the index scan tried each of the 3¹⁵⁰⁰ combinations of their values,
        /// and no statement timeout stopped it. Lists on one column are one list now, their
        /// intersection.
        fn b11_lists_anded_on_one_column_are_one_list(conn) {
            catalog(conn);
            let product = || Graph::entity("product").fields(["id"]);
            let list = |ids: &[&str]| Filter::field("id", Condition::EqAny(ids.iter().map(|id| json!(id)).collect()));
            let many = (0..1_500).map(|i| {
                let other = format!("nope_{i}");
                list(&["prod_1", "prod_2", &other])
            });
            assert_eq!(ids(conn, product().filter_by(Filter::and(many))), ["prod_1", "prod_2"]);
            // Nested `and`s, equalities and `$or`s of equalities count as lists too.
            let nested = Filter::and([
                Filter::and([list(&["prod_1", "prod_2", "prod_3"])]),
                list(&["prod_2", "prod_3", "prod_4"]),
                Filter::or([Filter::field("id", "prod_3"), Filter::field("id", "prod_4")]),
            ]);
            assert_eq!(ids(conn, product().filter_by(nested)), ["prod_3"]);
            // Lists that share nothing find nothing; other conditions still apply.
            let apart = Filter::and([list(&["prod_1", "prod_2"]), Filter::field("id", "prod_3")]);
            assert!(ids(conn, product().filter_by(apart)).is_empty());
            let named = Filter::and([
                list(&["prod_1", "prod_2"]),
                list(&["prod_2", "prod_1"]),
                Filter::field("name", "Teapot"),
            ]);
            assert_eq!(ids(conn, product().filter_by(named)), ["prod_2"]);
        }

        fn b9_deep_filters_and_long_paths_are_refused(conn) {
            catalog(conn);
            let kettle = || Filter::field("name", "Kettle");
            let product = || Graph::entity("product").fields(["id"]);
            for or in [true, false] {
                let graph = product().filter_by(nested(200, kettle(), or));
                assert_malformed(&outcome(conn, graph), "nest deeper than 32");
                let graph = product().filter_by(nested(33, kettle(), or));
                assert_malformed(&outcome(conn, graph), "nest deeper than 32");
                // 32 levels still run.
                assert_eq!(ids(conn, product().filter_by(nested(32, kettle(), or))), ["prod_1"]);
            }
            // `$or` in JSON, 200 deep: each is an `or` of an `and`.
            let document = (0..200)
                .fold(json!({ "name": "Kettle" }), |inner, _| json!({ "$or": [inner] }));
            let graph =
                Graph::from_json(json!({ "entity": "product", "filters": document })).unwrap();
            assert_malformed(&outcome(conn, graph), "nest deeper than 32");

            // Paths through more than 16 links.
            let graph = product().fields([long_path(20, "id")]);
            assert_malformed(&outcome(conn, graph), "more than 16 links");
            let graph = product().fields([long_path(17, "*")]);
            assert_malformed(&outcome(conn, graph), "more than 16 links");
            let graph = product().filter(long_path(17, "name"), "Kettle");
            assert_malformed(&outcome(conn, graph), "more than 16 links");
            let graph = product().order(long_path(17, "name"), Order::Asc);
            assert_malformed(&outcome(conn, graph), "more than 16 links");
            let document = (0..20).fold(json!({ "name": "Kettle" }), |inner, i| {
                let link = if i % 2 == 0 { "products" } else { "brand" };
                json!({ link: inner })
            });
            let graph =
                Graph::from_json(json!({ "entity": "product", "filters": document })).unwrap();
            assert_malformed(&outcome(conn, graph), "more than 16 links");
            // 16 links still run: the products of a brand with a product named Kettle.
            let graph = product().filter(long_path(16, "name"), "Kettle");
            assert_eq!(ids(conn, graph), ["prod_1", "prod_2"]);
            assert!(outcome(conn, product().fields([long_path(16, "id")])).is_ok());
        }
    }
}
