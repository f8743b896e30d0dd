//! The wishlist module.

use link_runtime::prelude::*;

/// A wishlist.
#[derive(Debug, Linkable)]
#[linkable(module = "wishlist")]
pub struct Wishlist {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}
