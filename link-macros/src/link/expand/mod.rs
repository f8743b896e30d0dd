//! Code generation from a validated [`Link`]: the diesel schema (`schema.rs`), the SQL
//! (`sql.rs`) and the typed API (`api.rs`); and, for a `define_link!` with an error, the
//! names user code refers to (`placeholder.rs`).
//!
//! Everything goes into a hidden module re-exported with a glob. Its name is the message a
//! user sees when a file declares two links: "the name `one_define_link_per_file` is
//! defined multiple times".
//!
//! Paths are absolute (`::link_runtime::..`, `::core::..`, `::std::..`) so that the user's
//! own names cannot change what generated code means; helpers that need no name sit in
//! `const _: () = { .. };`.

mod api;
pub mod placeholder;
mod schema;
mod sql;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::model::{Link, ResolvedNames};

/// The generated items of a resolved link.
pub fn expand(link: &Link) -> TokenStream {
    let names = link
        .resolved
        .as_ref()
        .expect("expand runs on resolved links only");
    let context = Context::new(link, names);
    // A read-only link has no table, so no diesel schema.
    let schema = match link.read_only {
        None => schema::expand(&context),
        Some(_) => TokenStream::new(),
    };
    let api = api::expand(&context);
    in_hidden_module(context.span, quote!(#schema #api))
}

/// `items` in the module whose name tells two links in one file apart, re-exported.
fn in_hidden_module(span: Span, items: TokenStream) -> TokenStream {
    quote_spanned! {span=>
        #[doc(hidden)]
        #[allow(dead_code)]
        pub mod one_define_link_per_file {
            #[allow(unused_imports)]
            use super::*;

            #items
        }

        #[doc(inline)]
        pub use self::one_define_link_per_file::*;
    }
}

/// Compile-time checks that both sides are linkable, pointing at the side that is not.
pub fn linkable_checks(left: &syn::Path, right: &syn::Path) -> TokenStream {
    let checks = [left, right].map(|path| {
        quote_spanned! {path.span()=>
            let _ = is_linkable::<#path>;
        }
    });
    quote! {
        const _: () = {
            fn is_linkable<T: ::link_runtime::Linkable>() {}
            #(#checks)*
        };
    }
}

/// What the generators share.
pub struct Context<'a> {
    pub link: &'a Link,
    pub names: &'a ResolvedNames,
    /// The side paths as seen from inside the hidden module.
    pub left: syn::Path,
    pub right: syn::Path,
    pub table: syn::Ident,
    /// Where generated items point in messages: the link's first model, as the user wrote
    /// it (with the hygiene of the macro's call site).
    pub span: Span,
    pub left_column: syn::Ident,
    pub right_column: syn::Ident,
    /// The hidden type that carries what is particular to this link: `ProductToBrand`.
    /// `Link` is the runtime's link type over it, and messages name it so.
    pub marker: syn::Ident,
}

impl<'a> Context<'a> {
    fn new(link: &'a Link, names: &'a ResolvedNames) -> Self {
        // Names were validated as identifiers before they got here.
        let span = Span::call_site().located_at(link.left.path.span());
        let ident = |name: &str| syn::Ident::new(name, span);
        Context {
            span,
            link,
            names,
            left: from_child_module(&link.left.path),
            right: from_child_module(&link.right.path),
            table: ident(&names.table),
            left_column: ident(&names.left_column()),
            right_column: ident(&names.right_column()),
            marker: marker(&link.left.path, &link.right.path, span),
        }
    }
}

/// The name of the type that carries what is particular to a link: `ProductToBrand`.
fn marker(left: &syn::Path, right: &syn::Path, span: Span) -> syn::Ident {
    // The last segment of a side's path, without `r#`: `Product` for `crate::x::Product`.
    let name = |path: &syn::Path| {
        path.segments
            .last()
            .map(|segment| segment.ident.unraw().to_string())
            .unwrap_or_default()
    };
    syn::Ident::new(&format!("{}To{}", name(left), name(right)), span)
}

/// Rewrites a path written in the link's module so that it resolves in the hidden child
/// module: `self::x` becomes `super::x` and `super::x` becomes `super::super::x`. Other
/// paths resolve through the child's `use super::*`.
fn from_child_module(path: &syn::Path) -> syn::Path {
    let mut path = path.clone();
    if path.leading_colon.is_some() {
        return path;
    }
    let first = path.segments.first().map(|s| s.ident.to_string());
    match first.as_deref() {
        Some("self") => {
            let segment = path.segments.first_mut().expect("path has a first segment");
            segment.ident = syn::Ident::new("super", segment.ident.span());
        }
        Some("super") => {
            let span = path.segments[0].ident.span();
            path.segments
                .insert(0, syn::Ident::new("super", span).into());
        }
        _ => {}
    }
    path
}

/// What a link's expansion and its placeholder both declare: `Link`, the runtime's link type
/// over the marker `marker`; the marker's `Definition`, with the schema and the bodies of
/// `row_parts` and `row_is_live` the caller gives; and the order check, `LinkedFrom`.
pub(crate) struct LinkItems<'a> {
    pub span: proc_macro2::Span,
    pub doc: &'a str,
    pub marker: &'a syn::Ident,
    pub left: &'a syn::Path,
    pub right: &'a syn::Path,
    pub columns_type: TokenStream,
    /// `Row`, or the runtime's `NoRow` for a read-only link.
    pub row_type: TokenStream,
    /// Whether the runtime writes the link: all but read-only links.
    pub writable: bool,
    pub schema: TokenStream,
    pub row_parts: TokenStream,
    pub row_is_live: TokenStream,
}

impl LinkItems<'_> {
    pub(crate) fn expand(self) -> TokenStream {
        let LinkItems {
            span,
            doc,
            marker,
            left,
            right,
            columns_type,
            row_type,
            writable,
            schema,
            row_parts,
            row_is_live,
        } = self;
        let writable = writable.then(|| {
            quote::quote_spanned! {span=>
                #[automatically_derived]
                impl ::link_runtime::__private::Writable for #marker {}
            }
        });
        quote::quote_spanned! {span=>
            #[doc = #doc]
            pub type Link = ::link_runtime::__private::LinkOf<#marker>;

            /// What is particular to this link; `Link` is the runtime's link type over it.
            #[doc(hidden)]
            pub enum #marker {}

            #[automatically_derived]
            impl ::link_runtime::__private::Definition for #marker {
                type Left = #left;
                type Right = #right;
                type Columns = #columns_type;
                type Row = #row_type;
                const SCHEMA: &'static ::link_runtime::LinkSchema = #schema;

                #[inline]
                fn row_parts(
                    row: &#row_type,
                ) -> (::link_runtime::Id<#left>, ::link_runtime::Id<#right>, #columns_type) {
                    #row_parts
                }

                #[inline]
                fn row_is_live(row: &#row_type) -> bool {
                    #row_is_live
                }
            }

            #writable

            #[automatically_derived]
            impl ::link_runtime::LinkedFrom<#left, Link> for #right {}
        }
    }
}
