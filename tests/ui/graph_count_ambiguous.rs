use link_runtime::prelude::*;
use serde::Deserialize;

#[derive(Linkable)]
#[linkable(module = "shop", table = "shops")]
pub struct Shop {
    pub id: String,
}

#[derive(Linkable)]
#[linkable(module = "vendor", table = "vendors")]
pub struct Vendor {
    pub id: String,
}

mod shop_vendor {
    use super::*;
    define_link!(Shop(is_list), Vendor);
}

// A second link between the same models: from a vendor, these are `supplied_shops`.
mod shop_supplier {
    use super::*;
    define_link!(Shop(is_list, alias = "supplied_shops"), Vendor(alias = "supplier"));
}

// Which of the two links is counted? The count must name it.
#[derive(GraphSelect, Deserialize)]
#[graph(entity = Vendor)]
pub struct VendorShops {
    pub id: String,
    #[graph(count = Shop)]
    pub shop_count: u64,
}

// Named, each count compiles.
#[derive(GraphSelect, Deserialize)]
#[graph(entity = Vendor)]
pub struct VendorReach {
    pub id: String,
    #[graph(count = Shop, field = "shops")]
    pub shop_count: u64,
    #[graph(count = Shop, field = "supplied_shops")]
    pub supplied_count: u64,
}

fn main() {}
