//! A customer writes many reviews; a review has one author: from a review, the customer is
//! its `author` (the side's alias), and from a customer, its reviews are `reviews`.

use crate::modules::{customer::Customer, review::Review};
use link_runtime::prelude::*;

define_link!(Review(is_list), Customer(alias = "author"));
