// Link options that do not parse, and extra columns that do not: no name, colon, type, default or comma.
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

mod no_comma {
    use super::*;
    define_link!(
        Product,
        Brand,
        database(table = "product_brand") columns { note: Option<String> }
    );
}

mod string_for_a_name {
    use super::*;
    define_link!(Product, Brand, "database");
}

mod database_with_equals {
    use super::*;
    define_link!(Product, Brand, database = "product_brand");
}

mod database_with_braces {
    use super::*;
    define_link!(Product, Brand, database { table = "product_brand" });
}

mod columns_with_parentheses {
    use super::*;
    define_link!(Product, Brand, columns(note: Option<String>));
}

mod database_with_a_colon {
    use super::*;
    define_link!(Product, Brand, database(table: "product_brand"));
}

mod column_name_in_quotes {
    use super::*;
    define_link!(Product, Brand, columns { "note": Option<String> });
}

mod column_without_colon {
    use super::*;
    define_link!(Product, Brand, columns { note Option<String> });
}

mod column_without_type {
    use super::*;
    define_link!(Product, Brand, columns { note: = "none" });
}

mod column_default_for_a_type {
    use super::*;
    define_link!(Product, Brand, columns { note: "none" });
}

mod column_without_default {
    use super::*;
    define_link!(Product, Brand, columns { position: i32 = });
}

mod columns_without_comma {
    use super::*;
    define_link!(Product, Brand, columns { position: i32 = 0 note: Option<String> });
}

fn main() {}
