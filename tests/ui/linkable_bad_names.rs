use link_runtime::prelude::*;

#[derive(Linkable)]
#[linkable(module = "Catalog", model = "type", table = "product-table", primary_key = "sku")]
pub struct Product {
    pub id: String,
}

#[derive(Linkable)]
#[linkable(module = "catalog")]
pub struct Wrapper<T> {
    pub id: String,
    pub inner: T,
}

fn main() {}
