// Extra columns named in camel case, after a keyword, past PostgreSQL's length, or like a diesel `table!` item.
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
        Featured: bool = false,
        r#type: Option<String>,
        position_of_the_product_among_the_products_of_the_brand_on_its_page: Option<i32>,
        star: Option<bool>,
    },
}

fn main() {}
