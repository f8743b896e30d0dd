//! What a graph query returns.

use serde::Serialize;

/// The rows of a graph query and how they relate to the whole.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphResult<T> {
    /// The rows, with exactly the fields asked for.
    pub data: Vec<T>,
    /// The count of matching rows, and the page.
    pub metadata: Metadata,
}

/// The page a graph query returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Metadata {
    /// How many rows match the filters, whatever the page.
    pub count: u64,
    /// How many rows the page skipped.
    pub skip: u64,
    /// The page's size, if one was asked for.
    pub take: Option<u64>,
}
