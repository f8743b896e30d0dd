// A `#[graph(link)]` field whose records do not derive `GraphSelect`.
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

mod product_brand {
    use super::*;
    define_link!(Product(is_list), Brand);
}

#[derive(Deserialize)]
pub struct BrandName {
    pub name: String,
}

#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
pub struct ProductCard {
    pub title: String,
    #[graph(link)]
    pub brand: Option<BrandName>,
}

fn main() {}
