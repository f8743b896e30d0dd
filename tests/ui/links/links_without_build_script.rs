// `links!()` in a crate without a build script.
link_runtime::links!();

fn main() {}
