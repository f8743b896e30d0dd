//! Four modules that know nothing about each other.
//!
//! Each module owns one model and its table: it creates the table (`migrate`), writes its
//! records (`create`) and reads them (`get`, `list`). None of them names another module;
//! what associates their records lives in `src/links/`.

pub mod brand;
pub mod customer;
pub mod product;
pub mod review;
