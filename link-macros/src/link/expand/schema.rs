//! The diesel side of a link: its `table!`, the row struct and the extra columns' struct.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

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

/// The pivot row, with diesel's `Queryable`, `Selectable` and `QueryableByName` written out
/// rather than derived: in the table's column order, and by name through the runtime, which
/// reads the columns every pivot has.
fn row(cx: &Context) -> TokenStream {
    let span = cx.span;
    let Context {
        table,
        left,
        right,
        marker,
        left_column,
        right_column,
        ..
    } = cx;
    let columns = &cx.link.columns;
    let extra = columns.iter().map(|Column { name, ty, .. }| {
        let doc = format!("The extra column `{name}`.");
        quote_spanned! {span=>
            #[doc = #doc]
            pub #name: #ty,
        }
    });
    let extra_names: Vec<&syn::Ident> = columns.iter().map(|c| &c.name).collect();
    let extra_types = columns.iter().map(|c| &c.ty);
    // The Rust types of the row in the table's column order, as diesel reads them.
    let tuple = quote_spanned! {span=>
        (
            ::std::string::String,
            ::link_runtime::Id<#left>,
            ::link_runtime::Id<#right>,
            #(#extra_types,)*
            ::link_runtime::chrono::NaiveDateTime,
            ::link_runtime::chrono::NaiveDateTime,
            ::core::option::Option<::link_runtime::chrono::NaiveDateTime>,
        )
    };
    // Each read spanned at its column's type, where a type no column can hold is reported.
    let extra_reads = columns.iter().map(|c| {
        let name = c.name.to_string();
        let at = Span::call_site().located_at(c.ty.span());
        quote_spanned!(at=> __DB::column(row, #name)?)
    });
    // Positions in the table's column order: id, the two sides, the extra columns, the
    // three timestamps.
    let position = |i: usize| syn::Index {
        index: i as u32,
        span,
    };
    let extra_positions = (3..3 + columns.len()).map(position);
    let [created_at, updated_at, deleted_at] = [0, 1, 2].map(|i| position(3 + columns.len() + i));
    let [id, left_position, right_position] = [0, 1, 2].map(position);
    let eq = eq_impl(cx, &syn::Ident::new("Row", span));
    let doc = format!("A row of the pivot table `{}`.", cx.names.table);
    let left_doc = format!("The `{}` side.", cx.names.left.model);
    let right_doc = format!("The `{}` side.", cx.names.right.model);
    quote_spanned! {span=>
        #[doc = #doc]
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq)]
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

        #eq

        #[automatically_derived]
        impl<__DB, __ST> ::link_runtime::diesel::deserialize::Queryable<__ST, __DB> for Row
        where
            __DB: ::link_runtime::diesel::backend::Backend,
            #tuple: ::link_runtime::diesel::deserialize::FromStaticSqlRow<__ST, __DB>,
        {
            type Row = #tuple;

            fn build(row: Self::Row) -> ::link_runtime::diesel::deserialize::Result<Self> {
                ::core::result::Result::Ok(Row {
                    id: row.#id,
                    #left_column: row.#left_position,
                    #right_column: row.#right_position,
                    #(#extra_names: row.#extra_positions,)*
                    created_at: row.#created_at,
                    updated_at: row.#updated_at,
                    deleted_at: row.#deleted_at,
                })
            }
        }

        #[automatically_derived]
        impl<__DB: ::link_runtime::diesel::backend::Backend>
            ::link_runtime::diesel::Selectable<__DB> for Row
        {
            type SelectExpression = #table::AllColumns;

            fn construct_selection() -> Self::SelectExpression {
                #table::all_columns
            }
        }

        #[automatically_derived]
        impl<__DB: ::link_runtime::__private::RowBackend>
            ::link_runtime::diesel::QueryableByName<__DB> for Row
        {
            fn build<'__a>(
                row: &impl ::link_runtime::diesel::row::NamedRow<'__a, __DB>,
            ) -> ::link_runtime::diesel::deserialize::Result<Self> {
                let base = ::link_runtime::__private::pivot_base::<__DB, #marker>(row)?;
                ::core::result::Result::Ok(Row {
                    id: base.id,
                    #left_column: base.left,
                    #right_column: base.right,
                    #(#extra_names: #extra_reads,)*
                    created_at: base.created_at,
                    updated_at: base.updated_at,
                    deleted_at: base.deleted_at,
                })
            }
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
    let values = columns.iter().map(|c| {
        let name = &c.name;
        let at = Span::call_site().located_at(c.ty.span());
        quote_spanned!(at=> ::link_runtime::ToColumnValue::to_column_value(&self.#name))
    });
    let eq = eq_impl(cx, &syn::Ident::new("Columns", span));
    quote_spanned! {span=>
        /// The extra columns of the link, whose `Default` is the declared defaults.
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::cmp::PartialEq)]
        pub struct Columns {
            #(#fields)*
        }

        #eq

        #[automatically_derived]
        impl ::core::default::Default for Columns {
            fn default() -> Self {
                Columns { #(#defaults)* }
            }
        }

        #[automatically_derived]
        impl ::link_runtime::ExtraColumns for Columns {
            fn values(&self) -> ::std::vec::Vec<::link_runtime::ColumnValue<'_>> {
                ::std::vec![
                    #(#values,)*
                ]
            }
        }

        #[automatically_derived]
        impl ::link_runtime::__private::DeclaredColumns for Columns {}
    }
}

/// `Eq` for the row and column structs, unless a float column rules it out. Written out
/// rather than derived (the derive adds a function checking each field, for each struct):
/// every other column type is `Eq` (an enum's `ColumnEnum` requires it).
fn eq_impl(cx: &Context, ty: &syn::Ident) -> TokenStream {
    if cx.link.columns.iter().any(|c| c.kind.holds_floats()) {
        TokenStream::new()
    } else {
        quote_spanned!(cx.span=> #[automatically_derived] impl ::core::cmp::Eq for #ty {})
    }
}

/// The Rust expression of a column's default (a nullable column without one is `None`).
fn default_expr(column: &Column) -> TokenStream {
    let value = match &column.default {
        None | Some(DefaultValue::Null) => return quote!(::core::option::Option::None),
        Some(default) => value_expr(default),
    };
    if column.nullable {
        quote!(::core::option::Option::Some(#value))
    } else {
        value
    }
}

/// The Rust expression of a default's value.
fn value_expr(default: &DefaultValue) -> TokenStream {
    match default {
        DefaultValue::Null => quote!(::core::option::Option::None),
        // As written, so that the compiler says so where it is not a variant.
        DefaultValue::Variant(path) => quote!(#path),
        DefaultValue::Array(elements) => {
            let elements = elements.iter().map(value_expr);
            quote!(::std::vec![#(#elements),*])
        }
        DefaultValue::Bool(b) => quote!(#b),
        DefaultValue::Integer(n) | DefaultValue::Float(n) => {
            let literal: syn::Expr = syn::parse_str(n).expect("validated numeric literal parses");
            quote!(#literal)
        }
        DefaultValue::Text(text) => quote!(::std::string::String::from(#text)),
        DefaultValue::Json(text) => quote! {
            ::link_runtime::serde_json::from_str(#text)
                .expect("define_link! checked that the default parses as JSON")
        },
        DefaultValue::Decimal(text) => quote! {
            <::link_runtime::bigdecimal::BigDecimal as ::core::str::FromStr>::from_str(#text)
                .expect("define_link! checked that the default is a decimal")
        },
        DefaultValue::Date(date) => {
            use chrono::Datelike;
            let (year, month, day) = (date.year(), date.month(), date.day());
            quote! {
                ::link_runtime::chrono::NaiveDate::from_ymd_opt(#year, #month, #day)
                    .expect("define_link! checked the date")
            }
        }
        DefaultValue::Time(time) => {
            use chrono::Timelike;
            let (hour, minute, second, nano) =
                (time.hour(), time.minute(), time.second(), time.nanosecond());
            quote! {
                ::link_runtime::chrono::NaiveTime::from_hms_nano_opt(#hour, #minute, #second, #nano)
                    .expect("define_link! checked the time")
            }
        }
        DefaultValue::TimestampTz(time) => {
            let (seconds, nanos) = (time.timestamp(), time.timestamp_subsec_nanos());
            quote! {
                ::link_runtime::chrono::DateTime::<::link_runtime::chrono::Utc>::from_timestamp(#seconds, #nanos)
                    .expect("define_link! checked the timestamp")
            }
        }
        DefaultValue::Uuid(bits) => quote!(::link_runtime::uuid::Uuid::from_u128(#bits)),
        DefaultValue::Bytes(bytes) => {
            let bytes = proc_macro2::Literal::byte_string(bytes);
            quote!(::std::vec::Vec::from(&#bytes[..]))
        }
    }
}
