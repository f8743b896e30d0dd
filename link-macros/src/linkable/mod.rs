//! `#[derive(Linkable)]`: the attribute is read by darling (`attr.rs`), checked into a
//! plain model, and expanded (`expand.rs`). With errors, the expansion is a placeholder
//! besides them, so that uses of the model report nothing more.

mod attr;
mod expand;

use proc_macro2::TokenStream;

pub fn derive(input: &syn::DeriveInput) -> TokenStream {
    match attr::LinkableModel::from_input(input) {
        (Some(model), None) => expand::expand(&model, true),
        // The errors, and a placeholder so that they are the only ones: the impl, the
        // fields struct and the names macro, which tells `define_link!` to stay quiet.
        (model, error) => {
            let errors = error.map(darling::Error::write_errors);
            let placeholder = match model {
                Some(model) => expand::expand(&model, false),
                None => expand::names_macro(&input.ident, expand::Names::Invalid),
            };
            quote::quote!(#errors #placeholder)
        }
    }
}
