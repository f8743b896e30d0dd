use diesel::prelude::*;

mod modules;

// A module `links` with one submodule per file in src/links/.
link_runtime::links!();

use modules::{brand::Brand, product::Product};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| ":memory:".to_owned());
    let mut conn = SqliteConnection::establish(&path)?; // diesel's own connection
    modules::migrate(&mut conn)?; // each module creates its own tables

    let synced = link_runtime::migrate(&mut conn)?; // creates every link table that is missing
    for table in synced.tables_created() {
        println!("created link table {table}");
    }

    link_runtime::create(&mut conn, Product::id("prod_1"), Brand::id("brand_1"))?;
    assert_eq!(links::product_brand::Link::TABLE, "product_product_brand_brand");

    // Read the link through its generated diesel table, then the brand through its module.
    use links::product_brand::product_product_brand_brand::dsl::*;
    let brand_ids: Vec<String> = product_product_brand_brand
        .filter(product_id.eq("prod_1").and(deleted_at.is_null()))
        .select(brand_id)
        .load(&mut conn)?;
    for brand in modules::brand::find(&mut conn, &brand_ids)? {
        println!("product prod_1 is linked to brand {} ({})", brand.id, brand.name);
    }
    Ok(())
}
