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
    define_link!();
}

mod one_side {
    use super::*;
    define_link!(Product);
}

mod medusa_style {
    use super::*;
    define_link!({ linkable: Product, is_list: true }, Brand);
}

fn main() {}
