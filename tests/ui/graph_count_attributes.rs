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

// `field` names the link of a count, and goes with nothing else.
#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
pub struct NamedField {
    #[graph(field = "brand")]
    pub title: String,
}

// A field holds linked records or their count, not both.
#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
pub struct LinkAndCount {
    #[graph(link, count = Brand)]
    pub brand: Option<BrandName>,
}

fn main() {}
