//! Procedural macros of `link-runtime`. Use them through `link_runtime`, which re-exports
//! them and the items their expansions refer to.
//!
//! - `#[derive(Linkable)]` (`linkable/`): a model links can point at.
//! - `define_link!` (`link/`): parse → validate into a plain model → expand (schema, SQL,
//!   API).
//! - `links!()` (`links_dir.rs`): every file of `src/links/` as a module.
//! - `#[derive(ColumnEnum)]` (`column_enum/`): an enum stored as text in extra columns.

mod column_enum;
mod graph_select;
mod link;
mod linkable;
mod links_dir;
mod names;

use proc_macro::TokenStream;

/// Derives `link_runtime::Linkable`. Documented on the re-export in `link_runtime`.
#[proc_macro_derive(Linkable, attributes(linkable))]
pub fn derive_linkable(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    linkable::derive(&input).into()
}

/// Derives `link_runtime::ColumnEnum`. Documented on the re-export in `link_runtime`.
#[proc_macro_derive(ColumnEnum, attributes(column))]
pub fn derive_column_enum(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    column_enum::derive(&input).into()
}

/// Derives `link_runtime::graph::GraphSelect`. Documented on the re-export.
#[proc_macro_derive(GraphSelect, attributes(graph))]
pub fn derive_graph_select(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    graph_select::derive(&input).into()
}

/// Declares a link. Documented on the re-export in `link_runtime`.
#[proc_macro]
pub fn define_link(input: TokenStream) -> TokenStream {
    link::define_link(input.into()).into()
}

/// The second stage of `define_link!`, once the models' names are known.
#[doc(hidden)]
#[proc_macro]
pub fn __define_link_resolved(input: TokenStream) -> TokenStream {
    link::define_link_resolved(input.into()).into()
}

/// Every file of `src/links/` as a submodule of `links`. Documented on the re-export.
#[proc_macro]
pub fn links(input: TokenStream) -> TokenStream {
    links_dir::expand(input.into()).into()
}
