//! The brand module.

use link_runtime::prelude::*;

/// A brand.
#[derive(Debug, Linkable)]
#[linkable(module = "brand")]
pub struct Brand {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}
