// A link whose declaration has a mistake, used elsewhere: the mistake is the one error. Its
// `Link`, `Columns` and `Row` stand in for the link's, and `link_runtime::create` finds it.
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
    define_link! {
        Product,
        Brand,
        columns { featured: bool = "yes", position: i32 = 0 },
    }
}

fn main() {
    use diesel::Connection;
    let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
    let columns = product_brand::Columns { featured: true, ..Default::default() };
    let product = Product::id("prod_1");
    let brand = Brand::id("brand_1");
    let _ = product_brand::Link::create_with(&mut conn, product.clone(), brand.clone(), columns);
    let _ = product_brand::Link::dismiss(&mut conn, product.clone(), brand.clone());
    let _ = link_runtime::create(&mut conn, product, brand);
    if let Ok(rows) = product_brand::Link::list(&mut conn, &Default::default()) {
        println!("{} {}", product_brand::Link::TABLE, rows[0].product_id);
    }
}
