//! The typed API of a link: `Link`, the runtime's link type over a marker that holds what is
//! particular to this link (its schema, SQL and row), the directions it links and graph
//! queries follow, and its registration. `create`, `dismiss` and the rest are the runtime's,
//! written once for every link.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;

use super::sql::{self, Dialect};
use super::{Context, LinkItems};
use crate::link::model::{Names, Side};
use crate::names::{field_key, plural};

pub fn expand(cx: &Context) -> TokenStream {
    if let Some(field) = &cx.link.read_only {
        return read_only(cx, field);
    }
    let span = cx.span;
    let Context {
        left,
        right,
        marker,
        ..
    } = cx;
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
        let kind = column.kind.runtime_kind(&column.value_ty);
        let nullable = column.nullable;
        let sqlite = sql::column_definition(Dialect::Sqlite, column, table);
        let postgres = sql::column_definition(Dialect::Postgres, column, table);
        quote_spanned! {span=>
            ::link_runtime::ExtraColumn {
                name: #name,
                kind: #kind,
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

    let (left_model, right_model) = (&names.left.model, &names.right.model);
    let link_doc = format!(
        "The link from `{left_model}` to `{right_model}`, stored in `{table}`.\n\n\
         Ids go in this order: the `{left_model}` id first."
    );

    let (left_field, right_field) = (&cx.left_column, &cx.right_column);
    let column_names = link.columns.iter().map(|column| &column.name);
    let (columns_type, row_columns) = if link.columns.is_empty() {
        (quote_spanned!(span=>()), quote_spanned!(span=>()))
    } else {
        (
            quote_spanned!(span=>Columns),
            quote_spanned! {span=>
                Columns { #(#column_names: ::core::clone::Clone::clone(&row.#column_names),)* }
            },
        )
    };

    let id_prefix = &link.id_prefix;
    let definition = LinkItems {
        span,
        doc: &link_doc,
        marker,
        left,
        right,
        columns_type: columns_type.clone(),
        row_type: quote_spanned!(span=> Row),
        writable: true,
        schema: quote_spanned! {span=>
            &::link_runtime::LinkSchema {
                table: #table,
                storage: ::link_runtime::Storage::Pivot,
                id_prefix: #id_prefix,
                left: #left_side,
                right: #right_side,
                columns: &[#(#extra_columns),*],
                indexes: &[#(#indexes),*],
                sqlite_sql: #sqlite_sql,
                postgres_sql: #postgres_sql,
            }
        },
        row_parts: quote_spanned! {span=>
            (
                ::core::clone::Clone::clone(&row.#left_field),
                ::core::clone::Clone::clone(&row.#right_field),
                #row_columns,
            )
        },
        row_is_live: quote_spanned!(span=> ::core::option::Option::is_none(&row.deleted_at)),
    }
    .expand();

    registered(
        cx,
        quote_spanned! {span=>
            #definition

            #graph_links
        },
    )
}

/// `items`, and the link's registration.
fn registered(cx: &Context, items: TokenStream) -> TokenStream {
    let (span, marker) = (cx.span, &cx.marker);
    quote_spanned! {span=>
        #items

        const _: () = {
            ::link_runtime::__private::inventory::submit! {
                ::link_runtime::__private::Registration::new(
                    <#marker as ::link_runtime::__private::Definition>::SCHEMA
                )
            }
        };
    }
}

/// A read-only link: no table, no row, no writes; its schema says that the left model's
/// `field` holds the right model's ids, and the field's type is checked to hold them.
fn read_only(cx: &Context, field: &syn::Ident) -> TokenStream {
    let span = cx.span;
    let Context {
        left,
        right,
        marker,
        ..
    } = cx;
    let (link, names) = (cx.link, cx.names);
    let field_name = field.unraw().to_string();
    // The left model's table is the pivot: its primary key holds the left ids, the field's
    // column the right ones.
    let left_column =
        quote_spanned!(span=> <#left as ::link_runtime::Linkable>::ENTITY.primary_key);
    let right_column = quote_spanned! {span=>
        ::link_runtime::__private::checks::field_column(
            <#left as ::link_runtime::Linkable>::ENTITY,
            #field_name,
        )
    };
    let left_side = side_with(&names.left.model, left, left_column, &link.left);
    let right_side = side_with(&names.right.model, right, right_column, &link.right);
    let (left_model, right_model) = (&names.left.model, &names.right.model);
    let link_doc = format!(
        "The read-only link from `{left_model}` to `{right_model}`: a `{left_model}`'s \
         `{field_name}` holds its `{right_model}`'s id. It has no table, and nothing writes it."
    );
    let definition = LinkItems {
        span,
        doc: &link_doc,
        marker,
        left,
        right,
        columns_type: quote_spanned!(span=> ()),
        row_type: quote_spanned!(span=> ::link_runtime::__private::NoRow),
        writable: false,
        schema: quote_spanned! {span=>
            &::link_runtime::LinkSchema {
                table: "",
                storage: ::link_runtime::Storage::Field,
                id_prefix: "",
                left: #left_side,
                right: #right_side,
                columns: &[],
                indexes: &[],
                sqlite_sql: "",
                postgres_sql: "",
            }
        },
        row_parts: quote_spanned!(span=> match *row {}),
        row_is_live: quote_spanned!(span=> match *row {}),
    }
    .expand();
    // The field exists and holds the right model's id: checked by the compiler, and
    // reported at the field's name.
    let field_check = quote_spanned! {field.span()=>
        const _: () = {
            fn holds_id(record: &#left) {
                ::link_runtime::__private::checks::holds_id::<#right, _>(&record.#field);
            }
        };
    };
    let graph_links = graph_links(cx);
    registered(
        cx,
        quote_spanned! {span=>
            #definition

            #graph_links

            #field_check
        },
    )
}

fn side(model: &str, path: &syn::Path, column: &str, options: &Side) -> TokenStream {
    side_with(model, path, quote!(#column), options)
}

/// A side whose column is the expression `column`.
fn side_with(model: &str, path: &syn::Path, column: TokenStream, options: &Side) -> TokenStream {
    let graph_field = graph_field(model, options);
    let link_field = format!("{graph_field}_link");
    let is_list = options.is_list;
    let delete_cascade = options.delete_cascade;
    quote! {
        ::link_runtime::Side {
            entity: <#path as ::link_runtime::Linkable>::ENTITY,
            column: #column,
            graph_field: #graph_field,
            link_field: #link_field,
            is_list: #is_list,
            delete_cascade: #delete_cascade,
        }
    }
}

/// The name under which graph queries from the other side find this side's records: its
/// `alias` if it has one, else the model's name, in the plural when the side is a list
/// (`brand`, `products`).
fn graph_field(model: &str, options: &Side) -> String {
    if let Some((alias, _)) = &options.alias {
        alias.clone()
    } else if options.is_list {
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
        let key = field_key(&field);
        // An alias must not hide a field of the model it is seen from: checked where the
        // model's fields are known, and reported at the alias.
        let alias_check = to_side.alias.as_ref().map(|(alias, alias_span)| {
            let message = format!(
                "alias `{alias}` is already a field of the model it is seen from: choose \
                 another name for this side's records in graph queries"
            );
            quote_spanned! {*alias_span=>
                const _: () = ::core::assert!(
                    !::link_runtime::__private::checks::has_field(
                        <#from as ::link_runtime::Linkable>::ENTITY,
                        #alias,
                    ),
                    #message,
                );
            }
        });
        quote_spanned! {span=>
            #[automatically_derived]
            impl ::link_runtime::graph::GraphLink<#to, Link> for #from {
                const FIELD: &'static str = #field;
                type Cardinality = #cardinality;
            }

            // A field of another name is reported by the trait's own message, without
            // the keys of the names there are.
            #[automatically_derived]
            #[diagnostic::do_not_recommend]
            impl ::link_runtime::__private::checks::LinkNamed<#key, #to, Link> for #from {}

            #alias_check
        }
    };
    let forward = direction(&cx.left, &cx.right, &names.right, &link.right);
    let backward = direction(&cx.right, &cx.left, &names.left, &link.left);
    quote! {
        #forward
        #backward
    }
}
