//! A supplier carries many brands, a brand has one supplier: reached by a cascade from
//! products, so its rows show a cascade's own links being deleted in turn.

use crate::modules::{brand::Brand, supplier::Supplier};
use link_runtime::prelude::*;

define_link!(Supplier, Brand(is_list));
