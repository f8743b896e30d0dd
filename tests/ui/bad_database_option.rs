// `database(..)` without its `table`, or with the key misspelled, repeated, not a string, or without a value.
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

mod empty {
    use super::*;
    define_link!(Product, Brand, database());
}

mod misspelled {
    use super::*;
    define_link!(Product, Brand, database(tabel = "product_brand"));
}

mod repeated {
    use super::*;
    define_link!(Product, Brand, database(table = "product_brand", table = "brand_product"));
}

mod not_a_string {
    use super::*;
    define_link!(Product, Brand, database(table = 1));
}

mod no_value {
    use super::*;
    define_link!(Product, Brand, database(table));
}

fn main() {}
