// Sides written other than as a model's type with its options in parentheses.
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

mod generic {
    use super::*;
    define_link!(Vec<Product>, Brand);
}

mod brackets {
    use super::*;
    define_link!(Product[is_list], Brand);
}

mod reference {
    use super::*;
    define_link!(&Product, Brand);
}

mod no_comma {
    use super::*;
    define_link!(Product Brand);
}

mod no_right_side {
    use super::*;
    define_link!(Product,);
}

mod path_cut_short {
    use super::*;
    define_link!(Product::, Brand);
}

mod option_without_value {
    use super::*;
    define_link!(Product(is_list =), Brand);
}

fn main() {}
