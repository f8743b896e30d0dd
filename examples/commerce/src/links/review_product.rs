//! A product has many reviews; a review is about one product.

use crate::modules::{product::Product, review::Review};
use link_runtime::prelude::*;

define_link!(Review(is_list), Product);
