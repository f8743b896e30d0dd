//! The customer module.

use link_runtime::prelude::*;

/// A customer.
#[derive(Debug, Linkable)]
#[linkable(module = "customer")]
pub struct Customer {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}
