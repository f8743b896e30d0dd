use link_runtime::prelude::*;

#[derive(Linkable)]
#[linkable(module = "Catalog", primary_key = "sku", modul = "x")]
pub struct Product {
    pub id: String,
}

#[derive(Linkable)]
#[linkable(module = "brand")]
pub struct Brand {
    pub code: String,
}

fn main() {}
