//! What a module or link file needs in scope: `use link_runtime::prelude::*;`.
//!
//! The prelude holds the derives, the macros and the id type. It deliberately holds no item
//! named `Link`, `Row` or `Columns`, which `define_link!` generates in the link's module.

pub use crate::column_enum::ColumnEnum;
pub use crate::graph::GraphSelect;
pub use crate::id::Id;
pub use crate::linkable::Linkable;
pub use link_macros::{define_link, ColumnEnum, Linkable};
