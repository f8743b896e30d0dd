use link_runtime::prelude::*;
use serde::Deserialize;

#[derive(Linkable)]
#[linkable(module = "product")]
pub struct Product {
    pub id: String,
    pub title: String,
}

#[derive(Linkable)]
#[linkable(module = "brand")]
pub struct Brand {
    pub id: String,
    pub name: String,
}

// A brand has many products; a product has one brand.
mod product_brand {
    use super::*;
    define_link!(Product(is_list), Brand);
}

#[derive(GraphSelect, Deserialize)]
#[graph(entity = Brand)]
pub struct BrandName {
    pub name: String,
}

#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
pub struct ProductTitle {
    pub title: String,
    #[graph(link)]
    pub brand: Option<BrandName>,
}

fn main() {
    // A product holds one brand at most: there is no page of brands inside it.
    let _ = ProductTitle::graph().nested::<Brand, _>(|page| page.take(1));
    // Nor inside each product of a brand's page.
    let _ = BrandName::graph().nested::<Product, _>(|products| {
        products.take(2).nested::<Brand, _>(|brands| brands.skip(1))
    });
}
