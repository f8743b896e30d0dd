//! The tag module.

use link_runtime::prelude::*;

/// A tag.
#[derive(Debug, Linkable)]
#[linkable(module = "tag")]
pub struct Tag {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}
