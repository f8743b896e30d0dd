// A subfolder of `src/links/` named in camel case: `ui.rs` puts `Catalog/product_brand.rs`
// there.
link_runtime::links!();

fn main() {}
