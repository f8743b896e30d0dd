//! `define_link!`.
//!
//! The macro sees the two models only as type paths, but the link's table and columns are
//! named after the models' modules and names, which their `#[linkable]` attributes hold.
//! So it runs in two stages:
//!
//! 1. `define_link!` parses and validates everything it can (`parse.rs`, `validate.rs`),
//!    reports every error at once, and then asks each model for its names by calling the
//!    macro `#[derive(Linkable)]` put beside it, with `__define_link_resolved` as callback.
//! 2. `__define_link_resolved` receives the names, finishes validation, and generates code
//!    from the plain model (`model.rs`) in `expand/`.

mod expand;
pub(crate) mod model;
mod parse;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};

use self::model::Names;
use self::parse::LinkInput;

pub fn define_link(input: TokenStream) -> TokenStream {
    let parsed: LinkInput = match syn::parse2(input.clone()) {
        Ok(parsed) => parsed,
        Err(error) => return error.to_compile_error(),
    };
    let link = match validate::validate(&parsed, None) {
        Ok(link) => link,
        Err(errors) => return errors.write_errors(),
    };
    let left = &link.left.path;
    let checks = expand::linkable_checks(&link);
    quote! {
        #checks
        #left! { ::link_runtime::__private::define_link_resolved { (#input) } }
    }
}

pub fn define_link_resolved(input: TokenStream) -> TokenStream {
    let resolved: Resolved = match syn::parse2(input) {
        Ok(resolved) => resolved,
        Err(error) => return error.to_compile_error(),
    };
    let parsed: LinkInput = match syn::parse2(resolved.input.clone()) {
        Ok(parsed) => parsed,
        Err(error) => return error.to_compile_error(),
    };
    match resolved.names.as_slice() {
        [left] => {
            let right = &parsed.right.path;
            let left = left.to_tokens();
            let input = &resolved.input;
            quote! {
                #right! { ::link_runtime::__private::define_link_resolved { #left (#input) } }
            }
        }
        [right, left] => match validate::validate(&parsed, Some((left, right))) {
            Ok(link) => expand::expand(&link),
            Err(errors) => errors.write_errors(),
        },
        _ => syn::Error::new(
            proc_macro2::Span::call_site(),
            "internal: define_link! resolved more than two models",
        )
        .to_compile_error(),
    }
}

/// `[module = "..", model = ".."]...  (original input)`, newest names first.
struct Resolved {
    names: Vec<Names>,
    input: TokenStream,
}

impl Parse for Resolved {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut names = Vec::new();
        while input.peek(syn::token::Bracket) {
            let content;
            syn::bracketed!(content in input);
            names.push(content.parse()?);
        }
        let content;
        syn::parenthesized!(content in input);
        Ok(Resolved {
            names,
            input: content.parse()?,
        })
    }
}
