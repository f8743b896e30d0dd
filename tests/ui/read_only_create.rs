// A read-only link has no pivot table: none of the runtime's writes compile for it.
use diesel::{Connection, SqliteConnection};
use link_runtime::prelude::*;

#[derive(Linkable)]
#[linkable(module = "product")]
pub struct Product {
    pub id: String,
}

#[derive(Linkable)]
#[linkable(module = "review")]
pub struct Review {
    pub id: String,
    pub product_id: Option<String>,
}

mod review_product {
    use super::*;
    define_link!(Review(field = product_id), Product, read_only);
}

fn main() {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    let _ = review_product::Link::create(&mut conn, Review::id("rev_1"), Product::id("prod_1"));
    let _ = link_runtime::create(&mut conn, Review::id("rev_1"), Product::id("prod_1"));
    let _ = link_runtime::service::list::<review_product::Link, _>(&mut conn, &Default::default());
}
