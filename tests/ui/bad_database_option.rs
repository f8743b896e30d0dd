// `database(..)` with neither `table` nor `id_prefix`, a key misspelled, repeated, not a
// string or without a value, and id prefixes that are not lower-case letters and digits.
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

mod prefix_with_a_dash {
    use super::*;
    define_link!(Product, Brand, database(id_prefix = "p-m"));
}

mod prefix_upper_case_and_digit_first {
    use super::*;
    define_link!(Product, Brand, database(table = "pb", id_prefix = "9PM"));
}

mod prefix_too_long {
    use super::*;
    define_link!(Product, Brand, database(id_prefix = "productbrandlinks"));
}

mod prefix_empty {
    use super::*;
    define_link!(Product, Brand, database(id_prefix = ""));
}

fn main() {}
