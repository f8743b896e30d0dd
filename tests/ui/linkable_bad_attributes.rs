use link_runtime::prelude::*;

#[derive(Linkable)]
#[linkable(module = "catalog", modul = "x")]
pub struct Product {
    pub id: String,
}

#[derive(Linkable)]
#[linkable(module = "brand")]
pub struct Brand {
    pub code: String,
}

fn main() {}
