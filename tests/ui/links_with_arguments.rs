// `links!()` given the link files to read.
link_runtime::links!(product_brand);

fn main() {}
