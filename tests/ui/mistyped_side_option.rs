// Side options with a value that is not a `bool`, written as a call, or written as a literal.
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

define_link!(
    Product(is_list = 1, delete_cascade(true)),
    Brand("is_list", delete_cascade = "yes"),
);

fn main() {}
