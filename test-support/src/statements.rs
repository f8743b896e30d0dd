//! The statements a connection runs, recorded for tests that count them or read their text.

use std::sync::{Arc, Mutex};

use diesel::connection::{Connection, InstrumentationEvent};

/// The SQL of every statement a connection starts, in order (diesel's instrumentation; the
/// bound values left out).
///
/// ```
/// use diesel::connection::SimpleConnection;
/// use link_test_support::Statements;
///
/// let mut conn = link_test_support::sqlite();
/// let statements = Statements::record(&mut conn);
/// conn.batch_execute("SELECT 1").unwrap();
/// assert_eq!(statements.take(), ["SELECT 1"]);
/// assert!(statements.take().is_empty());
/// ```
#[derive(Clone, Default)]
pub struct Statements(Arc<Mutex<Vec<String>>>);

impl Statements {
    /// Records the statements `conn` (and the async driver's connection of the test's row,
    /// if it has one: see [`instrument`](crate::instrument)) runs from now on.
    pub fn record<C: Connection>(conn: &mut C) -> Self {
        let statements = Statements::default();
        let sink = Arc::clone(&statements.0);
        crate::instrument(conn, move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { query, .. } = event {
                // diesel shows a query as `SQL -- binds: [..]`: the SQL is what comes first.
                let shown = query.to_string();
                let sql = shown
                    .split_once(" -- binds: ")
                    .map_or(&*shown, |(sql, _)| sql);
                sink.lock()
                    .expect("no recorder panicked")
                    .push(sql.to_owned());
            }
        });
        statements
    }

    /// The statements recorded since the last call.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().expect("no recorder panicked"))
    }
}
