// A table name of the link's own that PostgreSQL would truncate.
use link_runtime::prelude::*;

#[derive(Linkable)]
#[linkable(module = "product")]
pub struct Product {
    pub id: String,
}

#[derive(Linkable)]
#[linkable(module = "brand")]
pub struct Brand {
    pub id: String,
}

define_link!(
    Product,
    Brand,
    database(table = "product_brand_links_of_the_catalog_that_the_storefront_shows_first"),
);

fn main() {}
