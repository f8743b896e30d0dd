//! `#[derive(Linkable)]`: the attribute is read by darling (`attr.rs`), checked into a
//! plain model, and expanded (`expand.rs`).

mod attr;
mod expand;

use proc_macro2::TokenStream;

pub fn derive(input: &syn::DeriveInput) -> TokenStream {
    match attr::LinkableModel::from_input(input) {
        Ok(model) => expand::expand(&model),
        Err(errors) => errors.write_errors(),
    }
}
