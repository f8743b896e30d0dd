//! The input of `#[derive(ColumnEnum)]`: the enum's variants and their `#[column(..)]`.

use darling::util::SpannedValue;
use darling::FromAttributes;

/// `#[column(rename = "..")]` on a variant.
#[derive(FromAttributes, Default)]
#[darling(attributes(column))]
pub struct VariantOptions {
    /// The variant's text, instead of its name in snake_case.
    pub rename: Option<SpannedValue<String>>,
}

/// A variant, as written.
pub struct VariantInput<'a> {
    pub variant: &'a syn::Variant,
    /// Its options, or why they could not be read.
    pub options: darling::Result<VariantOptions>,
}

/// The variants of an enum (none for another item, which validation refuses).
pub fn parse(input: &syn::DeriveInput) -> Vec<VariantInput<'_>> {
    let syn::Data::Enum(data) = &input.data else {
        return Vec::new();
    };
    data.variants
        .iter()
        .map(|variant| VariantInput {
            variant,
            options: VariantOptions::from_attributes(&variant.attrs),
        })
        .collect()
}
