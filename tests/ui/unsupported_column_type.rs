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

define_link! {
    Product,
    Brand,
    columns { tags: std::collections::HashMap<String, i32>, count: u32 = 0, maybe: Option<Option<i32>> },
}

fn main() {}
