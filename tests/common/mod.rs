//! What several test files share, each taking the parts it uses.

pub mod catalog;
