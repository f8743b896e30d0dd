use crate::modules::{brand::Brand, product::Product};
use link_runtime::prelude::*;

define_link!(Product, Brand);
