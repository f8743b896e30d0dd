link_runtime::links!();

fn main() {}
