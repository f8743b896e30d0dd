use link_runtime::prelude::*;
use serde::Deserialize;

#[derive(Linkable)]
#[linkable(module = "product")]
pub struct Product {
    pub id: String,
    pub title: String,
}

#[derive(Linkable)]
#[linkable(module = "brand")]
pub struct Brand {
    pub id: String,
    pub name: String,
}

// A brand has many products; a product has one brand.
mod product_brand {
    use super::*;
    define_link!(Product(is_list), Brand);
}

#[derive(GraphSelect, Deserialize)]
#[graph(entity = Brand)]
pub struct BrandName {
    pub name: String,
}

#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
pub struct ProductTitle {
    pub title: String,
}

#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
pub struct ProductCard {
    pub title: String,
    #[graph(link)]
    pub brand: Vec<BrandName>,
}

#[derive(GraphSelect, Deserialize)]
#[graph(entity = Brand)]
pub struct BrandCard {
    pub name: String,
    #[graph(link)]
    pub products: Option<ProductTitle>,
}

fn main() {}
