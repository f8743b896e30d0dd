use link_runtime::prelude::*;
use serde::Deserialize;

#[derive(Linkable)]
#[linkable(module = "product")]
pub struct Product {
    pub id: String,
}

#[derive(Linkable)]
#[linkable(module = "brand")]
pub struct Brand {
    pub id: String,
}

#[derive(Linkable)]
#[linkable(module = "customer")]
pub struct Customer {
    pub id: String,
    pub name: String,
}

mod product_brand {
    use super::*;
    define_link!(Product, Brand);
}

#[derive(GraphSelect, Deserialize)]
#[graph(entity = Customer)]
pub struct CustomerName {
    pub name: String,
}

// Products are linked to brands, not to customers.
#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
pub struct ProductCard {
    pub id: String,
    #[graph(link)]
    pub customer: Option<CustomerName>,
}

fn main() {}
