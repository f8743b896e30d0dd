//! Compile-fail tests: each misuse in `ui/` fails with the message in its `.stderr` file.
//!
//! Refresh the snapshots after a deliberate change of a message with
//! `TRYBUILD=overwrite cargo test -p link-tests --test ui`, and review them like prose.
//!
//! `links!()` reads the `src/links/` folder of the crate it expands in, here the crate trybuild
//! generates, and wants the `OUT_DIR` that a build script brings. The cases in `ui/links/` are
//! about those, so each runs on its own with the folder and environment it is about.

use std::fs;
use std::path::PathBuf;

#[test]
fn misuse_fails_to_compile_with_a_clear_message() {
    let links = generated_links_folder();
    let _ = fs::remove_dir_all(&links);

    // `cargo test` sets OUT_DIR for this crate, which has a build script, and the crate trybuild
    // generates inherits it; set here, it is set however the test runs.
    std::env::set_var("OUT_DIR", env!("OUT_DIR"));
    trybuild::TestCases::new().compile_fail("ui/*.rs");

    std::env::remove_var("OUT_DIR");
    trybuild::TestCases::new().compile_fail("ui/links/links_without_build_script.rs");
    std::env::set_var("OUT_DIR", env!("OUT_DIR"));

    fs::create_dir_all(&links).expect("the links folder is created");
    fs::write(links.join("ProductBrand.rs"), "").expect("the link file is written");
    trybuild::TestCases::new().compile_fail("ui/links/link_file_not_snake_case.rs");
    let _ = fs::remove_dir_all(&links);

    fs::create_dir_all(links.join("Catalog")).expect("the subfolder is created");
    fs::write(links.join("Catalog/product_brand.rs"), "").expect("the link file is written");
    trybuild::TestCases::new().compile_fail("ui/links/link_folder_not_snake_case.rs");
    let _ = fs::remove_dir_all(&links);

    fs::create_dir_all(links.join("catalog")).expect("the subfolder is created");
    fs::write(links.join("catalog/product_brand.rs"), "").expect("the link file is written");
    fs::write(links.join("catalog.rs"), "").expect("the link file is written");
    trybuild::TestCases::new().compile_fail("ui/links/link_file_and_folder.rs");
    let _ = fs::remove_dir_all(&links);
    let _ = fs::remove_dir(links.parent().expect("the links folder is in `src`"));
}

/// The `src/links/` folder of the crate trybuild generates: `tests/trybuild/<package>` in the
/// target directory that `cargo metadata` names, as trybuild finds it.
fn generated_links_folder() -> PathBuf {
    let output = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--no-deps", "--format-version=1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON");
    let target = metadata["target_directory"]
        .as_str()
        .expect("cargo metadata names the target directory");
    PathBuf::from(target)
        .join("tests/trybuild")
        .join(env!("CARGO_PKG_NAME"))
        .join("src/links")
}
