// A `GraphSelect` struct whose entity is not a linkable model.
use link_runtime::prelude::*;
use serde::Deserialize;

pub struct Order {
    pub id: String,
    pub total: i64,
}

#[derive(GraphSelect, Deserialize)]
#[graph(entity = Order)]
pub struct OrderTotal {
    pub total: i64,
}

fn main() {}
