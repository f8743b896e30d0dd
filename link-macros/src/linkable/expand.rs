//! The code `#[derive(Linkable)]` generates.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::attr::LinkableModel;

pub fn expand(model: &LinkableModel) -> TokenStream {
    let ident = &model.ident;
    let module = &model.module;
    let name = &model.model;
    let table = &model.table;
    let primary_key = &model.primary_key;
    let fields = &model.fields;
    let id_doc = format!("The typed id of a `{ident}`: `{ident}::id(\"...\")`.");
    // `define_link!` cannot see the attribute of a type it is given, so it asks this macro,
    // which shares the type's name in the macro namespace: `use path::Product;` imports
    // both, and `Product! { callback { .. } }` calls back with the names.
    let names_macro = format_ident!("__link_runtime_linkable_{}", ident);

    quote! {
        impl ::link_runtime::Linkable for #ident {
            const MODULE: &'static str = #module;
            const MODEL: &'static str = #name;
            const TABLE: &'static str = #table;
            const PRIMARY_KEY: &'static str = #primary_key;
            const FIELDS: &'static [&'static str] = &[#(#fields),*];
        }

        impl #ident {
            #[doc = #id_doc]
            #[allow(dead_code)]
            pub fn id(value: impl ::core::convert::Into<::std::string::String>) -> ::link_runtime::Id<Self> {
                ::link_runtime::Id::new(value)
            }
        }

        #[doc(hidden)]
        #[allow(unused_macros)]
        macro_rules! #names_macro {
            ($callback:path { $($args:tt)* }) => {
                $callback! { [module = #module, model = #name] $($args)* }
            };
        }

        #[doc(hidden)]
        #[allow(unused_imports)]
        pub(crate) use #names_macro as #ident;
    }
}
