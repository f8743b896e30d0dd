// An enum column's default is one of its enum's variants, written as a path: not its
// text, nor a call. A path that is no variant is the compiler's to refuse, where it is.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ColumnEnum)]
pub enum Status {
    Active,
    Archived,
}

mod texts {
    use super::*;
    define_link! {
        Product,
        Brand,
        columns { status: Status = "active", previous: Option<Status> = Some(Status::default()) },
    }
}

mod not_a_variant {
    use super::*;
    define_link!(Product, Brand, columns { status: Status = Status::Paused });
}

fn main() {}
