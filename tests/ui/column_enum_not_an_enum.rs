// `ColumnEnum` is for an enum of unit variants: a struct or a union is not one.
use link_runtime::ColumnEnum;

#[derive(Debug, Clone, PartialEq, Eq, ColumnEnum)]
pub struct Status {
    pub text: String,
}

#[derive(ColumnEnum)]
pub union Bits {
    pub int: u32,
    pub float: f32,
}

fn main() {}
