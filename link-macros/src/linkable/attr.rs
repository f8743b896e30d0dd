//! `#[linkable(module = "...", model = "...", table = "...", primary_key = "...")]`.

use darling::util::SpannedValue;
use darling::{FromDeriveInput, FromField};
use syn::spanned::Spanned;

use crate::names::{is_sql_identifier, snake_case};

#[derive(FromDeriveInput)]
#[darling(attributes(linkable), forward_attrs(diesel), supports(struct_named))]
struct LinkableAttr {
    ident: syn::Ident,
    generics: syn::Generics,
    data: darling::ast::Data<(), LinkableField>,
    attrs: Vec<syn::Attribute>,
    module: Option<SpannedValue<String>>,
    model: Option<SpannedValue<String>>,
    table: Option<SpannedValue<String>>,
    primary_key: Option<SpannedValue<String>>,
}

#[derive(FromField)]
struct LinkableField {
    ident: Option<syn::Ident>,
}

/// What the derive knows about a model, checked.
pub struct LinkableModel {
    pub ident: syn::Ident,
    pub module: String,
    pub model: String,
    pub table: String,
    pub primary_key: String,
    pub fields: Vec<String>,
}

impl LinkableModel {
    pub fn from_input(input: &syn::DeriveInput) -> darling::Result<Self> {
        let attr = LinkableAttr::from_derive_input(input)?;
        let mut errors = darling::Error::accumulator();

        if !attr.generics.params.is_empty() {
            errors.push(
                darling::Error::custom("a linkable model cannot be generic")
                    .with_span(&attr.generics),
            );
        }

        let module = match &attr.module {
            Some(module) => {
                check_name(&mut errors, module, "module");
                module.as_str().to_owned()
            }
            None => {
                let at = input
                    .attrs
                    .iter()
                    .find(|a| a.path().is_ident("linkable"))
                    .map(|a| a.meta.span())
                    .unwrap_or_else(|| attr.ident.span());
                errors.push(
                    darling::Error::custom(
                        "a linkable model names the module that owns it: \
                         add `#[linkable(module = \"...\")]`",
                    )
                    .with_span(&at),
                );
                String::new()
            }
        };

        let model = match &attr.model {
            Some(model) => {
                check_name(&mut errors, model, "model");
                model.as_str().to_owned()
            }
            None => snake_case(&attr.ident.to_string()),
        };

        let fields: Vec<String> = attr
            .data
            .take_struct()
            .map(|fields| {
                fields
                    .into_iter()
                    .filter_map(|f| f.ident.map(|i| i.to_string()))
                    .collect()
            })
            .unwrap_or_default();

        let primary_key = match &attr.primary_key {
            Some(key) => {
                if !fields.iter().any(|f| f == key.as_str()) {
                    errors.push(
                        darling::Error::custom(format!(
                            "`{}` is not a field of `{}`",
                            key.as_str(),
                            attr.ident
                        ))
                        .with_span(&key.span()),
                    );
                }
                key.as_str().to_owned()
            }
            None => {
                if !fields.iter().any(|f| f == "id") {
                    errors.push(
                        darling::Error::custom(
                            "a linkable model needs an `id` field, or \
                             `#[linkable(primary_key = \"...\")]` naming its id field",
                        )
                        .with_span(&attr.ident),
                    );
                }
                "id".to_owned()
            }
        };

        let table = match &attr.table {
            Some(table) => {
                check_name(&mut errors, table, "table");
                table.as_str().to_owned()
            }
            None => diesel_table_name(&attr.attrs)
                .unwrap_or_else(|| format!("{}s", snake_case(&attr.ident.to_string()))),
        };

        errors.finish_with(LinkableModel {
            ident: attr.ident,
            module,
            model,
            table,
            primary_key,
            fields,
        })
    }
}

fn check_name(errors: &mut darling::error::Accumulator, value: &SpannedValue<String>, what: &str) {
    if !is_sql_identifier(value.as_str()) {
        errors.push(
            darling::Error::custom(format!(
                "{what} name `{}` must be lower-case snake_case (letters, digits, `_`) \
                 and not a Rust keyword",
                value.as_str()
            ))
            .with_span(&value.span()),
        );
    }
}

/// The last segment of `#[diesel(table_name = path::to::table)]`, when the model has one.
fn diesel_table_name(attrs: &[syn::Attribute]) -> Option<String> {
    let mut table = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("diesel")) {
        // Other diesel keys are diesel's business: skip them whatever their shape.
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("table_name") {
                let path: syn::Path = meta.value()?.parse()?;
                table = path.segments.last().map(|s| s.ident.to_string());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            } else if meta.input.peek(syn::token::Paren) {
                let _ = meta.parse_nested_meta(|_| Ok(()));
            }
            Ok(())
        });
    }
    table
}
