// A read-only link's field must hold the other model's id: `String`, `Id<Product>`, or an
// `Option` of either.
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
#[linkable(module = "review")]
pub struct Review {
    pub id: String,
    pub rating: i32,
    pub brand_id: Id<Brand>,
}

mod review_rating {
    use super::*;
    define_link!(Review(field = rating), Product, read_only);
}

mod review_brand_as_product {
    use super::*;
    define_link!(Review(field = brand_id), Product, read_only);
}

fn main() {}
