//! What the benchmarks share: a catalog of products and brands joined by one link, seeded at
//! any size on SQLite or PostgreSQL, and the hand-written diesel queries every figure is a
//! ratio against.
//!
//! The benchmarks themselves are in `benches/`; `cargo bench -p link-bench` runs them all
//! and prints each figure as a ratio against its baseline, measured in the same process.

#![deny(warnings)]

pub mod baseline;
pub mod catalog;
#[cfg(feature = "tracing")]
pub mod counting;
pub mod queries;
pub mod report;

link_runtime::links!();
