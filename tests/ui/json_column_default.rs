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
    columns {
        meta: serde_json::Value = "{\"source\": import}",
        tags: serde_json::Value = 3,
    },
}

fn main() {}
