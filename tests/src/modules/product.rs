//! The product module.

use link_runtime::prelude::*;

/// A product.
#[derive(Debug, Linkable)]
#[linkable(module = "product")]
pub struct Product {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}
