// A file of `src/links/` named in camel case: `ui.rs` puts `ProductBrand.rs` there.
link_runtime::links!();

fn main() {}
