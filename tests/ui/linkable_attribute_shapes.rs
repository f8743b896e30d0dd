// `#[linkable]` keys given twice, with a value of the wrong type or none, and `#[linkable = ..]`.
use link_runtime::prelude::*;

#[derive(Linkable)]
#[linkable(module = "product", module = "catalog")]
pub struct Product {
    pub id: String,
}

#[derive(Linkable)]
#[linkable(module = 1)]
pub struct Brand {
    pub id: String,
}

#[derive(Linkable)]
#[linkable(module)]
pub struct Tag {
    pub id: String,
}

#[derive(Linkable)]
#[linkable = "supplier"]
pub struct Supplier {
    pub id: String,
}

fn main() {}
