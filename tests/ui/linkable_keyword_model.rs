// A struct whose name makes a Rust keyword of its model name.
use link_runtime::prelude::*;

#[derive(Linkable)]
#[linkable(module = "returns")]
pub struct Return {
    pub id: String,
}

// Named with `model`, it is fine: no error here.
mod named {
    use link_runtime::prelude::*;

    #[derive(Linkable)]
    #[linkable(module = "returns", model = "product_return")]
    pub struct Return {
        pub id: String,
    }
}

// A raw identifier names the model without its `r#`: no error here.
mod raw {
    use link_runtime::prelude::*;

    #[derive(Linkable)]
    #[linkable(module = "product")]
    pub struct Product {
        pub id: String,
    }

    #[derive(Linkable)]
    #[linkable(module = "kinds")]
    pub struct r#Kind {
        pub id: String,
    }

    define_link!(Product, r#Kind);
}

fn main() {}
