// A `GraphSelect` struct with a mistake, used in a query: the mistake is the one error.
use diesel::Connection;
use link_runtime::graph::Query;
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
#[serde(rename_all = "camelCase")]
pub struct ProductTitle {
    pub title: String,
}

fn main() {
    let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
    let _ = Query::new(&mut conn).graph(ProductTitle::graph());
}
