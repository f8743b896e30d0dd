//! What the runtime tells `tracing`, through both drivers: a span per operation
//! (`link_runtime.create`, `link_runtime.graph`, ..) with its fields, the error kind of a
//! failed one, and one `DEBUG` event per statement (target `link_runtime::sql`) whose SQL
//! is the statement's text and which holds no bound value.
//!
//! The statements are checked against diesel's own instrumentation of the connection the
//! driver ran them on: the events must be those statements, one each, in order, less the
//! transaction statements diesel's transaction manager sends itself.

use std::sync::{Arc, Mutex};

use diesel::connection::{InstrumentationEvent, SimpleConnection};
use link_runtime::graph::{Condition, Graph};
use link_runtime::{Created, Error};
use link_test_support::via::{self, Via};
use link_tests::fixtures;
use link_tests::links::product_brand;
use link_tests::modules::{brand::Brand, product::Product};

use collect::{Collector, Event, Span};

/// A `tracing` subscriber of the test's own that keeps every span and event it is given.
mod collect {
    use std::collections::BTreeMap;
    use std::fmt;
    use std::sync::{Arc, Mutex, PoisonError};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::subscriber::Interest;
    use tracing::{Level, Metadata, Subscriber};

    /// A span as it ended up: its name, its fields, and its parent (an index).
    #[derive(Debug, Clone)]
    pub struct Span {
        pub name: &'static str,
        pub fields: BTreeMap<String, String>,
        pub parent: Option<usize>,
    }

    /// An event: its target, level and fields, and the span it happened in (an index).
    #[derive(Debug, Clone)]
    pub struct Event {
        pub target: String,
        pub level: Level,
        pub fields: BTreeMap<String, String>,
        pub span: Option<usize>,
    }

    #[derive(Default)]
    struct State {
        spans: Vec<Span>,
        events: Vec<Event>,
        entered: Vec<usize>,
    }

    /// Collects everything at `max_level` and above.
    #[derive(Clone)]
    pub struct Collector {
        state: Arc<Mutex<State>>,
        max_level: Level,
    }

    impl Collector {
        pub fn new(max_level: Level) -> Self {
            Collector {
                state: Arc::default(),
                max_level,
            }
        }

        fn state(&self) -> std::sync::MutexGuard<'_, State> {
            self.state.lock().unwrap_or_else(PoisonError::into_inner)
        }

        pub fn spans(&self) -> Vec<Span> {
            self.state().spans.clone()
        }

        pub fn events(&self) -> Vec<Event> {
            self.state().events.clone()
        }

        /// The names of `index` and of the spans it is in, innermost first.
        pub fn ancestry(&self, mut index: Option<usize>) -> Vec<&'static str> {
            let state = self.state();
            let mut names = Vec::new();
            while let Some(at) = index {
                names.push(state.spans[at].name);
                index = state.spans[at].parent;
            }
            names
        }
    }

    struct Fields<'a>(&'a mut BTreeMap<String, String>);

    impl Visit for Fields<'_> {
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0.insert(field.name().to_owned(), value.to_owned());
        }

        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            self.0.insert(field.name().to_owned(), format!("{value:?}"));
        }
    }

    impl Subscriber for Collector {
        fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
            // Other tests' collectors run at the same time: ask each time.
            Interest::sometimes()
        }

        fn enabled(&self, metadata: &Metadata<'_>) -> bool {
            *metadata.level() <= self.max_level
        }

        fn new_span(&self, attributes: &Attributes<'_>) -> Id {
            let mut state = self.state();
            let parent = match attributes.parent() {
                Some(parent) => Some(parent.into_u64() as usize - 1),
                None if attributes.is_contextual() => state.entered.last().copied(),
                None => None,
            };
            let mut fields = BTreeMap::new();
            attributes.record(&mut Fields(&mut fields));
            state.spans.push(Span {
                name: attributes.metadata().name(),
                fields,
                parent,
            });
            Id::from_u64(state.spans.len() as u64)
        }

        fn record(&self, span: &Id, values: &Record<'_>) {
            let mut state = self.state();
            let span = &mut state.spans[span.into_u64() as usize - 1];
            values.record(&mut Fields(&mut span.fields));
        }

        fn record_follows_from(&self, _: &Id, _: &Id) {}

        fn event(&self, event: &tracing::Event<'_>) {
            let mut state = self.state();
            let span = match event.parent() {
                Some(parent) => Some(parent.into_u64() as usize - 1),
                None if event.is_contextual() => state.entered.last().copied(),
                None => None,
            };
            let mut fields = BTreeMap::new();
            event.record(&mut Fields(&mut fields));
            state.events.push(Event {
                target: event.metadata().target().to_owned(),
                level: *event.metadata().level(),
                fields,
                span,
            });
        }

        fn enter(&self, span: &Id) {
            self.state().entered.push(span.into_u64() as usize - 1);
        }

        fn exit(&self, span: &Id) {
            let mut state = self.state();
            let index = span.into_u64() as usize - 1;
            if let Some(at) = state.entered.iter().rposition(|&entered| entered == index) {
                state.entered.remove(at);
            }
        }
    }
}

/// The ids of the test's records: if one of them reached an event, a bound value did.
const SECRET: &str = "SECRET";

/// The statements diesel ran on the test's connections (the blocking one, and the mirror
/// of the async rows), as their text, with `$n` placeholders written `?`; and whether a
/// secret id was among the values bound to them.
#[derive(Clone, Default)]
struct Statements(Arc<Mutex<Vec<(String, bool)>>>);

impl Statements {
    fn record(conn: &mut impl diesel::Connection) -> Self {
        let statements = Statements::default();
        let sink = statements.clone();
        link_test_support::instrument(conn, move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { query, .. } = event {
                let text = query.to_string();
                let (sql, binds) = text.split_once(" -- binds: ").unwrap_or((&text, ""));
                let transaction = ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"]
                    .iter()
                    .any(|verb| sql.trim_start().starts_with(verb));
                if !transaction {
                    sink.0
                        .lock()
                        .unwrap()
                        .push((question_marks(sql), binds.contains(SECRET)));
                }
            }
        });
        statements
    }

    fn take(&self) -> Vec<(String, bool)> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// `sql` with PostgreSQL's `$1`, `$2`, .. written `?`, as SQLite's are.
fn question_marks(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// The statement events among `events`.
fn statement_events(events: &[Event]) -> Vec<&Event> {
    events
        .iter()
        .filter(|event| event.target == "link_runtime::sql")
        .collect()
}

/// Checks that the statement events are `statements`, one each and in order, that each
/// carries its rows (or its error) and time, and that nothing collected holds a secret id
/// while the statements did bind one.
fn check_statements(collector: &Collector, statements: &[(String, bool)]) {
    let events = collector.events();
    let events = statement_events(&events);
    let texts: Vec<String> = events
        .iter()
        .map(|event| question_marks(&event.fields["sql"]))
        .collect();
    let expected: Vec<&String> = statements.iter().map(|(sql, _)| sql).collect();
    assert_eq!(texts.iter().collect::<Vec<_>>(), expected);
    for event in &events {
        assert_eq!(event.level, tracing::Level::DEBUG);
        assert!(event.fields.contains_key("elapsed_us"), "{event:?}");
        // A batch (the settings of a graph query's transaction) counts no rows.
        let batch = event.fields["sql"].starts_with("SET LOCAL ");
        assert!(
            batch || event.fields.contains_key("rows") || event.fields.contains_key("error.kind"),
            "{event:?}"
        );
    }
    assert!(
        statements.iter().any(|(_, secret)| *secret),
        "the statements bound a secret id: the check below means something"
    );
    assert_no_secret(collector);
}

fn assert_no_secret(collector: &Collector) {
    for event in collector.events() {
        for (field, value) in &event.fields {
            assert!(!value.contains(SECRET), "event field {field} = {value}");
        }
    }
    for span in collector.spans() {
        for (field, value) in &span.fields {
            assert!(
                !value.contains(SECRET),
                "{} field {field} = {value}",
                span.name
            );
        }
    }
}

/// The one span named `name`.
fn span<'a>(spans: &'a [Span], name: &str) -> &'a Span {
    let found: Vec<&Span> = spans.iter().filter(|span| span.name == name).collect();
    assert_eq!(found.len(), 1, "one span {name} in {spans:#?}");
    found[0]
}

/// Records the spans and events of `f`, on this thread, at `DEBUG` and above.
fn traced<T>(f: impl FnOnce() -> T) -> (Collector, T) {
    let collector = Collector::new(tracing::Level::DEBUG);
    let outcome = with_collector(&collector, f);
    (collector, outcome)
}

/// Installs, once per process and before any event is reached, a global subscriber that
/// wants nothing but says so each time it is asked (`Interest::sometimes`). Without one, a
/// callsite first reached on a thread with no subscriber while no other exists can be
/// remembered as wanted by none, and a test's own subscriber, set on its thread a moment
/// later, would never be asked about it.
fn quiet_global_subscriber() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        tracing::subscriber::set_global_default(Collector::new(tracing::Level::ERROR))
            .expect("no other global subscriber in this test binary");
    });
}

/// Runs `f` with `collector` as this thread's subscriber, one test at a time: `tracing`
/// keeps which subscribers exist, and what each callsite is enabled for, in process-wide
/// state that subscribers coming and going on other threads change while it is read.
fn with_collector<T>(collector: &Collector, f: impl FnOnce() -> T) -> T {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    tracing::subscriber::with_default(collector.clone(), || {
        // A callsite first reached on another thread while no subscriber wanted it is
        // remembered as wanted by none: ask again, now that this one exists.
        tracing::callsite::rebuild_interest_cache();
        f()
    })
}

link_test_support::backend_tests! {
    drivers;

    fn a_create_is_one_span_with_an_event_per_statement(conn) {
        quiet_global_subscriber();
        via::migrate(conn).unwrap();
        let statements = Statements::record(conn);
        let (collector, created) = traced(|| {
            Via::<product_brand::Link>::create(
                conn,
                Product::id("prod_SECRET"),
                Brand::id("brand_SECRET"),
            )
        });
        assert_eq!(created.unwrap(), Created::Inserted);

        let spans = collector.spans();
        let create = span(&spans, "link_runtime.create");
        assert_eq!(create.fields["link"], product_brand::Link::TABLE);
        assert_eq!(create.fields["created"], "inserted");
        assert!(!create.fields.contains_key("error.kind"));
        let statements = statements.take();
        assert_eq!(statements.len(), 1, "a new pair is one statement: {statements:?}");
        check_statements(&collector, &statements);
        for event in statement_events(&collector.events()) {
            assert_eq!(collector.ancestry(event.span)[0], "link_runtime.create");
            assert_eq!(event.fields["rows"], "1");
        }
    }

    fn a_refused_create_records_its_error_kind(conn) {
        quiet_global_subscriber();
        via::migrate(conn).unwrap();
        link_runtime::create(conn, Product::id("prod_SECRET"), Brand::id("brand_1")).unwrap();
        let statements = Statements::record(conn);
        let (collector, refused) = traced(|| {
            Via::<product_brand::Link>::create(
                conn,
                Product::id("prod_SECRET"),
                Brand::id("brand_SECRET"),
            )
        });
        assert!(matches!(refused, Err(Error::Cardinality { .. })), "{refused:?}");

        let spans = collector.spans();
        let create = span(&spans, "link_runtime.create");
        assert_eq!(create.fields["error.kind"], "conflict");
        assert!(!create.fields.contains_key("created"));
        check_statements(&collector, &statements.take());
        // The upsert the unique index refused is the statement that failed.
        let events = collector.events();
        let failed: Vec<&Event> = statement_events(&events)
            .into_iter()
            .filter(|event| event.fields.contains_key("error.kind"))
            .collect();
        assert_eq!(failed.len(), 1, "{events:#?}");
        assert_eq!(failed[0].fields["error.kind"], "conflict");
        assert!(failed[0].fields["sql"].contains("ON CONFLICT"), "{failed:?}");
    }

    fn a_graph_query_is_one_span_with_its_entity_and_rows(conn) {
        quiet_global_subscriber();
        fixtures::catalog(conn);
        conn.batch_execute("INSERT INTO products VALUES ('prod_SECRET', 'Kettle SECRET')")
            .unwrap();
        link_runtime::create(conn, Product::id("prod_SECRET"), Brand::id("brand_1")).unwrap();
        let statements = Statements::record(conn);
        let (collector, found) = traced(|| {
            via::graph(
                conn,
                Graph::entity("product")
                    .fields(["id", "brand.name"])
                    .filter("id", Condition::eq("prod_SECRET")),
            )
        });
        let found = found.unwrap();
        assert_eq!(
            found.data,
            [serde_json::json!({ "id": "prod_SECRET", "brand": { "name": "Acme" } })]
        );

        let spans = collector.spans();
        let graph = span(&spans, "link_runtime.graph");
        assert_eq!(graph.fields["entity"], "product");
        assert_eq!(graph.fields["rows"], "1");
        check_statements(&collector, &statements.take());
        for event in statement_events(&collector.events()) {
            assert_eq!(collector.ancestry(event.span)[0], "link_runtime.graph");
        }
    }

    fn a_sync_is_a_migrate_span_around_a_plan_and_an_apply(conn) {
        quiet_global_subscriber();
        let statements = Statements::record(conn);
        let (collector, applied) = traced(|| via::migrate(conn));
        let applied = applied.unwrap();

        let spans = collector.spans();
        let migrate = span(&spans, "link_runtime.migrate");
        assert!(migrate.parent.is_none());
        let plan = span(&spans, "link_runtime.plan");
        let apply = span(&spans, "link_runtime.apply");
        for child in [plan, apply] {
            assert_eq!(child.parent.map(|at| spans[at].name), Some("link_runtime.migrate"));
        }
        assert_eq!(plan.fields["actions"], applied.applied.len().to_string());
        assert_eq!(apply.fields["applied"], applied.applied.len().to_string());
        // Every statement of the sync, DDL batches included, is an event.
        let statements = statements.take();
        let events = collector.events();
        let texts: Vec<String> = statement_events(&events)
            .iter()
            .map(|event| question_marks(&event.fields["sql"]))
            .collect();
        let expected: Vec<String> = statements.into_iter().map(|(sql, _)| sql).collect();
        assert_eq!(texts, expected);
    }

    fn a_subscriber_without_debug_gets_the_spans_and_no_statement_event(conn) {
        quiet_global_subscriber();
        via::migrate(conn).unwrap();
        let collector = Collector::new(tracing::Level::INFO);
        let created = with_collector(&collector, || {
            Via::<product_brand::Link>::create(conn, Product::id("prod_1"), Brand::id("brand_1"))
        });
        assert_eq!(created.unwrap(), Created::Inserted);
        assert!(statement_events(&collector.events()).is_empty());
        let spans = collector.spans();
        assert_eq!(span(&spans, "link_runtime.create").fields["created"], "inserted");
    }
}
