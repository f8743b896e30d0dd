// Aliases that cannot name a graph field, and one that hides a field of the model it is
// seen from.
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
    pub name: String,
}

mod camel_case {
    use super::*;
    define_link!(Product(is_list), Brand(alias = "Maker"));
}

mod keyword {
    use super::*;
    define_link!(Product(alias = "type"), Brand);
}

mod not_a_string {
    use super::*;
    define_link!(Product(is_list), Brand(alias = maker));
}

// From a brand, its products would be `name`: a brand's own field.
mod hides_a_field {
    use super::*;
    define_link!(Product(is_list, alias = "name"), Brand, database(table = "product_names"));
}

fn main() {}
