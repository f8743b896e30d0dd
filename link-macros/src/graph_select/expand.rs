//! The code `#[derive(GraphSelect)]` generates: the `GraphSelect` impl, and compile-time
//! checks, each spanned on the user's tokens so that rustc's message points at the field
//! that is wrong.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;

use super::validate::{SelectField, Selection};

pub fn expand(selection: &Selection) -> TokenStream {
    let ident = &selection.ident;
    let entity = &selection.entity;
    let pushes = selection.fields.iter().map(|field| {
        let name = &field.name;
        match &field.link {
            None => quote!(fields.push([prefix, #name].concat());),
            Some(item) => {
                let nested = format!("{name}.");
                quote! {
                    <#item as ::link_runtime::graph::GraphSelect>::push_fields(
                        &[prefix, #nested].concat(),
                        fields,
                    );
                }
            }
        }
    });
    let params = if selection.fields.is_empty() {
        quote!(_: &str, _: &mut ::std::vec::Vec<::std::string::String>)
    } else {
        quote!(prefix: &str, fields: &mut ::std::vec::Vec<::std::string::String>)
    };
    let checks = checks(selection);

    quote! {
        #[automatically_derived]
        impl ::link_runtime::graph::GraphSelect for #ident {
            type Entity = #entity;

            fn push_fields(#params) {
                #(#pushes)*
            }
        }

        #checks
    }
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
    let (links, plain): (Vec<&SelectField>, Vec<&SelectField>) =
        selection.fields.iter().partition(|f| f.link.is_some());

    // `no field `titel` on type `ProductFields``, listing the fields there are.
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

    let link_checks = links.iter().map(|field| link_check(selection, field));

    quote! {
        const _: () = {
            #fields_exist
            #(#link_checks)*
        };
    }
}

fn link_check(selection: &Selection, field: &SelectField) -> TokenStream {
    let ty = &field.ty;
    let item = field.link.as_ref().expect("a link field");
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
