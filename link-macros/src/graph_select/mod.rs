//! `#[derive(GraphSelect)]`: the attributes are read by darling (`attr.rs`), checked into a
//! plain selection (`validate.rs`), and expanded into the trait impl and the compile-time
//! checks against the model and its links (`expand.rs`); with errors, into a placeholder
//! impl besides them.

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
    // A struct with errors still selects from its entity, so that its uses report nothing
    // more; no impl fits a generic struct.
    let entity = parsed
        .entity
        .clone()
        .filter(|_| parsed.generics.params.is_empty());
    match validate::validate(input, parsed) {
        Ok(selection) => expand::expand(&selection),
        Err(errors) => {
            let errors = errors.write_errors();
            let placeholder = entity.map(|entity| expand::placeholder(&input.ident, &entity));
            quote::quote!(#errors #placeholder)
        }
    }
}
