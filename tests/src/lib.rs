//! Fixture modules and links shared by the integration tests.
//!
//! The crate denies warnings and forbids unsafe code, so building it proves that the code
//! `define_link!`, `links!()` and `#[derive(Linkable)]` generate is clean under both.

#![deny(warnings)]
#![forbid(unsafe_code)]

pub mod fixtures;
pub mod modules;

link_runtime::links!();
