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
        position: i32 = 1 + 1,
        featured: bool = None,
        seen: Option<link_runtime::chrono::NaiveDateTime> = "2024-01-01",
        note: Option<String>,
        note: Option<String>,
    },
    database(table = "a"),
    database(table = "b"),
}

fn main() {}
