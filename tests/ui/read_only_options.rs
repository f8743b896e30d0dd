// Options a read-only link cannot take: it has no table, writes nothing, and its
// cardinality is its field's.
use link_runtime::prelude::*;

#[derive(Linkable)]
#[linkable(module = "product")]
pub struct Product {
    pub id: String,
}

#[derive(Linkable)]
#[linkable(module = "review")]
pub struct Review {
    pub id: String,
    pub product_id: Option<String>,
}

mod list {
    use super::*;
    define_link!(Review(field = product_id, is_list), Product, read_only);
}

mod cascade {
    use super::*;
    define_link!(Review(field = product_id), Product(delete_cascade), read_only);
}

mod table {
    use super::*;
    define_link!(Review(field = product_id), Product, read_only, database(table = "reviews_products"));
}

mod columns {
    use super::*;
    define_link!(Review(field = product_id), Product, read_only, columns { note: Option<String> });
}

mod no_field {
    use super::*;
    define_link!(Review, Product, read_only);
}

mod field_without_read_only {
    use super::*;
    define_link!(Review(field = product_id), Product);
}

mod field_on_the_right {
    use super::*;
    define_link!(Product, Review(field = product_id), read_only);
}

fn main() {}
