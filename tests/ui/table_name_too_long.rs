use link_runtime::prelude::*;

#[derive(Linkable)]
#[linkable(module = "catalog_of_everything_we_sell_online_and_in_stores", model = "product_variant")]
pub struct ProductVariant {
    pub id: String,
}

#[derive(Linkable)]
#[linkable(module = "brand")]
pub struct Brand {
    pub id: String,
}

define_link!(ProductVariant, Brand);

fn main() {}
