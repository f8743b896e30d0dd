// `#[graph(..)]` keys given twice, misspelled, of the wrong type, or on the wrong item.
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

#[derive(GraphSelect, Deserialize)]
#[graph(entity = Brand)]
pub struct BrandName {
    pub name: String,
}

#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product, entity = Brand)]
pub struct TwoEntities {
    pub id: String,
}

#[derive(GraphSelect, Deserialize)]
#[graph(entty = Product)]
pub struct Misspelled {
    pub id: String,
}

#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
pub struct LinkWithValue {
    pub title: String,
    #[graph(link = true)]
    pub brand: Option<BrandName>,
}

#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
pub struct LinkTwice {
    pub title: String,
    #[graph(link, link)]
    pub brand: Option<BrandName>,
}

#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
pub struct EntityOnAField {
    #[graph(entity = Product)]
    pub title: String,
}

#[derive(GraphSelect, Deserialize)]
#[graph(link)]
pub struct LinkOnTheStruct {
    pub title: String,
}

fn main() {}
