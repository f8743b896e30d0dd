//! The shop's modules. Each owns one model and its table, and none names another: the
//! links in `src/links/` join them.

pub mod brand;
pub mod customer;
pub mod product;
pub mod wishlist;

/// Creates each module's table unless the database has it: the same SQL on SQLite and
/// PostgreSQL.
pub(crate) const TABLES: &str = "
    CREATE TABLE IF NOT EXISTS product (
        id TEXT PRIMARY KEY NOT NULL,
        title TEXT NOT NULL,
        deleted_at TIMESTAMP
    );
    CREATE TABLE IF NOT EXISTS brand (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS customer (
        id TEXT PRIMARY KEY NOT NULL,
        email TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS wishlist (
        id TEXT PRIMARY KEY NOT NULL
    );
";
