//! Checks what the derive can check by itself, and turns the input into a plain
//! [`Selection`]. Whether the fields and links exist is the compiler's to check, on the
//! code `expand.rs` generates.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::attr::{GraphSelectField, GraphSelectInput};

/// A checked `#[derive(GraphSelect)]` input.
pub struct Selection {
    pub ident: syn::Ident,
    /// The linkable model selected from, as the user wrote it.
    pub entity: syn::Path,
    pub fields: Vec<SelectField>,
}

pub struct SelectField {
    pub ident: syn::Ident,
    /// The field's name in graph queries and results: the Rust name without `r#`.
    pub name: String,
    /// The field's type, as written.
    pub ty: syn::Type,
    pub kind: FieldKind,
}

/// What a field of the struct reads.
pub enum FieldKind {
    /// A field of the entity, of the same name.
    Field,
    /// `#[graph(link)]`: linked records, each a `T` of the field's `Option<T>` or `Vec<T>`;
    /// with `take = n`, at most `n` of a list in each record.
    Link { item: syn::Type, take: Option<u64> },
    /// `#[graph(count = Model)]`: how many live `Model`s are linked.
    Count(CountOf),
}

/// The link a `#[graph(count = Model)]` field counts through.
pub struct CountOf {
    /// The linked model, as the user wrote it.
    pub model: syn::Path,
    /// `field = ".."`: the link field, where several links join the entity to the model.
    pub field: Option<syn::LitStr>,
}

pub fn validate(input: &syn::DeriveInput, parsed: GraphSelectInput) -> darling::Result<Selection> {
    let mut errors = darling::Error::accumulator();

    if !matches!(
        &input.data,
        syn::Data::Struct(syn::DataStruct {
            fields: syn::Fields::Named(_),
            ..
        })
    ) {
        errors.push(
            darling::Error::custom(
                "GraphSelect is derived for a struct with named fields: each field is named \
                 after a field or a link of the entity, and read from the graph result under \
                 that name",
            )
            .with_span(&parsed.ident),
        );
    }

    if !parsed.generics.params.is_empty() {
        errors.push(
            darling::Error::custom("a GraphSelect struct cannot be generic")
                .with_span(&parsed.generics),
        );
    }

    let entity = parsed.entity.clone().unwrap_or_else(|| {
        let at = input
            .attrs
            .iter()
            .find(|a| a.path().is_ident("graph"))
            .map(|a| a.meta.span())
            .unwrap_or_else(|| parsed.ident.span());
        errors.push(
            darling::Error::custom(
                "a GraphSelect struct names the linkable model it selects from: \
                 add `#[graph(entity = Model)]`",
            )
            .with_span(&at),
        );
        syn::Path::from(parsed.ident.clone())
    });

    for (key, span) in serde_misuses(&parsed.attrs, &["rename_all", "transparent"]) {
        errors.push(serde_error(&key).with_span(&span));
    }

    let fields = match parsed.data {
        darling::ast::Data::Struct(fields) => fields
            .fields
            .into_iter()
            .filter_map(|field| select_field(&mut errors, field))
            .collect(),
        darling::ast::Data::Enum(_) => Vec::new(),
    };

    errors.finish_with(Selection {
        ident: parsed.ident,
        entity,
        fields,
    })
}

fn select_field(
    errors: &mut darling::error::Accumulator,
    field: GraphSelectField,
) -> Option<SelectField> {
    let ident = field.ident?;
    for (key, span) in serde_misuses(&field.attrs, &["rename", "flatten"]) {
        errors.push(serde_error(&key).with_span(&span));
    }
    if let (Some(take), false) = (&field.take, field.link.is_present()) {
        errors.push(
            darling::Error::custom(
                "`take` pages the linked records a `#[graph(link)]` field holds: it goes with \
                 `link`, on a `Vec<T>` field, as in `#[graph(link, take = 3)]`",
            )
            .with_span(take),
        );
    }
    if let (Some(name), None) = (&field.field, &field.count) {
        errors.push(
            darling::Error::custom(
                "`field` names the link a count counts through: it goes with `count`, as in \
                 `#[graph(count = Model, field = \"...\")]`",
            )
            .with_span(name),
        );
    }
    let kind = if let Some(model) = field.count {
        if field.link.is_present() {
            errors.push(
                darling::Error::custom(
                    "a field holds linked records (`#[graph(link)]`) or their count \
                     (`#[graph(count = Model)]`), not both",
                )
                .with_span(&field.link.span()),
            );
            return None;
        }
        FieldKind::Count(CountOf {
            model,
            field: field.field,
        })
    } else if field.link.is_present() {
        match container_item(&field.ty) {
            Some((container, item)) => {
                let take = field
                    .take
                    .as_ref()
                    .and_then(|take| page_take(errors, take, container));
                FieldKind::Link {
                    item: item.clone(),
                    take,
                }
            }
            None => {
                errors.push(
                    darling::Error::custom(
                        "a `#[graph(link)]` field holds the linked records: `Option<T>` for a \
                         link side with at most one partner, `Vec<T>` for a list side, where \
                         `T` derives GraphSelect",
                    )
                    .with_span(&field.ty),
                );
                return None;
            }
        }
    } else {
        FieldKind::Field
    };
    Some(SelectField {
        name: ident.unraw().to_string(),
        ident,
        ty: field.ty,
        kind,
    })
}

/// The `n` of a link field's `take = n`, if it can page the field's container.
fn page_take(
    errors: &mut darling::error::Accumulator,
    take: &syn::LitInt,
    container: &syn::Ident,
) -> Option<u64> {
    if container != "Vec" {
        errors.push(
            darling::Error::custom(
                "`take` pages a list, and an `Option<T>` field holds one linked record at most: \
                 `take` goes on a `Vec<T>` field, of a list side",
            )
            .with_span(take),
        );
        return None;
    }
    match take.base10_parse::<u64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.push(
                darling::Error::custom(
                    "`take` is how many linked records each record holds at most: a whole number",
                )
                .with_span(take),
            );
            None
        }
    }
}

/// The container (`Option` or `Vec`) and the `T` of `Option<T>` or `Vec<T>`.
fn container_item(ty: &syn::Type) -> Option<(&syn::Ident, &syn::Type)> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let segment = path.path.segments.last()?;
    if path.qself.is_some() || !(segment.ident == "Option" || segment.ident == "Vec") {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>().as_slice() {
        [syn::GenericArgument::Type(item)] => Some((&segment.ident, item)),
        _ => None,
    }
}

fn serde_error(key: &str) -> darling::Error {
    let why = "graph results are keyed by the model's field names";
    darling::Error::custom(match key {
        "rename" => format!(
            "serde's `rename` cannot be used here: {why}, so serde would not find the renamed \
             key; name the field after the model's field (`rename(serialize = \"...\")`, which \
             renames the output only, is fine)"
        ),
        "rename_all" => format!(
            "serde's `rename_all` cannot be used here: {why}, so serde would not find the \
             renamed keys (`rename_all(serialize = \"...\")`, which renames the output only, \
             is fine)"
        ),
        "flatten" => format!(
            "serde's `flatten` cannot be used here: {why}, and a flattened field is not one of \
             them; select a linked model's fields with a `#[graph(link)]` field"
        ),
        "transparent" => "serde's `transparent` cannot be used here: a graph result is an \
                          object keyed by the model's field names, not the value of one field"
            .to_owned(),
        _ => format!("serde's `{key}` cannot be used here: {why}"),
    })
}

/// The keys among `keys` of `#[serde(..)]` attributes that change what deserialization
/// reads: `key`, `key = ".."` and `key(deserialize = "..")`, but not
/// `key(serialize = "..")`. Other keys are serde's business, whatever their shape.
fn serde_misuses(attrs: &[syn::Attribute], keys: &[&str]) -> Vec<(String, Span)> {
    let mut found = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(|i| i.to_string())
                .unwrap_or_default();
            let mut reads = true;
            if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            } else if meta.input.peek(syn::token::Paren) {
                reads = false;
                let _ = meta.parse_nested_meta(|inner| {
                    reads |= inner.path.is_ident("deserialize");
                    if inner.input.peek(syn::Token![=]) {
                        let _: syn::Expr = inner.value()?.parse()?;
                    }
                    Ok(())
                });
            }
            if reads && keys.contains(&key.as_str()) {
                found.push((key, meta.path.span()));
            }
            Ok(())
        });
    }
    found
}
