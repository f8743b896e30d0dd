//! The typed API of a link: `Link`, its SQL, order-checked `create` / `dismiss`, and its
//! registration.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};

use super::sql::{self, Dialect};
use super::Context;
use crate::link::model::{Names, Side};
use crate::names::plural;

pub fn expand(cx: &Context) -> TokenStream {
    let span = cx.span;
    let Context { left, right, .. } = cx;
    let link = cx.link;
    let names = cx.names;
    let table = &names.table;
    let sqlite_sql = sql::create_table(Dialect::Sqlite, link, names);
    let postgres_sql = sql::create_table(Dialect::Postgres, link, names);
    let left_side = side(&names.left.model, left, &names.left_column(), &link.left);
    let right_side = side(
        &names.right.model,
        right,
        &names.right_column(),
        &link.right,
    );
    let extra_columns = link.columns.iter().map(|column| {
        let name = column.name.to_string();
        let kind = column.kind.type_name();
        let nullable = column.nullable;
        let sqlite = sql::column_definition(Dialect::Sqlite, column);
        let postgres = sql::column_definition(Dialect::Postgres, column);
        quote_spanned! {span=>
            ::link_runtime::ExtraColumn {
                name: #name,
                kind: ::link_runtime::ColumnKind::#kind,
                nullable: #nullable,
                sqlite_definition: #sqlite,
                postgres_definition: #postgres,
            }
        }
    });

    let indexes = sql::indexes(link, names).into_iter().map(|index| {
        let (name, sql) = (index.name, index.sql);
        quote_spanned!(span=>::link_runtime::Index { name: #name, sql: #sql })
    });

    let graph_links = graph_links(cx);

    let left_param = param(&names.left.model, "left");
    let right_param = param(&names.right.model, "right");
    let (left_model, right_model) = (&names.left.model, &names.right.model);
    let link_doc = format!(
        "The link from `{left_model}` to `{right_model}`, stored in `{table}`.\n\n\
         Ids go in this order: the `{left_model}` id first."
    );
    let create_doc = format!(
        "Links `{left_model}` to `{right_model}`. Creating a live pair again changes \
         nothing; creating a dismissed pair revives it; the result says which happened. \
         Fails with \
         `link_runtime::Error::Cardinality` if a record would get a second partner on a side \
         that is not a list."
    );
    let dismiss_doc = format!(
        "Dismisses the live link between `{left_model}` and `{right_model}` (a soft \
         delete); returns whether there was one."
    );

    let (left_field, right_field) = (&cx.left_column, &cx.right_column);
    let column_names = link.columns.iter().map(|column| &column.name);
    let row_columns = if link.columns.is_empty() {
        quote_spanned!(span=>())
    } else {
        quote_spanned! {span=>
            Columns { #(#column_names: ::core::clone::Clone::clone(&row.#column_names),)* }
        }
    };

    let (columns_type, create_with) = if link.columns.is_empty() {
        (quote_spanned!(span=>()), TokenStream::new())
    } else {
        let doc = format!(
            "Links `{left_model}` to `{right_model}` with values for the extra columns; \
             an existing pair takes the new values."
        );
        let many_doc = format!(
            "Links many `{left_model}`/`{right_model}` pairs with values for the extra \
             columns, in one transaction: all or nothing. Returns what happened to each \
             pair, in order."
        );
        (
            quote_spanned!(span=>Columns),
            quote_spanned! {span=>
                #[doc = #doc]
                pub fn create_with<C: ::link_runtime::LinkConnection>(
                    conn: &mut C,
                    #left_param: ::link_runtime::Id<#left>,
                    #right_param: ::link_runtime::Id<#right>,
                    columns: Columns,
                ) -> ::link_runtime::Result<::link_runtime::Created> {
                    ::link_runtime::service::create_with::<Self, C>(conn, &#left_param, &#right_param, &columns)
                }

                #[doc = #many_doc]
                pub fn create_many_with<C: ::link_runtime::LinkConnection>(
                    conn: &mut C,
                    rows: &[(::link_runtime::Id<#left>, ::link_runtime::Id<#right>, Columns)],
                ) -> ::link_runtime::Result<::std::vec::Vec<::link_runtime::Created>> {
                    ::link_runtime::service::create_many_with::<Self, C>(conn, rows)
                }
            },
        )
    };
    let create_many_doc = format!(
        "Links many `{left_model}`/`{right_model}` pairs in one transaction: all or nothing. \
         Returns what happened to each pair, in order."
    );
    let dismiss_many_doc = format!(
        "Dismisses the live links of many `{left_model}`/`{right_model}` pairs in one \
         statement per chunk; returns how many were live."
    );
    let list_doc = format!(
        "The pivot rows of this link, filtered by `{left_model}` and `{right_model}` ids; \
         dismissed and deleted rows only when the filter asks for them."
    );

    quote_spanned! {span=>
        #[doc = #link_doc]
        #[derive(
            ::core::fmt::Debug,
            ::core::clone::Clone,
            ::core::marker::Copy,
            ::core::default::Default,
            ::core::cmp::PartialEq,
            ::core::cmp::Eq,
            ::core::hash::Hash,
        )]
        pub struct Link;

        impl Link {
            /// The pivot table's name.
            pub const TABLE: &'static str = #table;
            /// The statements that create the pivot table and its indexes on SQLite.
            pub const SQLITE_SQL: &'static str = #sqlite_sql;
            /// The statements that create the pivot table and its indexes on PostgreSQL.
            pub const POSTGRES_SQL: &'static str = #postgres_sql;

            #[doc = #create_doc]
            pub fn create<C: ::link_runtime::LinkConnection>(
                conn: &mut C,
                #left_param: ::link_runtime::Id<#left>,
                #right_param: ::link_runtime::Id<#right>,
            ) -> ::link_runtime::Result<::link_runtime::Created> {
                ::link_runtime::service::create::<Self, C>(conn, &#left_param, &#right_param)
            }

            #[doc = #create_many_doc]
            pub fn create_many<C: ::link_runtime::LinkConnection>(
                conn: &mut C,
                pairs: &[(::link_runtime::Id<#left>, ::link_runtime::Id<#right>)],
            ) -> ::link_runtime::Result<::std::vec::Vec<::link_runtime::Created>> {
                ::link_runtime::service::create_many::<Self, C>(conn, pairs)
            }

            #create_with

            #[doc = #dismiss_many_doc]
            pub fn dismiss_many<C: ::link_runtime::LinkConnection>(
                conn: &mut C,
                pairs: &[(::link_runtime::Id<#left>, ::link_runtime::Id<#right>)],
            ) -> ::link_runtime::Result<usize> {
                ::link_runtime::service::dismiss_many::<Self, C>(conn, pairs)
            }

            #[doc = #list_doc]
            pub fn list<C: ::link_runtime::LinkConnection>(
                conn: &mut C,
                filter: &::link_runtime::service::ListFilter<Self>,
            ) -> ::link_runtime::Result<::std::vec::Vec<Row>> {
                ::link_runtime::service::list::<Self, C>(conn, filter)
            }

            #[doc = #dismiss_doc]
            pub fn dismiss<C: ::link_runtime::LinkConnection>(
                conn: &mut C,
                #left_param: ::link_runtime::Id<#left>,
                #right_param: ::link_runtime::Id<#right>,
            ) -> ::link_runtime::Result<bool> {
                ::link_runtime::service::dismiss::<Self, C>(conn, &#left_param, &#right_param)
            }
        }

        impl ::link_runtime::LinkDefinition for Link {
            type Left = #left;
            type Right = #right;
            type Columns = #columns_type;
            type Row = Row;
            const SCHEMA: &'static ::link_runtime::LinkSchema = &::link_runtime::LinkSchema {
                table: #table,
                left: #left_side,
                right: #right_side,
                columns: &[#(#extra_columns),*],
                indexes: &[#(#indexes),*],
                sqlite_sql: Link::SQLITE_SQL,
                postgres_sql: Link::POSTGRES_SQL,
            };

            fn row_parts(
                row: &Row,
            ) -> ::link_runtime::service::PairWith<Self> {
                (
                    ::core::clone::Clone::clone(&row.#left_field),
                    ::core::clone::Clone::clone(&row.#right_field),
                    #row_columns,
                )
            }

            fn row_is_live(row: &Row) -> bool {
                row.deleted_at.is_none()
            }
        }

        impl ::link_runtime::LinkedFrom<#left, Link> for #right {}

        #graph_links

        ::link_runtime::__private::inventory::submit! {
            ::link_runtime::__private::Registration::new(
                <Link as ::link_runtime::LinkDefinition>::SCHEMA
            )
        }
    }
}

fn side(model: &str, path: &syn::Path, column: &str, options: &Side) -> TokenStream {
    let graph_field = graph_field(model, options);
    let is_list = options.is_list;
    let delete_cascade = options.delete_cascade;
    quote! {
        ::link_runtime::Side {
            entity: <#path as ::link_runtime::Linkable>::ENTITY,
            column: #column,
            graph_field: #graph_field,
            is_list: #is_list,
            delete_cascade: #delete_cascade,
        }
    }
}

/// The name under which graph queries from the other side find this side's records: the
/// model's name, in the plural when the side is a list (`brand`, `products`).
fn graph_field(model: &str, options: &Side) -> String {
    if options.is_list {
        plural(model)
    } else {
        model.to_owned()
    }
}

/// `GraphLink` in both directions, for typed graph queries: from each side, the other
/// side's field name and cardinality.
fn graph_links(cx: &Context) -> TokenStream {
    let span = cx.span;
    let (link, names) = (cx.link, cx.names);
    let direction = |from: &syn::Path, to: &syn::Path, to_names: &Names, to_side: &Side| {
        let field = graph_field(&to_names.model, to_side);
        let cardinality = if to_side.is_list {
            quote_spanned!(span=>::link_runtime::graph::Many)
        } else {
            quote_spanned!(span=>::link_runtime::graph::One)
        };
        quote_spanned! {span=>
            impl ::link_runtime::graph::GraphLink<#to, Link> for #from {
                const FIELD: &'static str = #field;
                type Cardinality = #cardinality;
            }
        }
    };
    let forward = direction(&cx.left, &cx.right, &names.right, &link.right);
    let backward = direction(&cx.right, &cx.left, &names.left, &link.left);
    quote! {
        #forward
        #backward
    }
}

/// A parameter named after the model, unless that would clash with the other parameters.
fn param(model: &str, fallback: &str) -> syn::Ident {
    match model {
        "conn" | "columns" => format_ident!("{}", fallback),
        _ => format_ident!("{}", model),
    }
}
