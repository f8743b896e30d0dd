//! A runnable commerce app: four modules that know nothing about each other, and three
//! links between their models.
//!
//! - [`modules`]: `product`, `brand`, `customer` and `review`. Each owns one model and its
//!   table, and none names another.
//! - [`links`]: one file per link in `src/links/`, picked up by `link_runtime::links!()`: a
//!   product's brand, a review's product and a review's author.
//! - [`listing`]: products with their brand and review count, read by a typed graph query
//!   from the modules' tables and the links' pivot tables, and joined in Rust, never in SQL.
//! - [`run`]: the whole demo, which `cargo run -p commerce` prints.
//!
//! ```
//! use diesel::{Connection, SqliteConnection};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut conn = SqliteConnection::establish(":memory:")?;
//! let summary = commerce::run(&mut conn, &mut std::io::sink())?;
//! assert_eq!(summary.products.len(), 3);
//!
//! // The demo uses fixed ids, so it can run again on the same database.
//! let again = commerce::run(&mut conn, &mut std::io::sink())?;
//! assert_eq!(again.records_inserted, 0);
//! assert_eq!(again.products, summary.products);
//! # Ok(())
//! # }
//! ```

#![deny(warnings)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
pub mod listing;
pub mod modules;
mod seed;

link_runtime::links!();

use std::io::Write;

use diesel::SqliteConnection;
use link_runtime::Id;

pub use error::RunError;
use links::{product_brand, review_product};
use listing::ProductListing;
use modules::{brand, brand::Brand, customer, product, product::Product, review, review::Review};

/// What a [`run`] did and found.
#[derive(Debug)]
#[non_exhaustive]
pub struct Summary {
    /// The link tables this run created: all of them on a new database, none on a re-run.
    pub link_tables_created: Vec<String>,
    /// The module records this run inserted: none on a re-run, which finds them.
    pub records_inserted: usize,
    /// Why the runtime refused to give a product a second brand: a
    /// [`link_runtime::Error::Cardinality`].
    pub refused: link_runtime::Error,
    /// Whether dismissing the misplaced review's link found a live link to dismiss.
    pub dismissed: bool,
    /// Every product with its brand and review count, as the demo printed them.
    pub products: Vec<ProductListing>,
}

/// Runs the demo on `conn`, writing what it does to `out`.
///
/// 1. Each module creates its table, then `link_runtime::migrate` creates the link tables.
/// 2. Two brands, three products, two customers and three reviews are inserted, and linked:
///    products to brands, reviews to products and to their authors.
/// 3. Giving a product a second brand is refused with a typed cardinality error.
/// 4. A review posted on the wrong product has its link dismissed.
/// 5. Each product is listed with its brand and its number of reviews.
///
/// The records have fixed ids and every step is idempotent, so the demo can run again on
/// the same database and ends in the same state: records that exist are left alone,
/// creating a live link changes nothing, and the dismissed link is revived by step 2 and
/// dismissed again by step 4.
///
/// # Errors
///
/// [`RunError`] when a table refuses a statement, when writing to `out` fails, or when the
/// link of step 3 is not refused.
pub fn run(conn: &mut SqliteConnection, out: &mut impl Write) -> Result<Summary, RunError> {
    let link_tables_created = migrate(conn, out)?;
    let records_inserted = seed::insert_records(conn, out)?;
    seed::link_records(conn, out)?;
    let refused = refuse_second_brand(conn, out)?;
    let dismissed = dismiss_misplaced_review(conn, out)?;
    let products = listing::products(conn)?;
    listing::write(&products, out)?;
    Ok(Summary {
        link_tables_created,
        records_inserted,
        refused,
        dismissed,
        products,
    })
}

/// Each module creates its own table; then the runtime syncs the link tables (safe actions
/// only: an unsafe one, such as dropping the table of a removed link, is reported).
fn migrate(conn: &mut SqliteConnection, out: &mut impl Write) -> Result<Vec<String>, RunError> {
    product::migrate(conn)?;
    brand::migrate(conn)?;
    customer::migrate(conn)?;
    review::migrate(conn)?;
    writeln!(out, "migrated modules: product, brand, customer, review")?;

    let synced = link_runtime::migrate(conn)?;
    let created: Vec<String> = synced.tables_created().map(str::to_owned).collect();
    for table in &created {
        writeln!(out, "created link table {table}")?;
    }
    for skipped in &synced.skipped {
        writeln!(
            out,
            "link sync skipped: {} [{}]",
            skipped.action, skipped.reason
        )?;
    }
    if synced.applied.is_empty() {
        writeln!(out, "link tables in sync: nothing to migrate")?;
    }
    Ok(created)
}

/// Tries to give `prod_1`, which has a brand, a second one: without `is_list` on the brand
/// side, a product has one brand, and the runtime says so with a typed error.
fn refuse_second_brand(
    conn: &mut SqliteConnection,
    out: &mut impl Write,
) -> Result<link_runtime::Error, RunError> {
    let (product, brand) = (Product::id("prod_1"), Brand::id("brand_2"));
    match product_brand::Link::create(conn, product.clone(), brand.clone()) {
        Err(refused @ link_runtime::Error::Cardinality { .. }) => {
            writeln!(out, "refused product {product} -> brand {brand}: {refused}")?;
            Ok(refused)
        }
        Err(other) => Err(other.into()),
        Ok(_) => Err(RunError::NotRefused {
            link: product_brand::Link::TABLE,
            left: product.into_inner(),
            right: brand.into_inner(),
        }),
    }
}

/// Dismisses the link of `rev_3`, posted on the wrong product: a soft delete of the pivot
/// row, which leaves the review and the product as they are.
fn dismiss_misplaced_review(
    conn: &mut SqliteConnection,
    out: &mut impl Write,
) -> Result<bool, RunError> {
    let (review_id, product_id): (Id<Review>, Id<Product>) =
        (Review::id("rev_3"), Product::id("prod_1"));
    let dismissed = review_product::Link::dismiss(conn, review_id.clone(), product_id.clone())?;
    let body = review::get(conn, &review_id)?.map_or_else(String::new, |r| r.body);
    let title = product::get(conn, &product_id)?.map_or_else(String::new, |p| p.title);
    if dismissed {
        writeln!(
            out,
            "dismissed review {review_id} ({body:?}) -> product {product_id} ({title})"
        )?;
    } else {
        writeln!(
            out,
            "review {review_id} -> product {product_id}: no live link to dismiss"
        )?;
    }
    Ok(dismissed)
}
