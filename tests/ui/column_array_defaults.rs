// An array column's default is an array of literals of its element's type.
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
        tags: Vec<String> = "none",
        sizes: Vec<i32> = [1, "2", 3_000_000_000],
        flags: Vec<bool> = [true, 1],
        names: Option<Vec<String>> = Some(["a", 'b']),
        scores: Vec<u32> = [],
    },
}

fn main() {}
