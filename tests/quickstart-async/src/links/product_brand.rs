use crate::modules::{Brand, Product};
use link_runtime::prelude::*;

define_link!(Product(is_list), Brand);
