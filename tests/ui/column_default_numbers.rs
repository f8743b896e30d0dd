// Numeric column defaults with a type suffix, or out of the range of the column's type.
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
        position: i32 = 1i64,
        weight: f32 = 1.5f64,
        stock: i16 = 100000,
        rank: i32 = -2147483649,
        ratio: f32 = 1e39,
        score: f64 = 1e400,
        // A suffix that names the column's type is fine: no error here.
        offset: i64 = -3i64,
    },
}

fn main() {}
