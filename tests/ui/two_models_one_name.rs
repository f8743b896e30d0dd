// Two different models with the same model name, whose id columns would be the same column.
use link_runtime::prelude::*;

mod catalog {
    use link_runtime::prelude::*;

    #[derive(Linkable)]
    #[linkable(module = "catalog")]
    pub struct Product {
        pub id: String,
    }
}

mod legacy {
    use link_runtime::prelude::*;

    #[derive(Linkable)]
    #[linkable(module = "legacy")]
    pub struct Product {
        pub id: String,
    }
}

define_link!(catalog::Product, legacy::Product);

fn main() {}
