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

// A count is an integer.
#[derive(GraphSelect, Deserialize)]
#[graph(entity = Brand)]
pub struct BrandCounts {
    pub name: String,
    #[graph(count = Product)]
    pub as_text: String,
    #[graph(count = Product)]
    pub as_float: f64,
    #[graph(count = Product)]
    pub fine: u32,
}

fn main() {}
