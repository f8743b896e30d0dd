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

// From a product the link's field is `brand`; from a brand it is `products`.
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
    pub maker: Option<BrandName>,
}

#[derive(GraphSelect, Deserialize)]
#[graph(entity = Brand)]
pub struct BrandCard {
    pub name: String,
    #[graph(link)]
    pub product: Vec<ProductTitle>,
}

fn main() {}
