//! The code `#[derive(Linkable)]` generates.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::attr::{LinkableModel, ModelField};

pub fn expand(model: &LinkableModel) -> TokenStream {
    let ident = &model.ident;
    let module = &model.module;
    let name = &model.model;
    let table = &model.table;
    let primary_key = &model.primary_key;
    let field_names = model.fields.iter().map(|f| &f.name);
    let entity_fields = model.fields.iter().map(entity_field);
    let id_doc = format!("The typed id of a `{ident}`: `{ident}::id(\"...\")`.");
    // `define_link!` cannot see the attribute of a type it is given, so it asks this macro,
    // which shares the type's name in the macro namespace: `use path::Product;` imports
    // both, and `Product! { callback { .. } }` calls back with the names.
    let names_macro = format_ident!("__link_runtime_linkable_{}", ident);
    let fields = fields_struct(model);
    let fields_ident = fields_ident(model);
    let field_values = model.fields.iter().map(|field| {
        let (field_ident, name) = (&field.ident, &field.name);
        quote!(#field_ident: ::link_runtime::graph::Field::new(#name))
    });

    quote! {
        impl ::link_runtime::Linkable for #ident {
            const FIELDS: &'static [&'static str] = &[#(#field_names),*];
            const ENTITY: &'static ::link_runtime::graph::EntitySchema =
                &::link_runtime::graph::EntitySchema {
                    module: #module,
                    model: #name,
                    table: #table,
                    primary_key: #primary_key,
                    fields: &[#(#entity_fields),*],
                };

            type Fields = #fields_ident;

            fn fields() -> #fields_ident {
                #fields_ident {
                    #(#field_values),*
                }
            }
        }

        #fields

        impl #ident {
            #[doc = #id_doc]
            #[allow(dead_code)]
            pub fn id(value: impl ::core::convert::Into<::std::string::String>) -> ::link_runtime::Id<Self> {
                ::link_runtime::Id::new(value)
            }
        }

        ::link_runtime::__private::inventory::submit! {
            ::link_runtime::__private::EntityRegistration::new(
                <#ident as ::link_runtime::Linkable>::ENTITY
            )
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

/// `{Model}Fields`.
fn fields_ident(model: &LinkableModel) -> syn::Ident {
    format_ident!("{}Fields", model.ident)
}

fn entity_field(field: &ModelField) -> TokenStream {
    let (name, column, nullable) = (&field.name, &field.column, field.nullable);
    let kind = match field.kind {
        Some(kind) => {
            let kind = kind.type_name();
            quote!(::core::option::Option::Some(::link_runtime::ColumnKind::#kind))
        }
        None => quote!(::core::option::Option::None),
    };
    quote! {
        ::link_runtime::graph::EntityField {
            name: #name,
            column: #column,
            kind: #kind,
            nullable: #nullable,
        }
    }
}

/// The struct of typed field paths that typed graph queries hand to their filter and order
/// closures: one `Field<Model, T>` per field, with the field's name and visibility.
fn fields_struct(model: &LinkableModel) -> TokenStream {
    let ident = &model.ident;
    let vis = &model.vis;
    let fields_ident = fields_ident(model);
    let doc = format!(
        "Typed paths to the fields of [`{ident}`], for the filters and the order of typed \
         graph queries: `<{ident} as Linkable>::fields()`."
    );
    let declarations = model.fields.iter().map(|field| {
        let (field_vis, field_ident, ty) = (&field.vis, &field.ident, &field.ty);
        let doc = format!("The field `{}` of [`{ident}`].", field.name);
        quote! {
            #[doc = #doc]
            #field_vis #field_ident: ::link_runtime::graph::Field<#ident, #ty>
        }
    });
    quote! {
        #[doc = #doc]
        #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug)]
        #[allow(dead_code)]
        #vis struct #fields_ident {
            #(#declarations),*
        }
    }
}
