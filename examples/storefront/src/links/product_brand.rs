//! A brand has many products; a product has one brand.

use crate::modules::{brand::Brand, product::Product};
use link_runtime::prelude::*;

define_link!(Product(is_list), Brand);
