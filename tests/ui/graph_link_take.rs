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

// A product holds one brand at most: there is no page to take from.
#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
pub struct OneBrand {
    #[graph(link, take = 1)]
    pub brand: Option<BrandName>,
}

// `take` pages linked records, and a plain field holds none.
#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
pub struct PlainTake {
    #[graph(take = 3)]
    pub title: String,
}

// A page of a list: fine.
#[derive(GraphSelect, Deserialize)]
#[graph(entity = Brand)]
pub struct BrandShelf {
    #[graph(link, take = 3)]
    pub products: Vec<ProductTitle>,
}

fn main() {}
