//! `#[graph(entity = Model)]` on the struct and `#[graph(link)]` (with `take`) or
//! `#[graph(count = Model)]` (with `field`) on its fields, as darling reads them. Unknown and duplicate keys are darling's errors; everything else is checked
//! in `validate.rs`.

use darling::util::{Flag, Ignored};
use darling::{FromDeriveInput, FromField};

#[derive(FromDeriveInput)]
#[darling(attributes(graph), forward_attrs(serde))]
pub struct GraphSelectInput {
    pub ident: syn::Ident,
    pub generics: syn::Generics,
    pub data: darling::ast::Data<Ignored, GraphSelectField>,
    /// `#[serde(..)]` attributes of the struct.
    pub attrs: Vec<syn::Attribute>,
    /// The linkable model the struct selects from.
    pub entity: Option<syn::Path>,
}

#[derive(FromField)]
#[darling(attributes(graph), forward_attrs(serde))]
pub struct GraphSelectField {
    pub ident: Option<syn::Ident>,
    pub ty: syn::Type,
    /// `#[serde(..)]` attributes of the field.
    pub attrs: Vec<syn::Attribute>,
    /// `#[graph(link)]`: the field holds records of a linked model.
    pub link: Flag,
    /// `#[graph(count = Model)]`: the field holds the count of linked records of `Model`.
    pub count: Option<syn::Path>,
    /// `#[graph(count = Model, field = "..")]`: the link field counted, where several
    /// links join the entity to `Model`.
    pub field: Option<syn::LitStr>,
    /// `#[graph(link, take = 3)]`: at most this many linked records in each record.
    pub take: Option<syn::LitInt>,
}
