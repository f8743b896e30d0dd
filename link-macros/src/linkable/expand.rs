//! The code `#[derive(Linkable)]` generates.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::attr::{LinkableModel, ModelField};

/// The derive's code; `valid` is false for the placeholder of a model with errors, which is
/// not registered and whose names macro says so.
pub fn expand(model: &LinkableModel, valid: bool) -> TokenStream {
    let ident = &model.ident;
    let module = &model.module;
    let name = &model.model;
    let table = &model.table;
    let primary_key = &model.primary_key;
    let field_names = model.fields.iter().map(|f| &f.name);
    let entity_fields = model.fields.iter().map(entity_field);
    let id_doc = format!("The typed id of a `{ident}`: `{ident}::id(\"...\")`.");
    let names_macro = names_macro(
        ident,
        if valid {
            Names::Known {
                module,
                model: name,
            }
        } else {
            Names::Placeholder
        },
    );
    let fields = fields_struct(model);
    let fields_ident = fields_ident(model);
    let field_values = model.fields.iter().map(|field| {
        let (field_ident, name) = (&field.ident, &field.name);
        quote!(#field_ident: ::link_runtime::graph::Field::new(#name))
    });

    let registration = valid.then(|| {
        quote! {
            const _: () = {
                ::link_runtime::__private::inventory::submit! {
                    ::link_runtime::__private::EntityRegistration::new(
                        <#ident as ::link_runtime::Linkable>::ENTITY
                    )
                }
            };
        }
    });

    quote! {
        #[automatically_derived]
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

        #registration
        #names_macro
    }
}

/// What the names macro of a model says.
pub enum Names<'a> {
    /// The model's module and name.
    Known { module: &'a str, model: &'a str },
    /// The model's derive has errors; its impl is a placeholder.
    Placeholder,
    /// The model's derive has errors, and there is no impl.
    Invalid,
}

/// The macro `define_link!` asks for a model's names: `[placeholder]` for the placeholder of
/// a model with errors, `[invalid]` where there is not even that.
///
/// `define_link!` cannot see the attribute of a type it is given, so it asks this macro,
/// which shares the type's name in the macro namespace: `use path::Product;` imports both.
/// `Product! { Brand { callback { .. } } }` calls `Brand!` with the product's names, which
/// calls `callback!` with both, in the order of the calls.
pub fn names_macro(ident: &syn::Ident, names: Names) -> TokenStream {
    let macro_name = format_ident!("__link_runtime_linkable_{}", ident);
    let names = match names {
        Names::Known { module, model } => quote!([module = #module, model = #model]),
        Names::Placeholder => quote!([placeholder]),
        Names::Invalid => quote!([invalid]),
    };
    quote! {
        #[doc(hidden)]
        #[allow(unused_macros)]
        macro_rules! #macro_name {
            ($([$($names:tt)*])* $callback:path { $($args:tt)* }) => {
                $callback! { $([$($names)*])* #names $($args)* }
            };
        }

        #[doc(hidden)]
        #[allow(unused_imports)]
        pub(crate) use #macro_name as #ident;
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
            let kind = kind.runtime_kind(&field.ty);
            quote!(::core::option::Option::Some(#kind))
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
