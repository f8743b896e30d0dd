//! The storefront's view of the catalog: each product with its brand and review count.
//!
//! Each module answers for its own table and each link for its pivot table (a read-only
//! link, a review's product, for the column of the review that holds it); a typed graph
//! query reads them, each statement in the database of its table, and joins them in Rust,
//! never in SQL, as it must when modules live in databases of their own.

use std::io::{self, Write};

use diesel::SqliteConnection;
use link_runtime::databases::Databases;
use link_runtime::graph::Query;
use link_runtime::prelude::*;
use serde::Deserialize;

use crate::modules::brand::Brand;
use crate::modules::product::Product;
use crate::modules::review::Review;

/// A product with its brand and its number of reviews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductListing {
    /// The product, from the product module.
    pub product: Product,
    /// Its brand, from the brand module, if a live link names one that exists.
    pub brand: Option<Brand>,
    /// How many reviews of the review module are about it (hold its id).
    pub reviews: usize,
}

/// What the listing reads of a product: the compiler checks each field against `Product`,
/// and each link field against the links defined in `src/links/`.
#[derive(Deserialize, GraphSelect)]
#[graph(entity = Product)]
struct ListedProduct {
    id: String,
    title: String,
    #[graph(link)]
    brand: Option<ListedBrand>,
    /// How many reviews hold its id: counted, not read.
    #[graph(count = Review)]
    reviews: usize,
}

#[derive(Deserialize, GraphSelect)]
#[graph(entity = Brand)]
struct ListedBrand {
    id: String,
    name: String,
}

/// Every product, ordered by id, with its brand and review count, read across `databases`.
///
/// A few statements, whatever the number of products: on one database one (the products
/// with their brand joined and their reviews counted); with a database per module four
/// (the products, the brand link's pivot table, the brands, and the reviews counted by
/// product, each in its own database). No review is read: they are counted. Dismissed links (`deleted_at` set) are left out, and so are links
/// to records that do not exist. The order is by a field of the product itself,
/// which any layout allows (a linked record's field would need it in the product's
/// database).
///
/// # Errors
///
/// When a database cannot be reached or SQLite refuses a query.
pub fn products(
    databases: &Databases<SqliteConnection>,
) -> link_runtime::Result<Vec<ProductListing>> {
    let listed =
        Query::across(databases).graph(ListedProduct::graph().order(|product| product.id.asc()))?;
    Ok(listed
        .data
        .into_iter()
        .map(|listed| ProductListing {
            product: Product {
                id: listed.id,
                title: listed.title,
            },
            brand: listed.brand.map(|brand| Brand {
                id: brand.id,
                name: brand.name,
            }),
            reviews: listed.reviews,
        })
        .collect())
}

/// Writes one line per product: id, title, brand and review count.
///
/// # Errors
///
/// When writing to `out` fails.
pub fn write(products: &[ProductListing], out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "products:")?;
    for ProductListing {
        product,
        brand,
        reviews,
    } in products
    {
        let brand = brand
            .as_ref()
            .map_or("no brand", |brand| brand.name.as_str());
        let noun = if *reviews == 1 { "review" } else { "reviews" };
        writeln!(
            out,
            "  {:<8} {:<16} brand: {brand:<14} {reviews} {noun}",
            product.id, product.title
        )?;
    }
    Ok(())
}
