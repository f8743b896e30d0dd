// Two variants stored as one text could not be told apart when read back: by their names
// in snake_case, or by a `rename`. A text is never empty, and `rename` is the attribute's
// one option.
use link_runtime::ColumnEnum;

#[derive(Debug, Clone, PartialEq, Eq, ColumnEnum)]
pub enum Status {
    OnHold,
    #[column(rename = "on_hold")]
    Paused,
    ONHold,
    #[column(rename = "")]
    Empty,
    #[column(renamed = "x")]
    Misspelt,
}

fn main() {}
