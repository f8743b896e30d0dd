//! The code `#[derive(GraphSelect)]` generates: the `GraphSelect` impl, and compile-time
//! checks, each spanned on the user's tokens so that rustc's message points at the field
//! that is wrong.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

use super::validate::{CountOf, FieldKind, SelectField, Selection};

pub fn expand(selection: &Selection) -> TokenStream {
    let ident = &selection.ident;
    let entity = &selection.entity;
    let count_consts = selection
        .fields
        .iter()
        .enumerate()
        .filter_map(|(i, field)| match &field.kind {
            FieldKind::Count(count) => Some(count_const(selection, i, count)),
            _ => None,
        });
    let pushes = selection.fields.iter().enumerate().map(|(i, field)| {
        let name = &field.name;
        match &field.kind {
            FieldKind::Field => quote!(fields.push([prefix, #name].concat());),
            FieldKind::Link { item, .. } => {
                let nested = format!("{name}.");
                quote! {
                    <#item as ::link_runtime::graph::GraphSelect>::push_fields(
                        &[prefix, #nested].concat(),
                        fields,
                    );
                }
            }
            FieldKind::Count(_) => {
                let count = count_ident(i);
                quote!(fields.push([prefix, "_count.", #count].concat());)
            }
        }
    });
    let params = if selection.fields.is_empty() {
        quote!(_: &str, _: &mut ::std::vec::Vec<::std::string::String>)
    } else {
        quote!(prefix: &str, fields: &mut ::std::vec::Vec<::std::string::String>)
    };
    let count_keys = count_keys(selection);
    let pages = pages(selection);
    let checks = checks(selection);

    quote! {
        const _: () = {
            #(#count_consts)*

            #[automatically_derived]
            impl ::link_runtime::graph::GraphSelect for #ident {
                type Entity = #entity;

                fn push_fields(#params) {
                    #(#pushes)*
                }

                #count_keys
                #pages
            }
        };

        #checks
    }
}

/// The name of the constant that holds the link field the struct's field `i`, a count,
/// counts through.
fn count_ident(i: usize) -> syn::Ident {
    format_ident!("COUNT_{}", i)
}

/// The link field a `#[graph(count = Model)]` field counts through, as a constant: it
/// compiles only if the link exists (spanned on the model, or on the `field = ".."` that
/// names the link).
fn count_const(selection: &Selection, i: usize, count: &CountOf) -> TokenStream {
    let target = &count.model;
    let count_ident = count_ident(i);
    match &count.field {
        None => {
            let span = target.span();
            let entity = respan(selection.entity.to_token_stream(), span);
            quote_spanned! {span=>
                const #count_ident: &str =
                    ::link_runtime::__private::checks::count_field::<#entity, #target, _>();
            }
        }
        Some(name) => {
            let span = name.span();
            let entity = respan(selection.entity.to_token_stream(), span);
            let key = crate::names::field_key(&name.value());
            quote_spanned! {span=>
                const #count_ident: &str = ::link_runtime::__private::checks::count_field_named::<
                    #entity,
                    #target,
                    _,
                    #key,
                >();
            }
        }
    }
}

/// `GraphSelect::pages`: the page inside each record of each link field with a `take`, and
/// the pages of the structs of its link fields, below. None for a struct with no link field.
fn pages(selection: &Selection) -> Option<TokenStream> {
    let entries: Vec<TokenStream> = selection
        .fields
        .iter()
        .filter_map(|field| {
            let FieldKind::Link { item, take } = &field.kind else {
                return None;
            };
            let name = &field.name;
            let take = match take {
                Some(n) => quote!(::core::option::Option::Some(#n)),
                None => quote!(::core::option::Option::None),
            };
            Some(quote! {
                ::link_runtime::__private::push_page(
                    &mut pages,
                    #name,
                    #take,
                    <#item as ::link_runtime::graph::GraphSelect>::pages(),
                );
            })
        })
        .collect();
    (!entries.is_empty()).then(|| {
        quote! {
            fn pages() -> ::std::vec::Vec<(&'static str, ::link_runtime::graph::Nested)> {
                let mut pages = ::std::vec::Vec::new();
                #(#entries)*
                pages
            }
        }
    })
}

/// `GraphSelect::count_keys`: where the struct's count fields read their counts, and the
/// structs of its link fields theirs. None for a struct with neither.
fn count_keys(selection: &Selection) -> Option<TokenStream> {
    let entries: Vec<TokenStream> = selection
        .fields
        .iter()
        .enumerate()
        .filter_map(|(i, field)| {
            let name = &field.name;
            match &field.kind {
                FieldKind::Field => None,
                FieldKind::Link { item, .. } => Some(quote! {
                    keys.link(#name, <#item as ::link_runtime::graph::GraphSelect>::count_keys());
                }),
                FieldKind::Count(_) => {
                    let count = count_ident(i);
                    Some(quote!(keys.count(#count, #name);))
                }
            }
        })
        .collect();
    (!entries.is_empty()).then(|| {
        quote! {
            fn count_keys() -> ::link_runtime::__private::CountKeys {
                let mut keys = ::link_runtime::__private::CountKeys::default();
                #(#entries)*
                keys
            }
        }
    })
}

/// The impl of a struct with errors, which selects nothing: it keeps the struct's uses
/// from reporting more.
pub fn placeholder(ident: &syn::Ident, entity: &syn::Path) -> TokenStream {
    quote! {
        #[automatically_derived]
        impl ::link_runtime::graph::GraphSelect for #ident {
            type Entity = #entity;

            fn push_fields(_: &str, _: &mut ::std::vec::Vec<::std::string::String>) {}
        }
    }
}

/// That every plain field is a field of the entity, and that every link field follows a
/// link of the entity, with the container its cardinality asks for, under the link's name.
fn checks(selection: &Selection) -> TokenStream {
    let entity = &selection.entity;
    let plain = selection
        .fields
        .iter()
        .filter(|f| matches!(f.kind, FieldKind::Field));
    let links = selection.fields.iter().filter_map(|f| match &f.kind {
        FieldKind::Link { item, .. } => Some((f, item)),
        _ => None,
    });
    // `a count of linked records is an integer, and `String` is not one`, at the type.
    let count_types = selection.fields.iter().filter_map(|f| match f.kind {
        FieldKind::Count(_) => {
            let ty = &f.ty;
            Some(quote_spanned! {ty.span()=>
                ::link_runtime::__private::checks::count_integer::<#ty>();
            })
        }
        _ => None,
    });

    // `no field `titel` on type `ProductFields``, listing the fields there are.
    let plain: Vec<&SelectField> = plain.collect();
    let fields_exist = (!plain.is_empty()).then(|| {
        let accesses = plain.iter().map(|field| {
            let ident = &field.ident;
            quote_spanned!(ident.span()=> let _ = fields.#ident;)
        });
        // Spanned on the entity: an entity that is not linkable is reported there.
        let entity_fields = quote_spanned! {entity.span()=>
            <#entity as ::link_runtime::Linkable>::Fields
        };
        quote! {
            #[allow(dead_code)]
            fn fields_exist(fields: #entity_fields) {
                #(#accesses)*
            }
        }
    });

    let link_checks = links.map(|(field, item)| link_check(selection, field, item));

    quote! {
        const _: () = {
            #fields_exist
            #(#link_checks)*
            #(#count_types)*
        };
    }
}

fn link_check(selection: &Selection, field: &SelectField, item: &syn::Type) -> TokenStream {
    let ty = &field.ty;
    let name = &field.name;
    // Where rustc points: a bound that fails on the container's cardinality at the field's
    // type, whose tokens are kept whole; a linked struct that does not derive GraphSelect at
    // that struct; a missing link at the whole check, which carries the field name's span.
    let span = field.ident.span();
    let entity = respan(selection.entity.to_token_stream(), span);
    let target = respan(
        quote!(<#item as ::link_runtime::graph::GraphSelect>::Entity),
        item.span(),
    );
    let prefix = format!(
        "the `#[graph(link)]` field `{name}` of `{}` must be named `",
        selection.ident
    );
    let fallback = format!(
        "the `#[graph(link)]` field `{name}` of `{}` must be named after the linked model, \
         in the plural when that model's side of the link is a list",
        selection.ident
    );
    let key = crate::names::field_key(name);
    quote_spanned! {span=>
        const _: () = {
            const FIELD: &str =
                ::link_runtime::__private::checks::link_field::<#entity, #target, _, #ty, #key>();
            const PARTS: &[&str] = &[
                #prefix,
                FIELD,
                "`: a link field takes the linked model's name (`",
                <#target as ::link_runtime::Linkable>::MODEL,
                "`), in the plural when that model's side of the link is a list",
            ];
            const LEN: usize = ::link_runtime::__private::checks::message_len(PARTS);
            const MESSAGE: [u8; LEN] = ::link_runtime::__private::checks::message(PARTS);
            if !::link_runtime::__private::checks::same_name(FIELD, #name) {
                match ::core::str::from_utf8(&MESSAGE) {
                    ::core::result::Result::Ok(message) => ::core::panic!("{}", message),
                    ::core::result::Result::Err(_) => ::core::panic!(#fallback),
                }
            }
        };
    }
}

/// `tokens`, every one of them at `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|token| match token {
            TokenTree::Group(group) => {
                let mut respanned = Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                TokenTree::Group(respanned)
            }
            mut token => {
                token.set_span(span);
                token
            }
        })
        .collect()
}
