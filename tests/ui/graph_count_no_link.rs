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

// Linkable, but linked to nothing.
#[derive(Linkable)]
#[linkable(module = "widget")]
pub struct Widget {
    pub id: String,
}

// No link joins brands to widgets.
#[derive(GraphSelect, Deserialize)]
#[graph(entity = Brand)]
pub struct BrandWidgets {
    pub name: String,
    #[graph(count = Widget)]
    pub widget_count: u64,
}

// A link to products, but none named `makers`.
#[derive(GraphSelect, Deserialize)]
#[graph(entity = Brand)]
pub struct BrandMakers {
    pub name: String,
    #[graph(count = Product, field = "makers")]
    pub maker_count: u64,
}

fn main() {}
