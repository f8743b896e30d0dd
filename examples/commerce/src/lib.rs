//! A runnable commerce app: four modules that know nothing about each other, and three
//! links between their models.
//!
//! - [`modules`]: `product`, `brand`, `customer` and `review`. Each owns one model and its
//!   table, and none names another.
//! - [`links`]: one file per link in `src/links/`, picked up by `link_runtime::links!()`: a
//!   product's brand, a review's product (a read-only link: the review's own `product_id`
//!   column, no pivot table) and a review's author (seen from a review under the alias
//!   `author`).
//! - [`listing`]: products with their brand and review count, read by a typed graph query
//!   from the modules' tables and the link's pivot table, and joined in Rust, never in SQL.
//! - [`launch`]: a unit of work across modules, undone step by step when a later step
//!   fails (link steps with compensation).
//! - [`run`]: the whole demo, which `cargo run -p commerce` prints.
//!
//! The demo runs on [`Databases`]: everything in one database, or each module (see
//! [`MODULES`]) in a database of its own and the link tables in another. Each module works
//! on its own database's connection only, and the result is the same either way.
//!
//! ```
//! use diesel::{Connection, SqliteConnection};
//! use link_runtime::databases::{Database, Databases};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Everything in one in-memory database.
//! let one = Database::from_connection(SqliteConnection::establish(":memory:")?);
//! let together = Databases::new(&one);
//! let summary = commerce::run(&together, &mut std::io::sink())?;
//! assert_eq!(summary.products.len(), 3);
//!
//! // The demo uses fixed ids, so it can run again on the same database.
//! let again = commerce::run(&together, &mut std::io::sink())?;
//! assert_eq!(again.records_inserted, 0);
//! assert_eq!(again.products, summary.products);
//!
//! // Each module in a database of its own; the link tables in `links`, the default.
//! let links = Database::from_connection(SqliteConnection::establish(":memory:")?);
//! let mut apart = Databases::new(&links);
//! for module in commerce::MODULES {
//!     let own = Database::from_connection(SqliteConnection::establish(":memory:")?);
//!     apart = apart.module(module, &own);
//! }
//! let split = commerce::run(&apart, &mut std::io::sink())?;
//! assert_eq!(split.records_inserted, 10);
//! assert_eq!(split.products, summary.products);
//! # Ok(())
//! # }
//! ```

#![deny(warnings)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
pub mod launch;
pub mod listing;
pub mod modules;
mod seed;

link_runtime::links!();

use std::io::Write;

use diesel::SqliteConnection;
use link_runtime::databases::Databases;
use link_runtime::{Id, Linkable};

pub use error::RunError;
use links::product_brand;
use listing::ProductListing;
use modules::{
    brand, brand::Brand, customer, customer::Customer, product, product::Product, review,
    review::Review,
};

/// The demo's modules, by the name each model gives in `#[linkable(module = "..")]`: what
/// [`Databases::module`] places in a database.
pub const MODULES: [&str; 4] = [
    Product::MODULE,
    Brand::MODULE,
    Customer::MODULE,
    Review::MODULE,
];

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
    /// Whether the misplaced review was on the wrong product, and was taken off it.
    pub taken_off: bool,
    /// The steps undone when the storefront refused the product being launched, last
    /// first: its brand link, then the product itself.
    pub launch_undone: Vec<String>,
    /// Every product with its brand and review count, as the demo printed them.
    pub products: Vec<ProductListing>,
}

/// Runs the demo on `databases`, writing what it does to `out`.
///
/// 1. Each module creates its table in its database, then [`Databases::migrate`] creates
///    the link tables in the database that holds them.
/// 2. Two brands, three products, two customers and three reviews (each holding the id of
///    the product it reviews) are inserted, and linked: products to brands, reviews to
///    their authors.
/// 3. Giving a product a second brand is refused with a typed cardinality error.
/// 4. A review posted on the wrong product is taken off it by the review module: its
///    `product_id`, which the read-only link reads, becomes none.
/// 5. Launching a product (insert it, link it to a brand, publish it) fails at the
///    storefront, and the first two steps are undone: see [`launch`].
/// 6. Each product is listed with its brand and its number of reviews.
///
/// Each module's functions run on a connection to that module's database
/// ([`Databases::for_module`]), each link's on one to the database of its pivot table
/// ([`Databases::for_link`]), and the listing reads across them. The output does not depend
/// on where the tables are: everything in one database, or each module in its own.
///
/// The records have fixed ids and every step is idempotent, so the demo can run again on
/// the same databases and ends in the same state: records that exist are left alone
/// (the misplaced review stays off its product), and creating a live link changes nothing.
///
/// # Errors
///
/// [`RunError`] when a database cannot be reached or refuses a statement, when writing to
/// `out` fails, or when the link of step 3 is not refused.
pub fn run(
    databases: &Databases<SqliteConnection>,
    out: &mut impl Write,
) -> Result<Summary, RunError> {
    let link_tables_created = migrate(databases, out)?;
    let records_inserted = seed::insert_records(databases, out)?;
    seed::link_records(databases, out)?;
    let refused = refuse_second_brand(databases, out)?;
    let taken_off = take_off_misplaced_review(databases, out)?;
    let launch_undone = launch_unpriced_product(databases, out)?;
    let products = listing::products(databases)?;
    listing::write(&products, out)?;
    Ok(Summary {
        link_tables_created,
        records_inserted,
        refused,
        taken_off,
        launch_undone,
        products,
    })
}

/// Each module creates its own table in its own database; then the runtime syncs the link
/// tables where they are (safe actions only: an unsafe one, such as dropping the table of a
/// removed link, is reported).
fn migrate(
    databases: &Databases<SqliteConnection>,
    out: &mut impl Write,
) -> Result<Vec<String>, RunError> {
    product::migrate(&mut *databases.for_module(Product::MODULE)?)?;
    brand::migrate(&mut *databases.for_module(Brand::MODULE)?)?;
    customer::migrate(&mut *databases.for_module(Customer::MODULE)?)?;
    review::migrate(&mut *databases.for_module(Review::MODULE)?)?;
    writeln!(out, "migrated modules: {}", MODULES.join(", "))?;

    // One entry per database that holds links: here, one in either layout.
    let synced = databases.migrate()?;
    let created: Vec<String> = synced
        .iter()
        .flat_map(|(_, applied)| applied.tables_created())
        .map(str::to_owned)
        .collect();
    for table in &created {
        writeln!(out, "created link table {table}")?;
    }
    for (_, applied) in &synced {
        for skipped in &applied.skipped {
            writeln!(
                out,
                "link sync skipped: {} [{}]",
                skipped.action, skipped.reason
            )?;
        }
    }
    if synced.iter().all(|(_, applied)| applied.applied.is_empty()) {
        writeln!(out, "link tables in sync: nothing to migrate")?;
    }
    Ok(created)
}

/// Launches `prod_4` with brand `brand_2`; the storefront refuses it for want of a price,
/// and the product and its link are undone. Returns the steps undone.
fn launch_unpriced_product(
    databases: &Databases<SqliteConnection>,
    out: &mut impl Write,
) -> Result<Vec<String>, RunError> {
    let lamp = Product {
        id: "prod_4".to_owned(),
        title: "Desk Lamp".to_owned(),
    };
    let refuse = |product: &Product| {
        Err(launch::LaunchError::Storefront {
            product: product.id.clone(),
            reason: "it has no price".to_owned(),
        })
    };
    let failed = match launch::launch(databases, &lamp, &Brand::id("brand_2"), refuse) {
        Err(failed) => failed,
        Ok(()) => {
            return Err(RunError::NotRefused {
                link: product_brand::Link::TABLE,
                left: lamp.id,
                right: "brand_2".to_owned(),
            })
        }
    };
    writeln!(out, "launch of {} failed: {}", lamp.id, failed.error)?;
    for step in &failed.compensation.undone {
        writeln!(out, "  undone: {step}")?;
    }
    if !failed.compensation.is_complete() {
        return Err(RunError::NotUndone(failed.to_string()));
    }
    Ok(failed.compensation.undone)
}

/// Tries to give `prod_1`, which has a brand, a second one: without `is_list` on the brand
/// side, a product has one brand, and the runtime says so with a typed error.
fn refuse_second_brand(
    databases: &Databases<SqliteConnection>,
    out: &mut impl Write,
) -> Result<link_runtime::Error, RunError> {
    let (product, brand) = (Product::id("prod_1"), Brand::id("brand_2"));
    let mut conn = databases.for_link::<product_brand::Link>()?;
    match product_brand::Link::create(&mut *conn, product.clone(), brand.clone()) {
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

/// Takes `rev_3`, posted on the wrong product, off it: the review module clears the
/// review's own `product_id`, the column the read-only link `review_product` reads (there
/// is no pivot row to dismiss). Each module reads its own record.
fn take_off_misplaced_review(
    databases: &Databases<SqliteConnection>,
    out: &mut impl Write,
) -> Result<bool, RunError> {
    let (review_id, product_id): (Id<Review>, Id<Product>) =
        (Review::id("rev_3"), Product::id("prod_1"));
    let mut reviews = databases.for_module(Review::MODULE)?;
    let taken_off = review::take_off(&mut reviews, &review_id, product_id.as_str())?;
    let body = review::get(&mut reviews, &review_id)?.map_or_else(String::new, |r| r.body);
    drop(reviews);
    let title = product::get(&mut *databases.for_module(Product::MODULE)?, &product_id)?
        .map_or_else(String::new, |p| p.title);
    if taken_off {
        writeln!(
            out,
            "took review {review_id} ({body:?}) off product {product_id} ({title})"
        )?;
    } else {
        writeln!(
            out,
            "review {review_id} is not on product {product_id}: nothing to take off"
        )?;
    }
    Ok(taken_off)
}
