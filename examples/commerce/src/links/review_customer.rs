//! A customer writes many reviews; a review has one author.

use crate::modules::{customer::Customer, review::Review};
use link_runtime::prelude::*;

define_link!(Review(is_list), Customer);
