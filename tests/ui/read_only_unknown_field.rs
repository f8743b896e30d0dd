// A read-only link's field must be a field of its left model.
use link_runtime::prelude::*;

#[derive(Linkable)]
#[linkable(module = "product")]
pub struct Product {
    pub id: String,
}

#[derive(Linkable)]
#[linkable(module = "review")]
pub struct Review {
    pub id: String,
    pub product_id: Option<String>,
}

mod review_product {
    use super::*;
    define_link!(Review(field = produkt_id), Product, read_only);
}

fn main() {}
