//! Crates outside the workspace use link-runtime exactly as the README shows: with the
//! blocking API on SQLite, where a link file added to `src/links/` or a new subfolder of it
//! is picked up by the next `cargo build` with no other file touched, and with the async driver on PostgreSQL, as a
//! tokio service would.
//!
//! The crates are `tests/quickstart` and `tests/quickstart-async`, each copied to a
//! temporary folder with its path dependency made absolute, and built by a real `cargo`
//! (into `target/outside-crate`, so that the dependencies are compiled once across runs).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the workspace")
        .to_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if entry.file_name() == "target" || entry.file_name() == "Cargo.lock" {
            continue;
        }
        if source.is_dir() {
            copy_dir(&source, &target);
        } else {
            fs::copy(&source, &target).unwrap();
        }
    }
}

/// A copy of the quick start crate, removed when dropped.
struct Crate {
    dir: PathBuf,
}

impl Crate {
    /// A copy of `tests/{name}`.
    fn copy(name: &str) -> Self {
        let workspace = workspace();
        let dir = std::env::temp_dir().join(format!("link-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        copy_dir(&workspace.join("tests").join(name), &dir);

        let manifest = dir.join("Cargo.toml");
        let runtime = workspace.join("link-runtime");
        let text = fs::read_to_string(&manifest).unwrap().replace(
            r#"path = "../../link-runtime""#,
            &format!("path = {:?}", runtime.to_str().unwrap()),
        );
        assert!(text.contains(runtime.to_str().unwrap()), "path rewritten");
        fs::write(&manifest, text).unwrap();
        // The workspace's lock file pins the same versions, which are already downloaded.
        fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
        Crate { dir }
    }

    fn cargo(&self, args: &[&str]) -> Output {
        // `--offline` right after the subcommand: what follows a `--` is the program's.
        let (command, rest) = args.split_first().expect("a cargo subcommand");
        Command::new(env!("CARGO"))
            .arg(command)
            .arg("--offline")
            .args(rest)
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", workspace().join("target/outside-crate"))
            .env("CARGO_TERM_COLOR", "never")
            // `cargo test` sets OUT_DIR for this crate, which has a build script.
            .env_remove("OUT_DIR")
            .output()
            .expect("cargo runs")
    }

    fn run(&self, args: &[&str]) -> String {
        let mut run = vec!["run", "--quiet", "--"];
        run.extend(args);
        let output = self.cargo(&run);
        assert!(
            output.status.success(),
            "quick start failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }
}

impl Drop for Crate {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn the_quick_start_builds_runs_and_picks_up_new_link_files() {
    let quickstart = Crate::copy("quickstart");

    let first = quickstart.run(&[]);
    assert_eq!(
        first,
        "created link table product_product_brand_brand\n\
         product prod_1 is linked to brand brand_1 (Acme)\n"
    );

    // A second link, in a new file; nothing else changes.
    fs::write(
        quickstart.dir.join("src/links/brand_product_featured.rs"),
        "use crate::modules::{brand::Brand, product::Product};\n\
         use link_runtime::prelude::*;\n\n\
         define_link!(Brand, Product(is_list), database(table = \"brand_product_featured\"));\n",
    )
    .unwrap();
    let second = quickstart.run(&[]);
    assert_eq!(
        second,
        "created link table brand_product_featured\n\
         created link table product_product_brand_brand\n\
         product prod_1 is linked to brand brand_1 (Acme)\n"
    );

    // The second link moved into a new subfolder, as `links::gifts::brand_product_gift`,
    // with a table of its own: nothing else changes.
    fs::remove_file(quickstart.dir.join("src/links/brand_product_featured.rs")).unwrap();
    fs::create_dir_all(quickstart.dir.join("src/links/gifts")).unwrap();
    fs::write(
        quickstart.dir.join("src/links/gifts/brand_product_gift.rs"),
        "use crate::modules::{brand::Brand, product::Product};\n\
         use link_runtime::prelude::*;\n\n\
         define_link!(Brand, Product(is_list), database(table = \"brand_product_gift\"));\n",
    )
    .unwrap();
    let third = quickstart.run(&[]);
    assert_eq!(
        third,
        "created link table brand_product_gift\n\
         created link table product_product_brand_brand\n\
         product prod_1 is linked to brand brand_1 (Acme)\n"
    );

    // Without the build script cargo would not notice new files, and links!() says so.
    fs::remove_file(quickstart.dir.join("build.rs")).unwrap();
    let output = quickstart.cargo(&["build", "--quiet"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "builds without a build script");
    assert!(
        stderr.contains("`links!()` needs a build script")
            && stderr.contains(r#"println!("cargo:rerun-if-changed=src/links");"#),
        "{stderr}"
    );
}

#[test]
fn the_async_quick_start_runs_on_postgres_with_await() {
    let Some(database) = link_test_support::postgres_database("the_async_quick_start") else {
        return;
    };
    let quickstart = Crate::copy("quickstart-async");
    let output = quickstart.run(&[database.url()]);
    assert_eq!(
        output,
        "created link table product_product_brand_brand\n\
         create: Inserted\n\
         second brand: link `product_product_brand_brand` allows one brand per product, and \
         product `prod_1` is already linked to brand `brand_1` (refused: brand `brand_2`)\n\
         [{\"brand\":{\"id\":\"brand_1\",\"name\":\"Acme\"},\"id\":\"prod_1\",\"title\":\"Kettle\"}]\n\
         dismissed: true\n"
    );
}
