//! Four modules that know nothing about each other.
//!
//! Each module owns one model and its table: it creates the table (`migrate`), writes its
//! records (`create`) and reads them (`get`, `list`), on a connection to the database it is
//! placed in, which may hold its table alone. None of them names another module; what
//! associates their records lives in `src/links/`.

pub mod brand;
pub mod customer;
pub mod product;
pub mod review;
