//! Many-to-many, with extra columns, a table name and an id prefix of its own.

use crate::modules::{product::Product, tag::Tag};
use link_runtime::prelude::*;

define_link! {
    Product(is_list),
    Tag(is_list),
    database(table = "product_tags", id_prefix = "ptag"),
    columns {
        featured: bool = false,
        position: i32 = 0,
        weight: f64 = 1.5,
        offset: i64 = -3,
        label: String = "new",
        note: Option<String>,
    },
}
