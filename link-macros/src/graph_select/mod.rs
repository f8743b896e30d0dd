//! `#[derive(GraphSelect)]`: the attributes are read by darling (`attr.rs`), checked into a
//! plain selection (`validate.rs`), and expanded into the trait impl and the compile-time
//! checks against the model and its links (`expand.rs`).

mod attr;
mod expand;
mod validate;

use darling::FromDeriveInput;
use proc_macro2::TokenStream;

pub fn derive(input: &syn::DeriveInput) -> TokenStream {
    let parsed = match attr::GraphSelectInput::from_derive_input(input) {
        Ok(parsed) => parsed,
        Err(errors) => return errors.write_errors(),
    };
    match validate::validate(input, parsed) {
        Ok(selection) => expand::expand(&selection),
        Err(errors) => errors.write_errors(),
    }
}
