//! One-to-one: a customer has one wishlist, a wishlist one customer.

use crate::modules::{customer::Customer, wishlist::Wishlist};
use link_runtime::prelude::*;

define_link!(Customer, Wishlist(delete_cascade));
