//! `links!()`: every `.rs` file of the crate's `src/links/` as a submodule of `links`, and
//! every subfolder as a module holding its own files' (`src/links/catalog/product_brand.rs`
//! is `links::catalog::product_brand`).
//!
//! The macro reads the folder when it expands. Cargo rebuilds a crate when a file it compiled
//! changes, but it does not notice a *new* file in a folder unless a build script asks it to
//! watch the folder; so the macro insists on a build script (whose presence sets `OUT_DIR`).

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};

use crate::names::is_sql_identifier;

const BUILD_SCRIPT: &str = "fn main() {\n    println!(\"cargo:rerun-if-changed=src/links\");\n}";

pub fn expand(input: TokenStream) -> TokenStream {
    match modules(input) {
        Ok(tokens) => tokens,
        Err(error) => error.to_compile_error(),
    }
}

fn modules(input: TokenStream) -> syn::Result<TokenStream> {
    if let Some(token) = input.into_iter().next() {
        return Err(syn::Error::new(
            token.span(),
            "`links!()` takes no arguments",
        ));
    }
    let here = Span::call_site();
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .ok_or_else(|| syn::Error::new(here, "`links!()` runs under cargo only"))?;
    if std::env::var_os("OUT_DIR").is_none() {
        return Err(syn::Error::new(
            here,
            format!(
                "`links!()` needs a build script so that cargo notices new files in \
                 `src/links/`; add `build.rs` next to `Cargo.toml`:\n\n{BUILD_SCRIPT}\n"
            ),
        ));
    }
    let dir = manifest_dir.join("src").join("links");
    let modules = folder(&dir, &[], here)?;
    Ok(quote! {
        /// The links of this crate: one module per file of `src/links/`, and one per
        /// subfolder, holding its files' modules.
        pub mod links {
            #(#modules)*
        }
    })
}

/// The modules of the link files in `dir`, `src/links/` followed by the subfolders in
/// `within`: one per `.rs` file (`mod.rs` excepted), and one per subfolder holding its own.
fn folder(dir: &Path, within: &[String], here: Span) -> syn::Result<Vec<TokenStream>> {
    let shown = |name: &str| {
        let mut path = String::from("src/links/");
        for folder in within {
            path.push_str(folder);
            path.push('/');
        }
        path.push_str(name);
        path
    };
    let entries = entries(dir).map_err(|error| {
        syn::Error::new(
            here,
            if within.is_empty() {
                format!(
                    "`links!()` reads the link files in the crate's `src/links/`, which cannot \
                     be read ({error}); create the folder with one file per link"
                )
            } else {
                format!("`{}` cannot be read ({error})", shown(""))
            },
        )
    })?;

    let mut modules = Vec::new();
    let mut names: Vec<(String, String)> = Vec::new();
    for entry in entries {
        let (stem, is_folder) = match &entry {
            Entry::File(path) => (path.file_stem(), false),
            Entry::Folder(path) => (path.file_name(), true),
        };
        let stem = stem.and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        let path = match &entry {
            Entry::File(path) | Entry::Folder(path) => path,
        };
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let described = if is_folder {
            shown(&format!("{name}/"))
        } else {
            shown(&name)
        };
        if !is_sql_identifier(&stem) {
            let what = if is_folder {
                "folders of link files in lower-case snake_case, like `catalog/`"
            } else {
                "link files in lower-case snake_case, like `product_brand.rs`"
            };
            return Err(syn::Error::new(
                here,
                format!("`{described}` cannot be a module: name {what}, not after a Rust keyword"),
            ));
        }
        if let Some((_, first)) = names.iter().find(|(name, _)| *name == stem) {
            return Err(syn::Error::new(
                here,
                format!(
                    "`{first}` and `{described}` would both be the module `links::{module}`: \
                     rename one, or move the file into the folder",
                    module = within
                        .iter()
                        .chain([&stem])
                        .map(String::as_str)
                        .collect::<Vec<_>>()
                        .join("::"),
                ),
            ));
        }
        names.push((stem.clone(), described.clone()));
        let module = format_ident!("{}", stem);
        match entry {
            Entry::File(file) => {
                let path = file.to_str().ok_or_else(|| {
                    syn::Error::new(here, format!("`{}` is not valid UTF-8", file.display()))
                })?;
                let doc = format!("The link defined in `{described}`.");
                modules.push(quote! {
                    #[doc = #doc]
                    #[path = #path]
                    pub mod #module;
                });
            }
            Entry::Folder(sub) => {
                let mut deeper = within.to_vec();
                deeper.push(stem);
                let inner = folder(&sub, &deeper, here)?;
                let doc = format!("The links defined in `{described}`.");
                modules.push(quote! {
                    #[doc = #doc]
                    pub mod #module {
                        #(#inner)*
                    }
                });
            }
        }
    }
    Ok(modules)
}

/// A link file, or a folder of them.
enum Entry {
    File(PathBuf),
    Folder(PathBuf),
}

/// The `.rs` files (`mod.rs` excepted) and the folders of `dir`, sorted by path.
fn entries(dir: &Path) -> std::io::Result<Vec<Entry>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        paths.push(entry?.path());
    }
    paths.sort();
    Ok(paths
        .into_iter()
        .filter_map(|path| {
            if path.is_dir() {
                return Some(Entry::Folder(path));
            }
            let is_rust = path.extension().is_some_and(|e| e == "rs");
            let is_mod = path.file_name().is_some_and(|n| n == "mod.rs");
            (path.is_file() && is_rust && !is_mod).then_some(Entry::File(path))
        })
        .collect())
}
