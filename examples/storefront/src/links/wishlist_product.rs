//! A wishlist holds many products, each with a quantity; a product is in many wishlists.

use crate::modules::{product::Product, wishlist::Wishlist};
use link_runtime::prelude::*;

define_link! {
    Wishlist(is_list),
    Product(is_list),
    columns { quantity: i32 = 1 },
}
