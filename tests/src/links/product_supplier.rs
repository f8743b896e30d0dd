//! A supplier has many products, a product one supplier; deleting a product's links
//! cascades into its supplier, unless another product still holds it.

use crate::modules::{product::Product, supplier::Supplier};
use link_runtime::prelude::*;

define_link!(Product(is_list), Supplier(delete_cascade));
