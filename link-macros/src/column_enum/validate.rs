//! What `#[derive(ColumnEnum)]` accepts: a non-generic enum with at least one variant,
//! every variant a unit variant, each with a text of its own. Every error is collected.

use super::parse::VariantInput;
use crate::names::snake_case;

/// A checked enum: its name and its variants with their texts.
pub struct ColumnEnum {
    pub ident: syn::Ident,
    pub variants: Vec<Variant>,
}

pub struct Variant {
    pub ident: syn::Ident,
    /// The text stored for it.
    pub text: String,
}

pub fn validate(
    input: &syn::DeriveInput,
    variants: Vec<VariantInput<'_>>,
) -> darling::Result<ColumnEnum> {
    let mut errors = darling::Error::accumulator();
    let ident = &input.ident;
    let kind = match &input.data {
        syn::Data::Enum(_) => None,
        syn::Data::Struct(data) => Some(("a struct", data.struct_token.span)),
        syn::Data::Union(data) => Some(("a union", data.union_token.span)),
    };
    if let Some((kind, span)) = kind {
        errors.push(
            darling::Error::custom(format!(
                "`ColumnEnum` is derived for an enum of unit variants, stored as their \
                 texts; `{ident}` is {kind}"
            ))
            .with_span(&span),
        );
        return errors.finish_with(ColumnEnum {
            ident: ident.clone(),
            variants: Vec::new(),
        });
    }
    if !input.generics.params.is_empty() {
        errors.push(
            darling::Error::custom(format!(
                "`{ident}` is generic: a column enum is a plain enum of unit variants"
            ))
            .with_span(&input.generics),
        );
    }
    if variants.is_empty() {
        errors.push(
            darling::Error::custom(format!(
                "`{ident}` has no variants, so a column of it could hold nothing"
            ))
            .with_span(ident),
        );
    }

    let mut checked: Vec<(Variant, proc_macro2::Span)> = Vec::new();
    for VariantInput { variant, options } in variants {
        let Some(options) = errors.handle(options) else {
            continue;
        };
        if !matches!(variant.fields, syn::Fields::Unit) {
            errors.push(
                darling::Error::custom(format!(
                    "the variant `{}` has fields: a column enum's variants are unit \
                     variants, each stored as its text",
                    variant.ident
                ))
                .with_span(&variant.fields),
            );
            continue;
        }
        let (text, span) = match &options.rename {
            Some(rename) => (rename.as_str().to_owned(), rename.span()),
            None => (
                snake_case(&syn::ext::IdentExt::unraw(&variant.ident).to_string()),
                variant.ident.span(),
            ),
        };
        if text.is_empty() || text.contains('\0') {
            errors.push(
                darling::Error::custom(
                    "a variant's text cannot be empty, nor hold a NUL character (U+0000), \
                     which PostgreSQL cannot store",
                )
                .with_span(&span),
            );
            continue;
        }
        if let Some((first, _)) = checked.iter().find(|(other, _)| other.text == text) {
            errors.push(
                darling::Error::custom(format!(
                    "the variants `{}` and `{}` are both stored as `{text}`: give one of \
                     them a text of its own with `#[column(rename = \"...\")]`",
                    first.ident, variant.ident
                ))
                .with_span(&span),
            );
            continue;
        }
        checked.push((
            Variant {
                ident: variant.ident.clone(),
                text,
            },
            span,
        ));
    }
    errors.finish_with(ColumnEnum {
        ident: ident.clone(),
        variants: checked.into_iter().map(|(variant, _)| variant).collect(),
    })
}
