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

mod product_brand {
    use super::*;
    define_link!(Product(is_list), Brand);
}

#[derive(GraphSelect, Deserialize)]
#[graph(entity = Brand)]
pub struct BrandName {
    pub name: String,
}

// No entity.
#[derive(GraphSelect, Deserialize)]
pub struct NoEntity {
    pub title: String,
}

// A link field that is not an `Option` or a `Vec`.
#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
pub struct BareLink {
    pub title: String,
    #[graph(link)]
    pub brand: BrandName,
}

// A key that does not exist.
#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
pub struct Misspelled {
    #[graph(lnk)]
    pub id: String,
}

// Serde attributes that change the keys serde reads.
#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
#[serde(rename_all = "camelCase")]
pub struct Renamed {
    #[serde(rename = "name")]
    pub title: String,
    #[serde(flatten)]
    pub brand: BrandName,
}

// Renaming the output only is fine: no error here.
#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
#[serde(rename_all(serialize = "camelCase"))]
pub struct RenamedOutput {
    #[serde(rename(serialize = "name"), alias = "label", default)]
    pub title: String,
}

// Not a struct with named fields.
#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
pub struct Tuple(pub String);

fn main() {}
