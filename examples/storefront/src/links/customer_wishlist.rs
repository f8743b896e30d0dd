//! A customer has one wishlist, and a wishlist one customer.

use crate::modules::{customer::Customer, wishlist::Wishlist};
use link_runtime::prelude::*;

define_link!(Customer, Wishlist);
