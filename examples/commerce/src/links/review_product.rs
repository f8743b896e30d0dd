//! A product has many reviews; a review is about one product. The review holds its
//! product's id itself, in its own `product_id` column: a read-only link, with no pivot
//! table, nothing to sync and nothing the runtime writes. Graph queries follow it both
//! ways: a review's `product`, a product's `reviews`.

use crate::modules::{product::Product, review::Review};
use link_runtime::prelude::*;

define_link!(Review(field = product_id), Product, read_only);
