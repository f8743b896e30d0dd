// `#[derive(Linkable)]` on an enum, a tuple struct and a unit struct.
use link_runtime::prelude::*;

#[derive(Linkable)]
#[linkable(module = "product")]
pub enum Product {
    Physical { id: String },
    Digital { id: String },
}

#[derive(Linkable)]
#[linkable(module = "brand")]
pub struct Brand(pub String);

#[derive(Linkable)]
#[linkable(module = "tag")]
pub struct Tag;

fn main() {}
