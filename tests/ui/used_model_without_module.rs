// A model whose derive has a mistake, linked and used elsewhere: the mistake is the one
// error. Its `Linkable` impl, its `id` and the link stand in for theirs.
use link_runtime::prelude::*;

#[derive(Linkable)]
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
    let _ = <Product as Linkable>::MODEL;
    let _ = link_runtime::create(&mut conn, Product::id("prod_1"), Brand::id("brand_1"));
    println!("{}", product_brand::Link::TABLE);
}
