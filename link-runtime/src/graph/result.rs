//! What a graph query returns.

use serde::ser::{SerializeStruct, Serializer};
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
///
/// It serializes as `{"count", "skip", "take"}`, with `"next_cursor"` (a string, or
/// `null` on the last page) when the query asked for a page size: a query without one has
/// one page, and no cursor to speak of.
///
/// ```
/// use link_runtime::graph::Metadata;
///
/// let all = Metadata { count: 3, skip: 0, take: None, next_cursor: None };
/// assert_eq!(serde_json::to_value(&all)?, serde_json::json!({ "count": 3, "skip": 0, "take": null }));
/// let last = Metadata { take: Some(5), ..all };
/// assert_eq!(
///     serde_json::to_value(&last)?,
///     serde_json::json!({ "count": 3, "skip": 0, "take": 5, "next_cursor": null })
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// How many rows match the filters, whatever the page (a cursor's included).
    pub count: u64,
    /// How many rows the page skipped.
    pub skip: u64,
    /// The page's size, if one was asked for.
    pub take: Option<u64>,
    /// Where the page ended, when rows follow it: the cursor that reads the next page
    /// ([`Graph::after`](crate::graph::Graph::after)). `None` on the last page, and for a
    /// query without a page size.
    pub next_cursor: Option<String>,
}

impl Serialize for Metadata {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let paged = self.take.is_some();
        let mut map = serializer.serialize_struct("Metadata", 3 + usize::from(paged))?;
        map.serialize_field("count", &self.count)?;
        map.serialize_field("skip", &self.skip)?;
        map.serialize_field("take", &self.take)?;
        if paged {
            map.serialize_field("next_cursor", &self.next_cursor)?;
        }
        map.end()
    }
}
