// `src/links/catalog.rs` and `src/links/catalog/` would be one module: `ui.rs` puts both
// there.
link_runtime::links!();

fn main() {}
