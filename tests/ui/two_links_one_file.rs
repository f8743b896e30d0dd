use link_runtime::prelude::*;

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
}

mod links {
    use super::*;
    define_link!(Product, Brand);
    define_link!(Product, Customer);
}

fn main() {}
