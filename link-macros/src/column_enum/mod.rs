//! `#[derive(ColumnEnum)]`: an enum of unit variants as the text an extra column holds.
//! The input is read into a plain model (`parse.rs`, darling for `#[column(..)]`), checked
//! with every error collected (`validate.rs`), and expanded (`expand.rs`). With errors, the
//! expansion is the errors alone.

mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;

pub fn derive(input: &syn::DeriveInput) -> TokenStream {
    let parsed = parse::parse(input);
    match validate::validate(input, parsed) {
        Ok(model) => expand::expand(&model),
        Err(errors) => errors.write_errors(),
    }
}
