//! Every link compiled into the program, registered by `define_link!`.

use std::collections::BTreeMap;

use crate::definition::LinkSchema;
use crate::error::{Error, Result};

/// A link registered by `define_link!`. Not for use by hand.
#[doc(hidden)]
pub struct Registration {
    schema: &'static LinkSchema,
}

impl Registration {
    #[doc(hidden)]
    pub const fn new(schema: &'static LinkSchema) -> Self {
        Registration { schema }
    }
}

inventory::collect!(Registration);

/// The links compiled into this program that have a pivot table, sorted by table name:
/// those the sync creates, and the deletes, checks and placement of links go through.
/// Read-only links, which have no table, are left out: graph queries find them too.
///
/// Every `define_link!` registers its link; with `link_runtime::links!()` that is every file
/// in the crate's `src/links/`.
///
/// # Errors
///
/// [`Error::DuplicateTable`] if two links claim the same table.
///
/// ```
/// # use link_runtime::prelude::*;
/// # #[derive(Linkable)] #[linkable(module = "product")] pub struct Product { pub id: String }
/// # #[derive(Linkable)] #[linkable(module = "brand")] pub struct Brand { pub id: String }
/// # mod product_brand { use super::*; define_link!(Product, Brand); }
/// # fn main() -> Result<(), link_runtime::Error> {
/// let tables: Vec<_> = link_runtime::registered_links()?.iter().map(|link| link.table).collect();
/// assert!(tables.contains(&"product_product_brand_brand"));
/// # Ok(())
/// # }
/// ```
pub fn registered_links() -> Result<Vec<&'static LinkSchema>> {
    let mut by_table: BTreeMap<&'static str, &'static LinkSchema> = BTreeMap::new();
    for registration in inventory::iter::<Registration> {
        let schema = registration.schema;
        if schema.is_read_only() {
            continue;
        }
        if let Some(first) = by_table.insert(schema.table, schema) {
            // The same `define_link!` can be registered once only, so equal schemas are
            // two declarations that happen to agree: still two links on one table.
            return Err(Error::DuplicateTable {
                table: schema.table,
                first: first.describe(),
                second: schema.describe(),
            });
        }
    }
    Ok(by_table.into_values().collect())
}

/// The read-only links compiled into this program, which have no table
/// ([`Storage::Field`](crate::Storage::Field)), by their models' names.
pub(crate) fn read_only_links() -> Vec<&'static LinkSchema> {
    let mut links: Vec<&'static LinkSchema> = inventory::iter::<Registration>
        .into_iter()
        .map(|registration| registration.schema)
        .filter(|schema| schema.is_read_only())
        .collect();
    links.sort_by_key(|schema| {
        (
            schema.left.module(),
            schema.left.model(),
            schema.right.module(),
            schema.right.model(),
            schema.right.column,
        )
    });
    links
}
