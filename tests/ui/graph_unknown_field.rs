use link_runtime::prelude::*;
use serde::Deserialize;

#[derive(Linkable)]
#[linkable(module = "product")]
pub struct Product {
    pub id: String,
    pub title: String,
}

#[derive(GraphSelect, Deserialize)]
#[graph(entity = Product)]
pub struct ProductCard {
    pub id: String,
    pub titel: String,
}

fn main() {}
