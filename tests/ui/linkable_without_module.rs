use link_runtime::prelude::*;

#[derive(Linkable)]
#[linkable(model = "product")]
pub struct Product {
    pub id: String,
}

#[derive(Linkable)]
pub struct Brand {
    pub id: String,
}

fn main() {}
