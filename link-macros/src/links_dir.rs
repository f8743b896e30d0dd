//! `links!()`: every `.rs` file of the crate's `src/links/` as a submodule of `links`.
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
    let files = link_files(&dir).map_err(|error| {
        syn::Error::new(
            here,
            format!(
                "`links!()` reads the link files in the crate's `src/links/`, which cannot be \
                 read ({error}); create the folder with one file per link"
            ),
        )
    })?;

    let mut modules = Vec::new();
    for file in files {
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        if !is_sql_identifier(&stem) {
            let name = file.file_name().unwrap_or_default().to_string_lossy();
            return Err(syn::Error::new(
                here,
                format!(
                    "`src/links/{name}` cannot be a module: name link files in lower-case \
                     snake_case, not after a Rust keyword, like `product_brand.rs`"
                ),
            ));
        }
        let module = format_ident!("{}", stem);
        let path = file.to_str().ok_or_else(|| {
            syn::Error::new(here, format!("`{}` is not valid UTF-8", file.display()))
        })?;
        let doc = format!("The link defined in `src/links/{stem}.rs`.");
        modules.push(quote! {
            #[doc = #doc]
            #[path = #path]
            pub mod #module;
        });
    }
    Ok(quote! {
        /// The links of this crate: one module per file of `src/links/`.
        pub mod links {
            #(#modules)*
        }
    })
}

/// The `.rs` files of `dir`, sorted, `mod.rs` excepted.
fn link_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let is_rust = path.extension().is_some_and(|e| e == "rs");
        let is_mod = path.file_name().is_some_and(|n| n == "mod.rs");
        if path.is_file() && is_rust && !is_mod {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}
