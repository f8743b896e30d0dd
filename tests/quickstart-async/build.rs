// Cargo does not watch a folder for new files by itself: this makes it notice a new link.
fn main() {
    println!("cargo:rerun-if-changed=src/links");
}
