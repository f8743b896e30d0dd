//! A `tracing` subscriber that wants everything the runtime emits, spans and `DEBUG`
//! statement events alike, and only counts it (feature `tracing`): with it, a benchmark
//! measures what emitting costs the runtime (timing each statement, building each span
//! and event, handing the fields over), apart from what a real subscriber then does with
//! them (formatting, writing, exporting).

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Counts spans, events and the fields handed to it.
#[derive(Debug, Default)]
pub struct Counting {
    next_span: AtomicU64,
    events: AtomicUsize,
    fields: AtomicUsize,
}

impl Counting {
    /// How many spans it was given.
    pub fn spans(&self) -> u64 {
        self.next_span.load(Ordering::Relaxed)
    }

    /// How many events it was given.
    pub fn events(&self) -> usize {
        self.events.load(Ordering::Relaxed)
    }
}

/// Takes each field's value, as a subscriber must to do anything with it.
struct Fields<'a>(&'a AtomicUsize);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, _: &Field, value: &dyn fmt::Debug) {
        std::hint::black_box(value);
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

impl Subscriber for Counting {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        span.record(&mut Fields(&self.fields));
        Id::from_u64(self.next_span.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, values: &Record<'_>) {
        values.record(&mut Fields(&self.fields));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        event.record(&mut Fields(&self.fields));
        self.events.fetch_add(1, Ordering::Relaxed);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
