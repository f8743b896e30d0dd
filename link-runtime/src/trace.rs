//! What the runtime tells `tracing` (feature `tracing`, on by default): a span per public
//! operation and an event per statement, written once for both drivers. Without the
//! feature every item here compiles to nothing.
//!
//! - Operations: an `INFO` span named `link_runtime.<operation>` (target `link_runtime`),
//!   opened by the core function both drivers run ([`operation!`]). Its fields say what the
//!   operation was about (the link's table, how many pairs, the entity of a graph query)
//!   and, once it ends, what came out (rows, what a create did); a failed operation records
//!   its error's [`kind`](crate::Error::kind) as `error.kind`.
//! - Statements: a `DEBUG` event (target [`SQL`]) per statement an executor runs, from
//!   `Executor`'s provided methods ([`Timer`]): the SQL text, the rows it returned or
//!   changed, how long it took. Never a bound value: values may be customer data.

/// The target of the statement events.
#[cfg(feature = "tracing")]
pub(crate) const SQL: &str = "link_runtime::sql";

/// Runs `$op`, a future of a [`Result`](crate::Result), in the span `$name` with the
/// fields given (each followed by a comma). `$span` names the span inside `$op`, whose
/// `record` sets a field declared up front as `name = Empty` ([`tracing::field::Empty`]);
/// a failure records `error.kind`. Without the feature, the span is a [`Span`] that
/// records nothing, and the fields are not evaluated.
///
/// ```text
/// operation!("link_runtime.list", { link = L::SCHEMA.table, rows = Empty, }, |span| async {
///     let rows = read(conn).await?;
///     span.record("rows", rows.len());
///     Ok(rows)
/// })
/// ```
macro_rules! operation {
    ($name:literal, { $($fields:tt)* }, |$span:ident| $op:expr $(,)?) => {{
        #[cfg(feature = "tracing")]
        let outcome = {
            #[allow(unused_imports)]
            use ::tracing::field::Empty;
            let $span = ::tracing::info_span!(
                target: "link_runtime",
                $name,
                $($fields)*
                error.kind = Empty
            );
            // Inline rather than in a function: the operation's future, which can be
            // large, is moved once less.
            let outcome = ::tracing::Instrument::instrument($op, $span.clone()).await;
            if let Err(error) = &outcome {
                $span.record("error.kind", $crate::Error::kind(error).as_str());
            }
            outcome
        };
        #[cfg(not(feature = "tracing"))]
        let outcome = {
            let $span = $crate::trace::Span;
            let _ = &$span;
            $op.await
        };
        outcome
    }};
}

pub(crate) use operation;

/// What stands for an operation's span without the feature: it records nothing.
#[cfg(not(feature = "tracing"))]
pub(crate) struct Span;

#[cfg(not(feature = "tracing"))]
impl Span {
    /// Records nothing.
    #[inline]
    pub(crate) fn record<V>(&self, _field: &str, _value: V) -> &Self {
        self
    }
}

/// Times a statement for its event, when statement events are on: started before the
/// statement runs, [`finish`](Self::finish)ed after. With them off (or without the
/// feature), it reads no clock.
pub(crate) struct Timer {
    #[cfg(feature = "tracing")]
    started: Option<std::time::Instant>,
}

impl Timer {
    /// Starts timing a statement, if its event is wanted.
    #[inline]
    pub(crate) fn start() -> Timer {
        Timer {
            #[cfg(feature = "tracing")]
            started: tracing::enabled!(target: SQL, tracing::Level::DEBUG)
                .then(std::time::Instant::now),
        }
    }

    /// The statement `sql` ended with `outcome`: the rows it returned or changed (`None`
    /// for a batch, which counts none), or its error.
    #[inline]
    pub(crate) fn finish(self, sql: &str, outcome: Result<Option<usize>, &diesel::result::Error>) {
        #[cfg(feature = "tracing")]
        if let Some(started) = self.started {
            let elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            match outcome {
                Ok(rows) => tracing::debug!(
                    target: SQL,
                    sql,
                    rows,
                    elapsed_us,
                    "statement"
                ),
                Err(error) => tracing::debug!(
                    target: SQL,
                    sql,
                    elapsed_us,
                    error.kind = crate::error::database_kind(error).as_str(),
                    "statement failed"
                ),
            }
        }
        #[cfg(not(feature = "tracing"))]
        let _ = (sql, outcome);
    }
}
