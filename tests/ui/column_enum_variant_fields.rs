// A column enum's variants are unit variants, each stored as its text: a variant with
// fields has more than a text to store. A generic enum, and one with no variants, are
// refused too.
use link_runtime::ColumnEnum;

#[derive(Debug, Clone, PartialEq, Eq, ColumnEnum)]
pub enum Status {
    Active,
    Paused { until: String },
    Archived(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, ColumnEnum)]
pub enum Tagged<T> {
    Active,
    Other(T),
}

#[derive(Debug, Clone, PartialEq, Eq, ColumnEnum)]
pub enum Nothing {}

fn main() {}
