//! What a `define_link!` with an error expands to, besides the error: stand-ins for the
//! names user code refers to, so that one mistake is one error, not one more for every use
//! of the link.
//!
//! - [`typed`], once the models are known to be linkable: `Link` is a link between them,
//!   so `Link::create` checks its ids and `link_runtime::create` finds it, `Row` has the
//!   fields it would have (as far as the names are known), `Columns` the declared ones.
//! - [`untyped`], when even the models are unknown: a `Link` whose functions take anything,
//!   and `Row`.
//!
//! Their functions never run: the crate does not compile.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote_spanned};
use syn::spanned::Spanned;

use super::{from_child_module, in_hidden_module, marker, LinkItems};
use crate::link::model::Names;
use crate::link::parse::{ColumnInput, LinkInput, LinkOption};

/// The stand-ins for a link between two linkable models, `names` their names when known.
pub fn typed(input: &LinkInput, names: Option<(&Names, &Names)>) -> TokenStream {
    let span = span(Some(input));
    let left = from_child_module(&input.left.path);
    let right = from_child_module(&input.right.path);
    let marker = marker(&input.left.path, &input.right.path, span);

    let mut reserved = vec![
        "id".to_owned(),
        "created_at".to_owned(),
        "updated_at".to_owned(),
        "deleted_at".to_owned(),
    ];
    let mut sides = TokenStream::new();
    if let Some((left_names, right_names)) = names {
        let (left_column, right_column) = (
            format!("{}_id", left_names.model),
            format!("{}_id", right_names.model),
        );
        if left_column != right_column {
            let (left_field, right_field) = (
                format_ident!("{}", left_column, span = span),
                format_ident!("{}", right_column, span = span),
            );
            sides = quote_spanned! {span=>
                pub #left_field: ::link_runtime::Id<#left>,
                pub #right_field: ::link_runtime::Id<#right>,
            };
            reserved.extend([left_column, right_column]);
        }
    }
    let columns = declared_columns(input).map(distinct);
    let row_extra = columns
        .iter()
        .flatten()
        .filter_map(|ColumnInput { name, ty, .. }| {
            let taken = reserved.contains(&name.to_string());
            (!taken).then(|| quote_spanned!(span=> pub #name: #ty,))
        });
    let (columns_type, columns) = match &columns {
        Some(columns) => (
            quote_spanned!(span=> Columns),
            columns_struct(columns, span, true),
        ),
        None => (quote_spanned!(span=> ()), TokenStream::new()),
    };

    let definition = LinkItems {
        span,
        doc: "A link whose `define_link!` has an error.",
        marker: &marker,
        left: &left,
        right: &right,
        columns_type: columns_type.clone(),
        row_type: quote_spanned!(span=> Row),
        writable: true,
        schema: quote_spanned!(span=> ::link_runtime::__private::PLACEHOLDER_SCHEMA),
        row_parts: quote_spanned! {span=>
            let _ = row;
            ::core::unreachable!()
        },
        row_is_live: quote_spanned! {span=>
            let _ = row;
            ::core::unreachable!()
        },
    }
    .expand();

    let items = quote_spanned! {span=>
        #definition

        /// A pivot row of a link whose `define_link!` has an error.
        pub struct Row {
            pub id: ::std::string::String,
            #sides
            #(#row_extra)*
            pub created_at: ::link_runtime::chrono::NaiveDateTime,
            pub updated_at: ::link_runtime::chrono::NaiveDateTime,
            pub deleted_at: ::core::option::Option<::link_runtime::chrono::NaiveDateTime>,
        }

        #[automatically_derived]
        impl<__DB: ::link_runtime::diesel::backend::Backend>
            ::link_runtime::diesel::QueryableByName<__DB> for Row
        {
            fn build<'__a>(
                _: &impl ::link_runtime::diesel::row::NamedRow<'__a, __DB>,
            ) -> ::link_runtime::diesel::deserialize::Result<Self> {
                ::core::unreachable!()
            }
        }

        #columns
    };
    in_hidden_module(span, items)
}

/// The stand-ins for a link whose models are unknown: `input` could not be parsed, or
/// failed to validate before the models were asked for their names.
pub fn untyped(input: Option<&LinkInput>) -> TokenStream {
    let span = span(input);
    let columns = input
        .and_then(declared_columns)
        .map(|columns| columns_struct(&distinct(columns), span, false));
    let result = |ty: TokenStream| quote_spanned!(span=> ::link_runtime::Result<#ty>);
    let created = result(quote_spanned!(span=> ::link_runtime::Created));
    let created_many = result(quote_spanned!(span=> ::std::vec::Vec<::link_runtime::Created>));
    let dismissed = result(quote_spanned!(span=> bool));
    let updated = result(quote_spanned!(span=> ()));
    let dismissed_many = result(quote_spanned!(span=> usize));
    let rows = result(quote_spanned!(span=> ::std::vec::Vec<Row>));
    let items = quote_spanned! {span=>
        /// A link whose `define_link!` has an error.
        pub struct Link;

        impl Link {
            pub const TABLE: &'static str = "";
            pub const SQLITE_SQL: &'static str = "";
            pub const POSTGRES_SQL: &'static str = "";

            pub fn create<C: ?Sized, L, R>(_: &mut C, _: L, _: R) -> #created {
                ::core::unreachable!()
            }

            pub fn create_with<C: ?Sized, L, R, V>(_: &mut C, _: L, _: R, _: V) -> #created {
                ::core::unreachable!()
            }

            pub fn create_many<C: ?Sized, P: ?Sized>(_: &mut C, _: &P) -> #created_many {
                ::core::unreachable!()
            }

            pub fn create_many_with<C: ?Sized, P: ?Sized>(_: &mut C, _: &P) -> #created_many {
                ::core::unreachable!()
            }

            pub fn update<C: ?Sized, L, R, V>(_: &mut C, _: L, _: R, _: V) -> #updated {
                ::core::unreachable!()
            }

            pub fn update_many<C: ?Sized, P: ?Sized>(_: &mut C, _: &P) -> #dismissed_many {
                ::core::unreachable!()
            }

            pub fn dismiss<C: ?Sized, L, R>(_: &mut C, _: L, _: R) -> #dismissed {
                ::core::unreachable!()
            }

            pub fn dismiss_many<C: ?Sized, P: ?Sized>(_: &mut C, _: &P) -> #dismissed_many {
                ::core::unreachable!()
            }

            pub fn list<C: ?Sized, F: ?Sized>(_: &mut C, _: &F) -> #rows {
                ::core::unreachable!()
            }
        }

        /// A pivot row of a link whose `define_link!` has an error.
        pub struct Row;

        #columns
    };
    in_hidden_module(span, items)
}

/// Where the stand-ins point in messages: the first model, as for a link without errors.
fn span(input: Option<&LinkInput>) -> Span {
    input.map_or_else(Span::call_site, |input| {
        Span::call_site().located_at(input.left.path.span())
    })
}

/// `Columns` with the declared fields and types. With `extra_columns`, it is what the
/// typed `Link` takes: its `Default`, its values and `create_with`.
fn columns_struct(columns: &[&ColumnInput], span: Span, extra_columns: bool) -> TokenStream {
    let fields = columns
        .iter()
        .map(|ColumnInput { name, ty, .. }| quote_spanned!(span=> pub #name: #ty,));
    let extra_columns = extra_columns.then(|| {
        quote_spanned! {span=>
            #[automatically_derived]
            impl ::link_runtime::ExtraColumns for Columns {
                fn values(&self) -> ::std::vec::Vec<::link_runtime::ColumnValue<'_>> {
                    ::core::unreachable!()
                }
            }

            #[automatically_derived]
            impl ::link_runtime::__private::DeclaredColumns for Columns {}
        }
    });
    quote_spanned! {span=>
        /// The extra columns of a link whose `define_link!` has an error.
        pub struct Columns {
            #(#fields)*
        }

        #[automatically_derived]
        impl ::core::default::Default for Columns {
            fn default() -> Self {
                ::core::unreachable!()
            }
        }

        #extra_columns
    }
}

/// The first `columns { .. }` of the input, if it has one.
fn declared_columns(input: &LinkInput) -> Option<&[ColumnInput]> {
    input.options.iter().find_map(|option| match option {
        LinkOption::Columns { columns, .. } => Some(columns.as_slice()),
        _ => None,
    })
}

/// The columns, each name once: a column declared twice is an error already, and a second
/// field would be another.
fn distinct(columns: &[ColumnInput]) -> Vec<&ColumnInput> {
    let mut seen: Vec<&ColumnInput> = Vec::new();
    for column in columns {
        if !seen.iter().any(|c| c.name == column.name) {
            seen.push(column);
        }
    }
    seen
}
