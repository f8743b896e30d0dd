//! [`Limits`]: how much a graph query may cost, counted before any SQL runs.

use std::time::Duration;

use crate::error::CostLimit;

/// How much a graph query may cost: the counts of [`CostLimit`], and on PostgreSQL the
/// time a statement may take. A query over a count is refused with
/// [`Error::TooCostly`](crate::Error::TooCostly), which names the limit; a statement over
/// the time is cancelled by the database, and the query fails with
/// [`Error::QueryTimeout`](crate::Error::QueryTimeout).
///
/// Every query runs under limits: its own ([`Query::limits`](crate::graph::Query::limits)),
/// its scope's ([`Scope::limits`](crate::graph::Scope::limits)), the stricter of the two
/// when both are set ([`stricter`](Self::stricter)), or else the defaults below. The
/// defaults were measured so that the costliest query each one lets through, of those the
/// project's hostile-query tests run, ends within 2 seconds on a catalog of 10,000
/// products and 1,000 brands, on SQLite and PostgreSQL, on a 2-core machine (BENCHMARKS.md
/// has the measurements):
///
/// | limit | default | what it bounds |
/// |---|---|---|
/// | [`CostLimit::FieldLinks`] | 32 | the statements and joins the fields add |
/// | [`CostLimit::FilterLinks`] | 32 | the subqueries the filters add to each statement |
/// | [`CostLimit::FilterValues`] | 200,000 | the values the filters compare with |
/// | [`CostLimit::OrderKeys`] | 4 | the terms of `ORDER BY` |
/// | [`CostLimit::Records`] | 500,000 | the records loaded and written out |
/// | [`statement_timeout`](Self::statement_timeout) | 5 s | each statement, on PostgreSQL |
///
/// The counts are checked when the query's names are resolved, before any statement
/// exists, except `records`: how many records a list link leads to is known only as they
/// load, so the load counts them link by link, and stops at the first link whose records
/// cross the limit, before the links below it load and before any output is built. The
/// counts bound the number of statements and subqueries, the values bound, and the rows
/// read and written out, so they bound a query on both backends; on PostgreSQL the
/// statement timeout is there besides, for what the counts do not see (a lock, a server
/// under load, a table far larger than the catalog above).
///
/// The planner writes some costly shapes cheaper before it counts them: an `$or` of
/// conditions through one link follows the link once, for a linked record that meets any
/// of them; an `$or` of equalities on one field is one `IN` list; lists and equalities
/// ANDed on one field are one list, their intersection; a repeated order key is dropped.
///
/// The last of these is also what keeps the timeout meaningful: PostgreSQL before 17 scans
/// an index once for every combination of the values of the lists ANDed on one of its
/// columns (3¹⁰⁰ scans for 100 lists of three ids), and does not look for a cancellation
/// between those scans, so no timeout would end such a statement.
///
/// ```
/// use std::time::Duration;
/// use link_runtime::graph::{CostLimit, Fields, Graph, Limits, Scope};
/// use link_runtime::Error;
/// # use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product", table = "product")]
/// # pub struct Product { pub id: String, pub title: String }
/// # #[derive(Linkable)] #[linkable(module = "brand", table = "brand")]
/// # pub struct Brand { pub id: String, pub name: String }
/// # mod product_brand { use super::*; link_runtime::define_link!(Product(is_list), Brand); }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let strict = Limits::new()
///     .max(CostLimit::FilterLinks, 4)
///     .statement_timeout(Some(Duration::from_secs(1)));
/// assert_eq!(strict.limit(CostLimit::FilterLinks), 4);
/// assert_eq!(strict.limit(CostLimit::OrderKeys), 4);
/// assert_eq!(strict.timeout_limit(), Some(Duration::from_secs(1)));
///
/// // Five alternatives of a title and a brand each: five subqueries, one per brand.
/// let alternatives: Vec<serde_json::Value> = ["Kettle", "Teapot", "Toaster", "Whisk", "Lamp"]
///     .iter()
///     .map(|title| serde_json::json!({ "title": title, "brand": { "name": { "$ne": title } } }))
///     .collect();
/// let graph = Graph::from_json(serde_json::json!({
///     "entity": "product",
///     "filters": { "$or": alternatives },
/// }))?;
/// // Checked without a connection, as running the query would check it.
/// let store = Scope::new()
///     .entity("product", Fields::all())
///     .entity("brand", Fields::all())
///     .link("product", "brand")
///     .limits(strict);
/// let refused = store.check(&graph).unwrap_err();
/// assert!(matches!(refused, Error::TooCostly { limit: CostLimit::FilterLinks, value: 5, max: 4 }));
/// assert!(Scope::all().check(&graph).is_ok());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    field_links: u64,
    filter_links: u64,
    filter_values: u64,
    order_keys: u64,
    records: u64,
    statement_timeout: Option<Duration>,
}

impl Default for Limits {
    /// [`Limits::new`]: the defaults.
    fn default() -> Self {
        Limits::new()
    }
}

impl Limits {
    /// The default limits (see [`Limits`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use link_runtime::graph::{CostLimit, Limits};
    ///
    /// let limits = Limits::new();
    /// assert_eq!(limits.limit(CostLimit::FilterLinks), 32);
    /// assert_eq!(limits.limit(CostLimit::Records), 500_000);
    /// assert_eq!(limits.timeout_limit(), Some(Duration::from_secs(5)));
    /// ```
    pub fn new() -> Self {
        Limits {
            field_links: 32,
            filter_links: 32,
            filter_values: 200_000,
            order_keys: 4,
            records: 500_000,
            statement_timeout: Some(Duration::from_secs(5)),
        }
    }

    /// Sets the most a query may ask for of what `limit` counts. `u64::MAX` lifts it.
    ///
    /// ```
    /// use link_runtime::graph::{CostLimit, Limits};
    ///
    /// let export = Limits::new().max(CostLimit::Records, 10_000_000);
    /// assert_eq!(export.limit(CostLimit::Records), 10_000_000);
    /// ```
    pub fn max(mut self, limit: CostLimit, max: u64) -> Self {
        *self.slot(limit) = max;
        self
    }

    /// The most a query may ask for of what `limit` counts.
    ///
    /// ```
    /// use link_runtime::graph::{CostLimit, Limits};
    ///
    /// assert_eq!(Limits::new().limit(CostLimit::OrderKeys), 4);
    /// ```
    pub fn limit(&self, limit: CostLimit) -> u64 {
        match limit {
            CostLimit::FieldLinks => self.field_links,
            CostLimit::FilterLinks => self.filter_links,
            CostLimit::FilterValues => self.filter_values,
            CostLimit::OrderKeys => self.order_keys,
            CostLimit::Records => self.records,
        }
    }

    fn slot(&mut self, limit: CostLimit) -> &mut u64 {
        match limit {
            CostLimit::FieldLinks => &mut self.field_links,
            CostLimit::FilterLinks => &mut self.filter_links,
            CostLimit::FilterValues => &mut self.filter_values,
            CostLimit::OrderKeys => &mut self.order_keys,
            CostLimit::Records => &mut self.records,
        }
    }

    /// Sets how long each statement of a query may run on PostgreSQL before the database
    /// cancels it, or `None` for no timeout of the query's own (the connection's
    /// `statement_timeout`, if it has one, applies then; the query still reads one snapshot,
    /// in a transaction of its own). SQLite has no such setting: there, the counts bound a
    /// query.
    ///
    /// The timeout is PostgreSQL's `statement_timeout`, set with `SET LOCAL` in a
    /// transaction the query's statements run in, one per database it reads: it ends
    /// with the query, and the connection goes back to its pool, or to the caller, with
    /// the setting it had. Inside a caller's transaction, the query runs in a savepoint,
    /// and the setting is put back as it was when the savepoint is released. A timeout
    /// under a millisecond counts as one millisecond (PostgreSQL's `0` would mean none).
    ///
    /// ```
    /// use std::time::Duration;
    /// use link_runtime::graph::Limits;
    ///
    /// let report = Limits::new().statement_timeout(Some(Duration::from_secs(30)));
    /// assert_eq!(report.timeout_limit(), Some(Duration::from_secs(30)));
    /// assert_eq!(Limits::new().statement_timeout(None).timeout_limit(), None);
    /// ```
    pub fn statement_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// How long each statement of a query may run on PostgreSQL, if the limits say.
    ///
    /// ```
    /// use std::time::Duration;
    /// use link_runtime::graph::Limits;
    ///
    /// assert_eq!(Limits::new().timeout_limit(), Some(Duration::from_secs(5)));
    /// ```
    pub fn timeout_limit(&self) -> Option<Duration> {
        self.statement_timeout
    }

    /// The stricter of two limits, each count and the timeout on its own: the smaller
    /// count, the shorter timeout (a timeout is stricter than none). A query run with
    /// [`Query::limits`](crate::graph::Query::limits) under a scope with
    /// [`Scope::limits`](crate::graph::Scope::limits) runs under these: neither can
    /// loosen the other.
    ///
    /// ```
    /// use std::time::Duration;
    /// use link_runtime::graph::{CostLimit, Limits};
    ///
    /// let scope = Limits::new().max(CostLimit::FilterLinks, 4);
    /// let query = Limits::new()
    ///     .max(CostLimit::FilterLinks, 100)
    ///     .max(CostLimit::OrderKeys, 2)
    ///     .statement_timeout(None);
    /// let both = query.stricter(&scope);
    /// assert_eq!(both.limit(CostLimit::FilterLinks), 4);
    /// assert_eq!(both.limit(CostLimit::OrderKeys), 2);
    /// assert_eq!(both.timeout_limit(), Some(Duration::from_secs(5)));
    /// ```
    pub fn stricter(&self, other: &Limits) -> Limits {
        let mut stricter = self.clone();
        for limit in CostLimit::ALL {
            *stricter.slot(limit) = self.limit(limit).min(other.limit(limit));
        }
        stricter.statement_timeout = match (self.statement_timeout, other.statement_timeout) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        stricter
    }

    /// The limits a query runs under: the stricter of its own and its scope's, whichever
    /// are set, or the defaults.
    pub(crate) fn of_query(query: Option<&Limits>, scope: Option<&Limits>) -> Limits {
        match (query, scope) {
            (Some(query), Some(scope)) => query.stricter(scope),
            (Some(one), None) | (None, Some(one)) => one.clone(),
            (None, None) => Limits::new(),
        }
    }

    /// Refuses `value` of what `limit` counts if it is over the limit.
    pub(crate) fn check(&self, limit: CostLimit, value: u64) -> crate::error::Result<()> {
        let max = self.limit(limit);
        if value > max {
            return Err(crate::error::Error::TooCostly { limit, value, max });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_shared_across_threads() {
        fn shared<T: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
        shared::<Limits>();
    }

    #[test]
    fn a_query_runs_under_the_stricter_of_its_limits_and_its_scope_s() {
        let loose = Limits::new()
            .max(CostLimit::Records, u64::MAX)
            .statement_timeout(None);
        let tight = Limits::new()
            .max(CostLimit::FieldLinks, 2)
            .statement_timeout(Some(Duration::from_millis(300)));
        assert_eq!(Limits::of_query(None, None), Limits::new());
        assert_eq!(Limits::of_query(Some(&loose), None), loose);
        assert_eq!(Limits::of_query(None, Some(&loose)), loose);
        let both = Limits::of_query(Some(&loose), Some(&tight));
        assert_eq!(both, Limits::of_query(Some(&tight), Some(&loose)));
        assert_eq!(both.limit(CostLimit::FieldLinks), 2);
        assert_eq!(both.limit(CostLimit::Records), 500_000);
        assert_eq!(both.timeout_limit(), Some(Duration::from_millis(300)));
        assert_eq!(loose.stricter(&loose).timeout_limit(), None);
    }

    #[test]
    fn a_count_over_its_limit_is_refused_with_it() {
        let limits = Limits::new().max(CostLimit::OrderKeys, 3);
        assert!(limits.check(CostLimit::OrderKeys, 3).is_ok());
        let error = limits.check(CostLimit::OrderKeys, 4).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the graph query is too costly: 4 order keys, over the limit of 3"
        );
    }
}
