//! Modules that know nothing about each other.

pub mod brand;
pub mod customer;
pub mod product;
pub mod supplier;
pub mod tag;
pub mod wishlist;
