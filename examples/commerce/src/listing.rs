//! The storefront's view of the catalog: each product with its brand and review count.
//!
//! Each module answers for its own table and each link for its pivot table; the join is
//! done here, in Rust, as it must be when modules live in databases of their own.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};

use diesel::prelude::*;
use link_runtime::Id;

use crate::links::{product_brand, review_product};
use crate::modules::brand::{self, Brand};
use crate::modules::product::{self, Product};
use crate::modules::review::{self, Review};

/// A product with its brand and its number of reviews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductListing {
    /// The product, from the product module.
    pub product: Product,
    /// Its brand, from the brand module, if a live link names one that exists.
    pub brand: Option<Brand>,
    /// How many reviews of the review module are linked to it, dismissed links left out.
    pub reviews: usize,
}

/// Every product, ordered by id, with its brand and review count.
///
/// Five queries, whatever the number of products: three modules' tables and two pivot
/// tables, the pivots read through the diesel tables `define_link!` generated. Dismissed
/// links (`deleted_at` set) are left out, and so are links to records that do not exist.
///
/// # Errors
///
/// When SQLite refuses a query.
pub fn products(conn: &mut SqliteConnection) -> QueryResult<Vec<ProductListing>> {
    let products = product::list(conn)?;
    let brands: HashMap<String, Brand> = brand::list(conn)?
        .into_iter()
        .map(|brand| (brand.id.clone(), brand))
        .collect();
    let reviews: HashSet<String> = review::list(conn)?
        .into_iter()
        .map(|review| review.id)
        .collect();

    let brand_of: HashMap<Id<Product>, Id<Brand>> = {
        use product_brand::product_product_brand_brand::dsl::*;
        product_product_brand_brand
            .filter(deleted_at.is_null())
            .select(product_brand::Row::as_select())
            .load(conn)?
            .into_iter()
            .map(|row| (row.product_id, row.brand_id))
            .collect()
    };
    let review_links: Vec<(Id<Review>, Id<Product>)> = {
        use review_product::review_review_product_product::dsl::*;
        review_review_product_product
            .filter(deleted_at.is_null())
            .select((review_id, product_id))
            .load(conn)?
    };
    let mut review_counts: HashMap<Id<Product>, usize> = HashMap::new();
    for (review, product) in review_links {
        if reviews.contains(review.as_str()) {
            *review_counts.entry(product).or_default() += 1;
        }
    }

    Ok(products
        .into_iter()
        .map(|product| {
            let brand = brand_of
                .get(product.id.as_str())
                .and_then(|brand| brands.get(brand.as_str()))
                .cloned();
            let reviews = review_counts.get(product.id.as_str()).copied().unwrap_or(0);
            ProductListing {
                product,
                brand,
                reviews,
            }
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
