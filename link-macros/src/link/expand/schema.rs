//! The diesel side of a link: its `table!`, the row struct and the extra columns' struct.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use super::Context;
use crate::link::model::{Column, DefaultValue};

pub fn expand(cx: &Context) -> TokenStream {
    let span = cx.span;
    let table_macro = table_macro(cx);
    let row = row(cx);
    let columns = columns_struct(cx);
    quote_spanned! {span=>
        #table_macro
        #row
        #columns
    }
}

fn table_macro(cx: &Context) -> TokenStream {
    let span = cx.span;
    let Context {
        table,
        left_column,
        right_column,
        ..
    } = cx;
    let doc = format!(
        "The pivot table of the link from `{}` to `{}`.",
        cx.names.left.model, cx.names.right.model
    );
    // A name that does not depend on the table's: `pivot::table`, `pivot::dsl::*`.
    let pivot_alias = if cx.names.table == "pivot" {
        TokenStream::new()
    } else {
        quote_spanned! {span=>
            #[doc(inline)]
            pub use self::#table as pivot;
        }
    };
    let extra = cx.link.columns.iter().map(|column| {
        let name = &column.name;
        let ty = column.kind.sql_type();
        if column.nullable {
            quote_spanned!(span=>#name -> Nullable<#ty>,)
        } else {
            quote_spanned!(span=>#name -> #ty,)
        }
    });
    quote_spanned! {span=>
        ::link_runtime::diesel::table! {
            #[doc = #doc]
            #table (#left_column, #right_column) {
                id -> Text,
                #left_column -> Text,
                #right_column -> Text,
                #(#extra)*
                created_at -> Timestamp,
                updated_at -> Timestamp,
                deleted_at -> Nullable<Timestamp>,
            }
        }
        #pivot_alias
    }
}

fn row(cx: &Context) -> TokenStream {
    let span = cx.span;
    let Context {
        table,
        left,
        right,
        left_column,
        right_column,
        ..
    } = cx;
    let extra = cx.link.columns.iter().map(|Column { name, ty, .. }| {
        let doc = format!("The extra column `{name}`.");
        quote_spanned! {span=>
            #[doc = #doc]
            pub #name: #ty,
        }
    });
    let eq = eq_derive(cx);
    let doc = format!("A row of the pivot table `{}`.", cx.names.table);
    let left_doc = format!("The `{}` side.", cx.names.left.model);
    let right_doc = format!("The `{}` side.", cx.names.right.model);
    quote_spanned! {span=>
        #[doc = #doc]
        #[derive(
            ::core::fmt::Debug,
            ::core::clone::Clone,
            ::core::cmp::PartialEq,
            #eq
            ::link_runtime::diesel::Queryable,
            ::link_runtime::diesel::Selectable,
            ::link_runtime::diesel::QueryableByName,
        )]
        #[diesel(table_name = #table)]
        pub struct Row {
            /// The link's own id: `link_` and a ULID.
            pub id: ::std::string::String,
            #[doc = #left_doc]
            pub #left_column: ::link_runtime::Id<#left>,
            #[doc = #right_doc]
            pub #right_column: ::link_runtime::Id<#right>,
            #(#extra)*
            /// When the link was first created (UTC).
            pub created_at: ::link_runtime::chrono::NaiveDateTime,
            /// When the link was last revived or changed (UTC).
            pub updated_at: ::link_runtime::chrono::NaiveDateTime,
            /// When the link was dismissed or deleted (UTC), if it was.
            pub deleted_at: ::core::option::Option<::link_runtime::chrono::NaiveDateTime>,
        }
    }
}

fn columns_struct(cx: &Context) -> TokenStream {
    let span = cx.span;
    let columns = &cx.link.columns;
    if columns.is_empty() {
        return TokenStream::new();
    }
    let fields = columns.iter().map(|Column { name, ty, .. }| {
        let doc = format!("The extra column `{name}`.");
        quote_spanned! {span=>
            #[doc = #doc]
            pub #name: #ty,
        }
    });
    let defaults = columns.iter().map(|column| {
        let name = &column.name;
        let value = default_expr(column);
        quote_spanned!(span=>#name: #value,)
    });
    let names = columns.iter().map(|c| &c.name);
    let eq = eq_derive(cx);
    quote_spanned! {span=>
        /// The extra columns of the link, whose `Default` is the declared defaults.
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq, #eq)]
        pub struct Columns {
            #(#fields)*
        }

        impl ::core::default::Default for Columns {
            fn default() -> Self {
                Columns { #(#defaults)* }
            }
        }

        impl ::link_runtime::ExtraColumns for Columns {
            fn values(&self) -> ::std::vec::Vec<::link_runtime::ColumnValue<'_>> {
                ::std::vec![
                    #(::link_runtime::ToColumnValue::to_column_value(&self.#names),)*
                ]
            }
        }
    }
}

/// `Eq` for the row and column structs, unless a float column rules it out.
fn eq_derive(cx: &Context) -> TokenStream {
    if cx.link.columns.iter().any(|c| c.kind.is_float()) {
        TokenStream::new()
    } else {
        quote_spanned!(cx.span=> ::core::cmp::Eq,)
    }
}

/// The Rust expression of a column's default (a nullable column without one is `None`).
fn default_expr(column: &Column) -> TokenStream {
    let value = match &column.default {
        None | Some(DefaultValue::Null) => return quote!(::core::option::Option::None),
        Some(DefaultValue::Bool(b)) => quote!(#b),
        Some(DefaultValue::Integer(n) | DefaultValue::Float(n)) => {
            let literal: syn::Expr = syn::parse_str(n).expect("validated numeric literal parses");
            quote!(#literal)
        }
        Some(DefaultValue::Text(text)) => quote!(::std::string::String::from(#text)),
        Some(DefaultValue::Json(text)) => quote! {
            ::link_runtime::serde_json::from_str(#text)
                .expect("define_link! checked that the default parses as JSON")
        },
    };
    if column.nullable {
        quote!(::core::option::Option::Some(#value))
    } else {
        value
    }
}
