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

mod product_brand {
    use super::*;
    define_link!(Product, Brand);
}

fn main() {
    use diesel::Connection;
    let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
    let _ = product_brand::Link::create(&mut conn, Brand::id("brand_1"), Product::id("prod_1"));
}
