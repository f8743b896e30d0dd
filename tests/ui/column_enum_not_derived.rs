// A column of a type of the program's own is an enum deriving `ColumnEnum`: the compiler
// says so at the type of a column that is not one.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Archived,
}

define_link!(Product, Brand, columns { status: Status = Status::Active });

fn main() {}
