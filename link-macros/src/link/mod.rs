//! `define_link!`.
//!
//! The macro sees the two models only as type paths, but the link's table and columns are
//! named after the models' modules and names, which their `#[linkable]` attributes hold.
//! So it runs in two stages:
//!
//! 1. `define_link!` parses and validates everything it can (`parse.rs`, `validate.rs`),
//!    reports every error at once, and then asks the models for their names by calling the
//!    macro `#[derive(Linkable)]` put beside the left model, which calls the right model's,
//!    which calls `__define_link_resolved` with both.
//! 2. `__define_link_resolved` receives the names, finishes validation, and generates code
//!    from the plain model (`model.rs`) in `expand/`.
//!
//! A `define_link!` with an error expands to the error and to stand-ins for the names user
//! code refers to (`expand/placeholder.rs`), so that the error is the only one.

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
        Err(error) => {
            let error = error.to_compile_error();
            let placeholder = expand::placeholder::untyped(None);
            return quote!(#error #placeholder);
        }
    };
    let (left, right) = (&parsed.left.path, &parsed.right.path);
    let checks = expand::linkable_checks(left, right);
    // With errors, the second stage expands to stand-ins for the link's names only.
    let (errors, placeholder) = match validate::validate(&parsed, None) {
        Ok(_) => (None, None),
        Err(errors) => (Some(errors.write_errors()), Some(quote!(placeholder))),
    };
    // `Left!` calls `Right!`, which calls the second stage with both models' names.
    quote! {
        #errors
        #checks
        #left! { #right { ::link_runtime::__private::define_link_resolved { #placeholder (#input) } } }
    }
}

pub fn define_link_resolved(input: TokenStream) -> TokenStream {
    let resolved: Resolved = match syn::parse2(input) {
        Ok(resolved) => resolved,
        Err(error) => return error.to_compile_error(),
    };
    let parsed: LinkInput = match syn::parse2(resolved.input) {
        Ok(parsed) => parsed,
        Err(error) => return error.to_compile_error(),
    };
    match resolved.names.as_slice() {
        // The first stage reported errors.
        [ModelNames::Known(left), ModelNames::Known(right)] if resolved.placeholder => {
            expand::placeholder::typed(&parsed, Some((left, right)))
        }
        [ModelNames::Known(left), ModelNames::Known(right)] => {
            match validate::validate(&parsed, Some((left, right))) {
                Ok(link) => expand::expand(&link),
                Err(errors) => {
                    let errors = errors.write_errors();
                    let placeholder = expand::placeholder::typed(&parsed, Some((left, right)));
                    quote!(#errors #placeholder)
                }
            }
        }
        // A model whose `#[derive(Linkable)]` has an error, reported there, and no
        // `Linkable` impl in its place.
        [ModelNames::Invalid, _] | [_, ModelNames::Invalid] => {
            expand::placeholder::untyped(Some(&parsed))
        }
        // A model whose derive has an error, and a placeholder impl.
        [_, _] => expand::placeholder::typed(&parsed, None),
        _ => syn::Error::new(
            proc_macro2::Span::call_site(),
            "internal: define_link! resolved other than two models",
        )
        .to_compile_error(),
    }
}

/// `[module = "..", model = ".."] [..] [placeholder] (original input)`: the left model's
/// names first, and whether the first stage reported errors.
struct Resolved {
    names: Vec<ModelNames>,
    placeholder: bool,
    input: TokenStream,
}

/// What a model's names macro says.
enum ModelNames {
    /// `[module = "..", model = ".."]`.
    Known(Names),
    /// `[placeholder]`: the derive has an error, and put a placeholder impl in place.
    Placeholder,
    /// `[invalid]`: the derive has an error, and there is no impl (a generic type).
    Invalid,
}

impl Parse for Resolved {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut names = Vec::new();
        while input.peek(syn::token::Bracket) {
            let content;
            syn::bracketed!(content in input);
            let word = content.fork().parse::<syn::Ident>().ok();
            names.push(match word {
                Some(word) if word == "placeholder" || word == "invalid" => {
                    content.parse::<syn::Ident>()?;
                    if word == "invalid" {
                        ModelNames::Invalid
                    } else {
                        ModelNames::Placeholder
                    }
                }
                _ => ModelNames::Known(content.parse()?),
            });
        }
        let placeholder = input.peek(syn::Ident);
        if placeholder {
            input.parse::<syn::Ident>()?;
        }
        let content;
        syn::parenthesized!(content in input);
        Ok(Resolved {
            names,
            placeholder,
            input: content.parse()?,
        })
    }
}
