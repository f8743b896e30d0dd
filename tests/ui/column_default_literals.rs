// Column defaults that are literals of another type, or negated non-numbers.
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
        position: i32 = true,
        initial: Option<String> = 'a',
        rank: i64 = -position,
        featured: bool = -1,
    },
}

fn main() {}
